#include "server/datatree/acl_cache.h"

#include "proto/jute/opcodes.h"
#include "server/base/assert.h"

namespace caucus::datatree {

AclCache::AclCache() {
  jute::AclList open{jute::Acl{jute::perms::kAll, jute::Id{"world", "anyone"}}};
  AclId id = Intern(open);
  CAUCUS_ASSERT(id == kOpenAclUnsafe);
}

std::string AclCache::KeyOf(const jute::AclList& acl) {
  std::string key;
  jute::OutArchive a(key);
  jute::WriteAclList(a, acl);
  return key;
}

AclId AclCache::Intern(const jute::AclList& acl) {
  std::string key = KeyOf(acl);
  auto it = by_key_.find(key);
  if (it != by_key_.end()) {
    ++entries_[it->second].refs;
    return it->second;
  }
  AclId id;
  if (!free_.empty()) {
    id = free_.back();
    free_.pop_back();
  } else {
    id = static_cast<AclId>(entries_.size());
    entries_.emplace_back();
  }
  entries_[id] = Entry{std::make_shared<const jute::AclList>(acl), key, 1};
  by_key_.emplace(std::move(key), id);
  return id;
}

// kOpenAclUnsafe is pinned and not reference counted, so nodes may hold it without a
// reference (the system nodes do).
void AclCache::AddRef(AclId id) {
  if (id == kOpenAclUnsafe) return;
  CAUCUS_ASSERT(id < entries_.size() && entries_[id].refs > 0);
  ++entries_[id].refs;
}

void AclCache::Release(AclId id) {
  if (id == kOpenAclUnsafe) return;
  CAUCUS_ASSERT(id < entries_.size() && entries_[id].refs > 0);
  if (--entries_[id].refs > 0) return;
  by_key_.erase(entries_[id].key);
  entries_[id] = Entry{};
  free_.push_back(id);
}

}  // namespace caucus::datatree
