// Znode: one node of the data tree. Kept small on purpose: memory per znode is a product
// goal, so the ACL is an interned id and children are views into the children's own keys.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "server/datatree/acl_cache.h"

namespace caucus::datatree {

// ZooKeeper's EphemeralType encoding in Stat.ephemeralOwner.
inline constexpr int64_t kContainerEphemeralOwner = INT64_MIN;
inline constexpr uint64_t kTtlMask = 0xff00000000000000ull;
inline constexpr int64_t kMaxTtlMs = 0x000000ffffffffffll;  // 40 bits (emulate353TTLNodes off)
inline bool IsContainerOwner(int64_t owner) { return owner == kContainerEphemeralOwner; }
inline bool IsTtlOwner(int64_t owner) {
  return (static_cast<uint64_t>(owner) & kTtlMask) == kTtlMask;
}
inline int64_t TtlOwner(int64_t ttl_ms) {
  return static_cast<int64_t>(kTtlMask | static_cast<uint64_t>(ttl_ms));
}
inline int64_t TtlOfOwner(int64_t owner) {
  return static_cast<int64_t>(static_cast<uint64_t>(owner) & ~kTtlMask);
}
// A "normal" ephemeral: owned by a session (not a container or TTL marker).
inline bool IsSessionOwner(int64_t owner) {
  return owner != 0 && !IsContainerOwner(owner) && !IsTtlOwner(owner);
}

struct Znode {
  std::string data;
  int64_t czxid = 0;
  int64_t mzxid = 0;
  int64_t pzxid = 0;
  int64_t ctime = 0;
  int64_t mtime = 0;
  int64_t ephemeral_owner = 0;
  int32_t version = 0;
  int32_t cversion = 0;
  int32_t aversion = 0;
  AclId acl = AclCache::kOpenAclUnsafe;
  bool data_null = false;  // created with null data: getData answers a null buffer
  // Child names, viewing the tail of each child's key in the DataTree's map (stable while the
  // child exists; a child is unlinked here before it is erased there).
  std::set<std::string_view> children;
};

}  // namespace caucus::datatree
