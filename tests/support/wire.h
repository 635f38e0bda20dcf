// Test helpers: a Responder that records what the Node sends, and encoders/decoders for the
// frames a client exchanges with the server. Used by the node tests and the fuzzers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proto/jute/records.h"
#include "proto/jute/requests.h"
#include "server/node/responder.h"

namespace caucus::testing {

// Records every Send/Close in order. Send checks that the frame's length prefix is right.
class FakeResponder : public node::Responder {
 public:
  struct Event {
    node::ConnId conn = 0;
    bool close = false;
    std::string frame;  // Send: the frame without its 4-byte prefix; Close: the reason
  };

  void Send(node::ConnId conn, std::string frame) override;
  void Close(node::ConnId conn, std::string_view reason) override;

  // Frames (without prefix) sent to `conn` since the last Take for it, in order.
  std::vector<std::string> TakeFrames(node::ConnId conn);
  bool IsClosed(node::ConnId conn) const;
  size_t bad_prefixes() const { return bad_prefixes_; }
  const std::vector<Event>& events() const { return events_; }
  void Clear() { events_.clear(); taken_.clear(); }

 private:
  std::vector<Event> events_;
  std::vector<std::pair<node::ConnId, size_t>> taken_;  // per conn: events already taken
  size_t bad_prefixes_ = 0;
};

// A ConnectRequest body (no length prefix) as a 3.5+ client sends it.
std::string EncodeConnect(int64_t session_id, std::string_view passwd, int32_t timeout_ms,
                          int64_t last_zxid_seen = 0);
// RequestHeader + body (no length prefix).
std::string EncodeRequest(const jute::Request& req);
std::string EncodeRequest(int32_t xid, jute::OpCode op);  // empty-body requests (ping, ...)
// Prepends the 4-byte big-endian length.
std::string WithLengthPrefix(std::string_view payload);

struct Reply {
  jute::ReplyHeader header;
  std::string body;  // what follows the header
};
// Parses a reply frame (without prefix); false if it is shorter than a ReplyHeader.
bool ParseReply(std::string_view frame, Reply& out);
// Parses a notification body (WatcherEvent).
bool ParseEvent(std::string_view body, jute::WatcherEvent& out);

// Convenience constructors for request bodies.
jute::Request MakeCreate(int32_t xid, std::string path, std::optional<std::string> data,
                         int32_t flags = 0, jute::AclList acl = {},
                         jute::OpCode op = jute::OpCode::kCreate);
jute::Request MakePathWatch(int32_t xid, jute::OpCode op, std::string path, bool watch);
jute::Request MakeSetData(int32_t xid, std::string path, std::optional<std::string> data,
                          int32_t version = -1);
jute::Request MakeDelete(int32_t xid, std::string path, int32_t version = -1);
jute::AclList OpenAcl();

}  // namespace caucus::testing
