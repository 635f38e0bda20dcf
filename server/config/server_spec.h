// ServerSpec: one `server.N=...` line of zoo.cfg, ZooKeeper 3.5+ syntax:
//   server.N=host:quorumPort:electionPort[:participant|:observer][;[clientAddress:]clientPort]
// host may be an IPv6 literal in brackets.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace caucus::config {

struct ServerSpec {
  int64_t id = 0;
  std::string host;
  int32_t quorum_port = 0;
  int32_t election_port = 0;
  bool observer = false;
  std::string client_address;  // empty = not given
  int32_t client_port = 0;     // 0 = not given
};

// Parses the value of `server.<id>`; on failure returns nullopt with `error` saying why.
std::optional<ServerSpec> ParseServerSpec(int64_t id, std::string_view value, std::string* error);

}  // namespace caucus::config
