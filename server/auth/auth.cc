#include "server/auth/auth.h"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstdint>

#include "proto/jute/opcodes.h"

namespace caucus::auth {
namespace {

std::string Base64(const unsigned char* data, size_t len) {
  std::string out(4 * ((len + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(len));
  out.resize(static_cast<size_t>(n));
  return out;
}

// Java's Integer.parseInt: an optional sign, then at least one decimal digit, within int.
bool JavaParseInt(std::string_view s, long long& out) {
  size_t i = (!s.empty() && (s[0] == '+' || s[0] == '-')) ? 1 : 0;
  if (i == s.size() || s.size() > 11) return false;
  long long v = 0;
  for (size_t k = i; k < s.size(); ++k) {
    if (s[k] < '0' || s[k] > '9') return false;
    v = v * 10 + (s[k] - '0');
  }
  out = s[0] == '-' ? -v : v;
  return out >= INT32_MIN && out <= INT32_MAX;
}

// IPAuthenticationProvider.addr2Bytes of ZooKeeper 3.8: dotted IPv4 only, each part parsed
// with Integer.parseInt (so "010" is 10). IPv6 ACLs do not exist in 3.8.
bool ParseIpv4(std::string_view text, std::array<unsigned char, 4>& out) {
  size_t part = 0, start = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i < text.size() && text[i] != '.') continue;
    long long v;
    if (part >= 4 || !JavaParseInt(text.substr(start, i - start), v) || v < 0 || v > 255) {
      return false;
    }
    out[part++] = static_cast<unsigned char>(v);
    start = i + 1;
  }
  return part == 4;
}

// Splits "addr/bits" as ZooKeeper does; bits defaults to 32.
bool ParseIpAcl(std::string_view acl_id, std::array<unsigned char, 4>& addr, long long& bits) {
  auto slash = acl_id.find('/');
  if (!ParseIpv4(acl_id.substr(0, slash), addr)) return false;
  bits = 32;
  if (slash == std::string_view::npos) return true;
  return JavaParseInt(acl_id.substr(slash + 1), bits) && bits >= 0 && bits <= 32;
}

bool DigestMatches(const jute::Id& acl_id, const jute::Id& who) { return acl_id.id == who.id; }

bool IdMatches(const jute::Id& acl_id, const jute::Id& who) {
  if (acl_id.scheme != who.scheme) return false;
  if (who.scheme == "ip") return IpMatches(acl_id.id, who.id);
  if (who.scheme == "digest") return DigestMatches(acl_id, who);
  return acl_id.id == who.id;
}

// DigestAuthenticationProvider.isValid: id.split(":").length == 2, where Java's split drops
// trailing empty parts ("user:" is invalid, "user:hash:" is valid).
bool DigestIdValid(std::string_view id) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (size_t i = 0; i <= id.size(); ++i) {
    if (i == id.size() || id[i] == ':') {
      parts.push_back(id.substr(start, i - start));
      start = i + 1;
    }
  }
  while (!parts.empty() && parts.back().empty()) parts.pop_back();
  return parts.size() == 2;
}

}  // namespace

std::string GenerateDigest(std::string_view user_password) {
  unsigned char sha[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(user_password.data()), user_password.size(), sha);
  auto colon = user_password.find(':');
  return std::string(user_password.substr(0, colon)) + ":" + Base64(sha, sizeof sha);
}

bool IpMatches(std::string_view acl_id, std::string_view client_ip) {
  std::array<unsigned char, 4> want{}, have{};
  long long bits;
  if (!ParseIpAcl(acl_id, want, bits)) return false;
  // A client on an IPv6 socket may show up as an IPv4-mapped address.
  if (client_ip.rfind("::ffff:", 0) == 0) client_ip.remove_prefix(7);
  if (!ParseIpv4(client_ip, have)) return false;
  for (size_t i = 0; i < 4 && bits > 0; ++i) {
    unsigned mask = bits >= 8 ? 0xFFu : (0xFFu << (8 - static_cast<int>(bits))) & 0xFFu;
    if ((want[i] & mask) != (have[i] & mask)) return false;
    bits = bits >= 8 ? bits - 8 : 0;
  }
  return true;
}

bool IsValidAclId(const jute::Id& id) {
  if (id.scheme == "world") return id.id == "anyone";
  if (id.scheme == "ip") {
    std::array<unsigned char, 4> addr{};
    long long bits;
    return ParseIpAcl(id.id, addr, bits);
  }
  if (id.scheme == "digest") return DigestIdValid(id.id);
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
  if (acl.empty()) return std::nullopt;
  jute::AclList out;
  out.reserve(acl.size());
  for (auto it = acl.begin(); it != acl.end(); ++it) {
    const jute::Acl& a = *it;
    if (std::find(acl.begin(), it, a) != it) continue;  // a repeat: the first one counts
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
