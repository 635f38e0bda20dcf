// Authentication schemes and ACL evaluation, with ZooKeeper's semantics:
//   world:anyone, auth (expanded at create/setACL time), digest (user:base64(sha1(user:pw))),
//   ip (IPv4 address or address/bits, parsed as ZooKeeper 3.8 does), and the "super" identity granted by the super digest.
// Pure functions; no state.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proto/jute/records.h"

namespace caucus::auth {

using AuthIds = std::vector<jute::Id>;

// ZooKeeper's DigestAuthenticationProvider.generateDigest: "user:base64(sha1(user:password))".
std::string GenerateDigest(std::string_view user_password);

// Whether `client_ip` (dotted IPv4 or IPv6 text) falls inside the ACL id "addr[/bits]".
bool IpMatches(std::string_view acl_id, std::string_view client_ip);

// Per-scheme validity of an ACL id (IPAuthenticationProvider.isValid and friends).
bool IsValidAclId(const jute::Id& id);

// ZooKeeper's checkACL: true when `ids` grant `perm` on a node carrying `acl`.
// An empty ACL grants everything; the "super" identity bypasses every check.
bool CheckAcl(const jute::AclList& acl, int32_t perm, const AuthIds& ids);

// PrepRequestProcessor.fixupACL: drops duplicates, expands "auth" entries to the caller's
// authenticated digest ids, and rejects empty lists or invalid ids (nullopt = InvalidACL).
std::optional<jute::AclList> FixupAcl(const jute::AclList& acl, const AuthIds& ids);

// The result of an AuthPacket: the ids to add to the connection, or nullopt when the scheme
// is unknown or the credentials are malformed (ZooKeeper answers AuthFailed and closes).
std::optional<AuthIds> Authenticate(std::string_view scheme, std::string_view credentials,
                                    std::string_view super_digest);

// The user name whoAmI reports for an id (digest: the part before ':').
std::string UserName(const jute::Id& id);

}  // namespace caucus::auth
