// AclCache: interns ACL lists so that each znode stores a 4-byte id instead of a list.
// Most trees use a handful of distinct ACLs, so this is a large memory saving (ZooKeeper's
// ReferenceCountedACLCache does the same). Reference counted; an id is reused after its
// last user is gone. Not thread-safe: owned by the DataTree.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "proto/jute/records.h"

namespace caucus::datatree {

using AclId = uint32_t;

class AclCache {
 public:
  AclCache();
  // Returns the id for `acl`, adding one reference.
  AclId Intern(const jute::AclList& acl);
  void AddRef(AclId id);
  void Release(AclId id);
  const jute::AclList& Get(AclId id) const { return *entries_[id].acl; }
  // The same list, shared: valid after the id is released (request preparation holds on to
  // it while the tree changes underneath).
  const std::shared_ptr<const jute::AclList>& Shared(AclId id) const { return entries_[id].acl; }
  size_t size() const { return by_key_.size(); }

  static constexpr AclId kOpenAclUnsafe = 0;  // world:anyone, all perms; pinned forever

 private:
  struct Entry {
    std::shared_ptr<const jute::AclList> acl;
    std::string key;
    uint64_t refs = 0;
  };
  static std::string KeyOf(const jute::AclList& acl);
  std::vector<Entry> entries_;
  std::vector<AclId> free_;
  std::unordered_map<std::string, AclId> by_key_;
};

}  // namespace caucus::datatree
