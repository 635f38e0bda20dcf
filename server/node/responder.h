// Responder: how the core talks back to client connections. Implemented by the network shell
// (and by fakes in tests). Calls are made on the core thread and must not block.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace caucus::node {

using ConnId = uint64_t;

class Responder {
 public:
  virtual ~Responder() = default;
  // Queues one complete frame (4-byte length prefix included) for `conn`.
  virtual void Send(ConnId conn, std::string frame) = 0;
  // Closes `conn` once the frames queued before this call are written.
  virtual void Close(ConnId conn, std::string_view reason) = 0;
};

}  // namespace caucus::node
