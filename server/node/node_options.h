// NodeOptions: the part of the server configuration the core needs, in core units.
#pragma once

#include <cstdint>
#include <string>

namespace caucus::node {

// How a read is served in an ensemble (docs/consistency.md):
//   local  from this server's state as it is (ZooKeeper's sequential consistency);
//   quorum linearizable: after a read round with a quorum of voters, no leader involved;
//   leader linearizable: after the leader confirmed its commit point with a quorum (ReadIndex).
enum class ReadMode : uint8_t { kLocal = 0, kQuorum = 1, kLeader = 2 };
const char* ReadModeName(ReadMode m);

struct NodeOptions {
  int64_t server_id = 0;
  int32_t tick_ms = 2000;
  int32_t min_session_timeout_ms = 4000;
  int32_t max_session_timeout_ms = 40000;
  std::string super_digest;  // "super:<base64 sha1>", empty = no super user
  bool extended_types_enabled = false;
  bool reconfig_enabled = false;
  int64_t container_check_interval_ms = 60000;
  int32_t container_max_per_minute = 10000;
  int64_t container_max_never_used_interval_ms = 0;
  // Ensemble: the read mode of a connection that did not choose one (stock clients).
  ReadMode read_mode = ReadMode::kLocal;
  // Ensemble: how long a client's write may wait for a new leader before its connection is
  // closed (the client sees ConnectionLoss, as when a ZooKeeper server loses its leader).
  int64_t leaderless_write_wait_ms = 10000;
  // Seed for session passwords; must differ between servers and runs.
  uint64_t secret = 0;
};

}  // namespace caucus::node
