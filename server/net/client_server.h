// ClientServer: the client port. Accepts TCP connections, splits the byte stream into frames
// (or answers a four-letter word), hands frames to the core, and writes the core's frames
// back with vectored writes. Implements node::Responder.
//
// Threading: everything runs on the one io_context thread that also drives the core, so calls
// into node::Node need no locks. Asio stays inside the .cc (pimpl) to keep it out of other
// translation units.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "server/config/server_config.h"
#include "server/node/responder.h"

namespace boost::asio {
class io_context;
}

namespace caucus::node {
class Node;
}

namespace caucus::net {

class ClientServer : public node::Responder {
 public:
  ClientServer(boost::asio::io_context& io, const config::ServerConfig& config);
  ~ClientServer() override;

  // Binds and starts accepting; returns an error message on failure (empty on success).
  std::string Start(node::Node& node, int64_t start_wall_ms);
  void Stop();
  // The bound port (useful when clientPort=0).
  int port() const;

  void Send(node::ConnId conn, std::string frame) override;
  void Close(node::ConnId conn, std::string_view reason) override;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace caucus::net
