// PeerPayload: the host-level messages replicas exchange inside zab::AppData, encoded with the
// jute archive (the same primitives as the client protocol):
//   learner -> leader: a client write to order, a new session, session touches, a read index
//     request (reads in `leader` mode);
//   leader -> learner: the read index (the commit point confirmed by a quorum).
// As in ZooKeeper, a learner never prepares a write itself: the leader validates it against
// its pending changes, so every replica applies the same txn.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "proto/jute/records.h"

namespace caucus::node {

struct ForwardedRequest {
  int64_t session_id = 0;
  int32_t xid = 0;
  int32_t op = 0;
  std::string body;             // the request body as the client sent it
  std::vector<jute::Id> auth;   // the connection's identities
  bool bad = false;             // the learner could not decode it: order an error txn
  int32_t bad_error = 0;
};
struct ForwardedSession {
  int64_t session_id = 0;
  int32_t timeout_ms = 0;
};
struct SessionTouches {
  std::vector<int64_t> sessions;
};
struct ReadIndexRequest {
  int64_t id = 0;
};
struct ReadIndexReply {
  int64_t id = 0;
  bool ok = false;    // false: the leader could not confirm it still leads
  int64_t zxid = 0;   // answer the reads once this zxid is applied
};

using PeerPayload =
    std::variant<ForwardedRequest, ForwardedSession, SessionTouches, ReadIndexRequest,
                 ReadIndexReply>;

std::string EncodePeerPayload(const PeerPayload& p);
std::optional<PeerPayload> DecodePeerPayload(std::string_view bytes);

}  // namespace caucus::node
