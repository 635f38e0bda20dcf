// NodeOptions: the part of the server configuration the core needs, in core units.
#pragma once

#include <cstdint>
#include <string>

namespace caucus::node {

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
  // Seed for session passwords; must differ between servers and runs.
  uint64_t secret = 0;
};

}  // namespace caucus::node
