#include "client/src/connect_string.h"

#include <charconv>

namespace caucus::client {
namespace {

std::optional<HostPort> ParseHost(const std::string& item) {
  HostPort hp;
  std::string port;
  if (!item.empty() && item[0] == '[') {  // [v6]:port
    auto close = item.find(']');
    if (close == std::string::npos) return std::nullopt;
    hp.host = item.substr(1, close - 1);
    if (close + 1 < item.size()) {
      if (item[close + 1] != ':') return std::nullopt;
      port = item.substr(close + 2);
    }
  } else {
    auto colon = item.rfind(':');
    hp.host = item.substr(0, colon);
    if (colon != std::string::npos) port = item.substr(colon + 1);
  }
  if (hp.host.empty()) return std::nullopt;
  if (!port.empty()) {
    unsigned v = 0;
    auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), v);
    if (ec != std::errc() || p != port.data() + port.size() || v == 0 || v > 65535)
      return std::nullopt;
    hp.port = static_cast<uint16_t>(v);
  }
  return hp;
}

bool ValidChroot(const std::string& c) {
  if (c.empty() || c[0] != '/' || c.back() == '/') return false;
  return c.find("//") == std::string::npos;
}

}  // namespace

std::optional<ConnectString> ParseConnectString(const std::string& s) {
  ConnectString out;
  std::string hosts = s;
  if (auto slash = s.find('/'); slash != std::string::npos) {
    hosts = s.substr(0, slash);
    std::string chroot = s.substr(slash);
    if (chroot != "/") {
      if (!ValidChroot(chroot)) return std::nullopt;
      out.chroot = chroot;
    }
  }
  size_t start = 0;
  while (start <= hosts.size()) {
    size_t comma = hosts.find(',', start);
    if (comma == std::string::npos) comma = hosts.size();
    std::string item = hosts.substr(start, comma - start);
    if (!item.empty()) {
      auto hp = ParseHost(item);
      if (!hp) return std::nullopt;
      out.hosts.push_back(*hp);
    }
    start = comma + 1;
  }
  if (out.hosts.empty()) return std::nullopt;
  return out;
}

std::string AddChroot(const std::string& chroot, const std::string& path) {
  if (chroot.empty()) return path;
  return path == "/" ? chroot : chroot + path;
}

std::string StripChroot(const std::string& chroot, const std::string& server_path) {
  if (chroot.empty()) return server_path;
  if (server_path == chroot) return "/";
  if (server_path.size() > chroot.size() && server_path.compare(0, chroot.size(), chroot) == 0 &&
      server_path[chroot.size()] == '/')
    return server_path.substr(chroot.size());
  return server_path;  // outside the chroot (should not happen); pass through unchanged
}

}  // namespace caucus::client
