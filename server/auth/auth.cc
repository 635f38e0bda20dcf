#include "server/auth/auth.h"

#include <arpa/inet.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <algorithm>
#include <array>
#include <cstdlib>

#include "proto/jute/opcodes.h"

namespace caucus::auth {
namespace {

std::string Base64(const unsigned char* data, size_t len) {
  std::string out(4 * ((len + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(len));
  out.resize(static_cast<size_t>(n));
  return out;
}

// Parses an IPv4 or IPv6 literal into network-order bytes; returns the byte count (4/16) or 0.
size_t ParseIp(std::string_view text, std::array<unsigned char, 16>& out) {
  std::string s(text);
  if (inet_pton(AF_INET, s.c_str(), out.data()) == 1) return 4;
  if (inet_pton(AF_INET6, s.c_str(), out.data()) == 1) return 16;
  return 0;
}

bool ParseBits(std::string_view text, size_t max_bits, size_t& bits) {
  if (text.empty() || text.size() > 3) return false;
  bits = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    bits = bits * 10 + static_cast<size_t>(c - '0');
  }
  return bits <= max_bits;
}

// Splits "addr/bits" and parses both; bits defaults to the full address length.
bool ParseIpAcl(std::string_view acl_id, std::array<unsigned char, 16>& addr, size_t& len,
                size_t& bits) {
  auto slash = acl_id.find('/');
  len = ParseIp(acl_id.substr(0, slash), addr);
  if (len == 0) return false;
  bits = len * 8;
  return slash == std::string_view::npos || ParseBits(acl_id.substr(slash + 1), len * 8, bits);
}

bool DigestMatches(const jute::Id& acl_id, const jute::Id& who) { return acl_id.id == who.id; }

bool IdMatches(const jute::Id& acl_id, const jute::Id& who) {
  if (acl_id.scheme != who.scheme) return false;
  if (who.scheme == "ip") return IpMatches(acl_id.id, who.id);
  if (who.scheme == "digest") return DigestMatches(acl_id, who);
  return acl_id.id == who.id;
}

}  // namespace

std::string GenerateDigest(std::string_view user_password) {
  unsigned char sha[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(user_password.data()), user_password.size(), sha);
  auto colon = user_password.find(':');
  return std::string(user_password.substr(0, colon)) + ":" + Base64(sha, sizeof sha);
}

bool IpMatches(std::string_view acl_id, std::string_view client_ip) {
  std::array<unsigned char, 16> want{}, have{};
  size_t want_len, bits;
  if (!ParseIpAcl(acl_id, want, want_len, bits)) return false;
  if (ParseIp(client_ip, have) != want_len) return false;
  for (size_t i = 0; i < want_len && bits > 0; ++i) {
    unsigned mask = bits >= 8 ? 0xFFu : (0xFFu << (8 - bits)) & 0xFFu;
    if ((want[i] & mask) != (have[i] & mask)) return false;
    bits = bits >= 8 ? bits - 8 : 0;
  }
  return true;
}

bool IsValidAclId(const jute::Id& id) {
  if (id.scheme == "world") return id.id == "anyone";
  if (id.scheme == "ip") {
    std::array<unsigned char, 16> addr{};
    size_t len, bits;
    return ParseIpAcl(id.id, addr, len, bits);
  }
  if (id.scheme == "digest") return std::count(id.id.begin(), id.id.end(), ':') == 1;
  if (id.scheme == "super") return true;
  return false;
}

bool CheckAcl(const jute::AclList& acl, int32_t perm, const AuthIds& ids) {
  if (acl.empty()) return true;
  for (const auto& who : ids) {
    if (who.scheme == "super") return true;
  }
  for (const auto& entry : acl) {
    if ((entry.perms & perm) == 0) continue;
    if (entry.id.scheme == "world" && entry.id.id == "anyone") return true;
    for (const auto& who : ids) {
      if (IdMatches(entry.id, who)) return true;
    }
  }
  return false;
}

std::optional<jute::AclList> FixupAcl(const jute::AclList& acl, const AuthIds& ids) {
  jute::AclList unique;
  for (const auto& a : acl) {
    if (std::find(unique.begin(), unique.end(), a) == unique.end()) unique.push_back(a);
  }
  if (unique.empty()) return std::nullopt;
  jute::AclList out;
  for (const auto& a : unique) {
    if (a.id.scheme == "world" && a.id.id == "anyone") {
      out.push_back(a);
    } else if (a.id.scheme == "auth") {
      // Only authenticated schemes expand "auth"; ip ids are not "authenticated" in ZooKeeper.
      bool any = false;
      for (const auto& who : ids) {
        if (who.scheme == "digest") {
          out.push_back(jute::Acl{a.perms, who});
          any = true;
        }
      }
      if (!any) return std::nullopt;
    } else if (a.id.scheme == "super" || !IsValidAclId(a.id)) {
      return std::nullopt;
    } else {
      out.push_back(a);
    }
  }
  return out;
}

std::optional<AuthIds> Authenticate(std::string_view scheme, std::string_view credentials,
                                    std::string_view super_digest) {
  if (scheme != "digest") return std::nullopt;
  AuthIds ids;
  std::string digest = GenerateDigest(credentials);
  if (!super_digest.empty() && digest == super_digest) ids.push_back(jute::Id{"super", ""});
  ids.push_back(jute::Id{"digest", digest});
  return ids;
}

std::string UserName(const jute::Id& id) {
  if (id.scheme == "digest") return id.id.substr(0, id.id.find(':'));
  return id.id;
}

}  // namespace caucus::auth
