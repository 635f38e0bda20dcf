// Node::Conn: the core's per-connection protocol state (session binding, auth ids, request
// queue for session FIFO order, statistics). Private to the node module's .cc files.
#pragma once

#include <deque>
#include <string>

#include "server/node/node.h"

namespace caucus::node {

struct Node::Conn {
  ConnId id = 0;
  std::string ip;
  std::string remote;
  bool handshaken = false;
  bool connecting = false;  // a createSession for this connection is in flight
  bool closing = false;
  int64_t session_id = 0;
  int32_t timeout_ms = 0;
  auth::AuthIds auth;
  std::deque<Queued> queue;            // requests not yet executed, in arrival order
  std::deque<LinearRead> linear;       // reads taken from `queue`, waiting to be answered
  ReadMode read_mode = ReadMode::kLocal;
  size_t writes_in_flight = 0;  // its entries in Node::session_writes_ (for `cons`)
  ConnStats stats;
};

}  // namespace caucus::node
