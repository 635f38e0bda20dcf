// Znode: one node of the data tree, laid out for memory: memory per znode is a product goal
// (docs/performance.md). A Znode is one allocation holding its fields and its full path; the
// data is one more allocation of exactly its size; the ACL is an interned 4-byte id; a leaf
// has no child container at all. The DataTree's index and each parent's child set hold
// pointers to it, and the child set orders children by name through those pointers.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
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

struct Znode;

// Orders children by name (the last path component), looked up by name without a copy.
struct ChildNameLess {
  using is_transparent = void;
  bool operator()(const Znode* a, const Znode* b) const;
  bool operator()(const Znode* a, std::string_view b) const;
  bool operator()(std::string_view a, const Znode* b) const;
};
using ChildSet = std::set<const Znode*, ChildNameLess>;

struct Znode {
  int64_t czxid = 0;
  int64_t mzxid = 0;
  int64_t pzxid = 0;
  int64_t ctime = 0;
  int64_t mtime = 0;
  int64_t ephemeral_owner = 0;
  int32_t version = 0;
  int32_t cversion = 0;  // as stored: the number of child creates (see DataTree::StatOf)
  int32_t aversion = 0;
  AclId acl = AclCache::kOpenAclUnsafe;
  bool data_null = false;  // created with null data: getData answers a null buffer

 private:
  uint32_t name_pos_ = 0;  // where the last path component starts (fills padding)

 public:

  // The path is stored right after the struct, in the same allocation.
  std::string_view path() const { return {reinterpret_cast<const char*>(this + 1), path_len_}; }
  // The child sets compare names on every step of a lookup: kept, not searched for.
  std::string_view name() const { return path().substr(name_pos_); }
  std::string_view data() const { return {data_.get(), data_len_}; }
  size_t child_count() const { return children_ ? children_->size() : 0; }
  bool has_children() const { return child_count() > 0; }

 private:
  friend class DataTree;
  void SetData(std::string_view d) {
    data_len_ = static_cast<uint32_t>(d.size());
    data_.reset();
    if (!d.empty()) {
      data_ = std::make_unique_for_overwrite<char[]>(d.size());
      std::memcpy(data_.get(), d.data(), d.size());
    }
  }

  std::unique_ptr<char[]> data_;
  std::unique_ptr<ChildSet> children_;  // null for a node that never had a child
  uint32_t data_len_ = 0;
  uint32_t path_len_ = 0;
};

inline bool ChildNameLess::operator()(const Znode* a, const Znode* b) const {
  return a->name() < b->name();
}
inline bool ChildNameLess::operator()(const Znode* a, std::string_view b) const {
  return a->name() < b;
}
inline bool ChildNameLess::operator()(std::string_view a, const Znode* b) const {
  return a < b->name();
}

}  // namespace caucus::datatree
