// Parsing of ZooKeeper connection strings: "host[:port][,host[:port]...][/chroot]".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace caucus::client {

struct HostPort {
  std::string host;
  uint16_t port = 2181;
  bool operator==(const HostPort&) const = default;
};

struct ConnectString {
  std::vector<HostPort> hosts;
  std::string chroot;  // "" for none; otherwise "/a/b" without a trailing slash
};

// nullopt if the string has no host, a bad port, or a malformed chroot. IPv6 literals are
// written in brackets: "[::1]:2181".
std::optional<ConnectString> ParseConnectString(const std::string& s);

// Server path <-> client path under a chroot (ZooKeeper's ClientCnxn.prependChroot/strip).
std::string AddChroot(const std::string& chroot, const std::string& path);
std::string StripChroot(const std::string& chroot, const std::string& server_path);

}  // namespace caucus::client
