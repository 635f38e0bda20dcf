#include "server/config/server_spec.h"

#include <charconv>
#include <vector>

namespace caucus::config {
namespace {

bool ParsePort(std::string_view s, int32_t* out) {
  int v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < 1 || v > 65535) return false;
  *out = v;
  return true;
}

// Splits "a:b:c" at colons, keeping a bracketed IPv6 literal as one piece (without brackets).
std::vector<std::string> SplitAddress(std::string_view s) {
  std::vector<std::string> parts;
  std::string cur;
  bool bracket = false;
  for (char c : s) {
    if (c == '[' && cur.empty()) {
      bracket = true;
    } else if (c == ']' && bracket) {
      bracket = false;
    } else if (c == ':' && !bracket) {
      parts.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  parts.push_back(cur);
  return parts;
}

bool ParseClientPart(std::string_view s, ServerSpec* spec) {
  auto parts = SplitAddress(s);
  if (parts.size() == 1) return ParsePort(parts[0], &spec->client_port);
  if (parts.size() != 2 || parts[0].empty()) return false;
  spec->client_address = parts[0];
  return ParsePort(parts[1], &spec->client_port);
}

}  // namespace

std::optional<ServerSpec> ParseServerSpec(int64_t id, std::string_view value, std::string* error) {
  ServerSpec spec;
  spec.id = id;
  std::string_view addr = value;
  std::string_view client;
  if (auto semi = value.find(';'); semi != std::string_view::npos) {
    addr = value.substr(0, semi);
    client = value.substr(semi + 1);
  }
  auto parts = SplitAddress(addr);
  if (parts.size() < 3 || parts.size() > 4 || parts[0].empty()) {
    *error = "expected host:quorumPort:electionPort[:participant|:observer][;[address:]port]";
    return std::nullopt;
  }
  spec.host = parts[0];
  if (!ParsePort(parts[1], &spec.quorum_port) || !ParsePort(parts[2], &spec.election_port)) {
    *error = "ports must be integers between 1 and 65535";
    return std::nullopt;
  }
  if (parts.size() == 4) {
    if (parts[3] == "observer") {
      spec.observer = true;
    } else if (parts[3] != "participant") {
      *error = "the role must be 'participant' or 'observer', not '" + parts[3] + "'";
      return std::nullopt;
    }
  }
  if (!client.empty() && !ParseClientPart(client, &spec)) {
    *error = "the client part must be [address:]port";
    return std::nullopt;
  }
  return spec;
}

}  // namespace caucus::config
