#include "server/datatree/data_tree.h"

#include "server/base/assert.h"
#include "server/datatree/path_utils.h"

namespace caucus::datatree {
namespace {
int64_t DataLength(const std::optional<std::string>& d) {
  return d ? static_cast<int64_t>(d->size()) : 0;
}
}  // namespace

DataTree::DataTree() {
  nodes_.emplace("/", Znode{});
  AddSystemNode("/zookeeper", nullptr, 0);
  AddSystemNode("/zookeeper/quota", nullptr, 0);
  // /zookeeper/config is readable by anyone and writable by nobody but super (ZOOKEEPER-2014);
  // ZooKeeper's setACL(path, acl, -1) leaves its aversion at -1.
  jute::AclList read_only{jute::Acl{jute::perms::kRead, jute::Id{"world", "anyone"}}};
  AddSystemNode("/zookeeper/config", &read_only, -1);
}

void DataTree::AddSystemNode(std::string_view path, const jute::AclList* acl, int32_t aversion) {
  auto [it, inserted] = nodes_.emplace(std::string(path), Znode{});
  CAUCUS_ASSERT(inserted);
  if (acl) it->second.acl = acls_.Intern(*acl);
  it->second.aversion = aversion;
  FindMutable(ParentPath(path))->children.insert(BaseName(it->first));
  data_size_ += static_cast<int64_t>(path.size());
}

const Znode* DataTree::Find(std::string_view path) const {
  auto it = nodes_.find(path);
  return it == nodes_.end() ? nullptr : &it->second;
}

Znode* DataTree::FindMutable(std::string_view path) {
  auto it = nodes_.find(path);
  return it == nodes_.end() ? nullptr : &it->second;
}

jute::Stat DataTree::StatOf(const Znode& n) const {
  jute::Stat s = PersistedStatOf(n);
  s.cversion = n.cversion * 2 - s.num_children;
  if (!IsSessionOwner(n.ephemeral_owner)) s.ephemeral_owner = 0;
  return s;
}

jute::Stat DataTree::PersistedStatOf(const Znode& n) const {
  jute::Stat s;
  s.czxid = n.czxid;
  s.mzxid = n.mzxid;
  s.ctime = n.ctime;
  s.mtime = n.mtime;
  s.version = n.version;
  s.cversion = n.cversion;
  s.aversion = n.aversion;
  s.ephemeral_owner = n.ephemeral_owner;
  s.data_length = static_cast<int32_t>(n.data.size());
  s.num_children = static_cast<int32_t>(n.children.size());
  s.pzxid = n.pzxid;
  return s;
}

std::optional<std::string> DataTree::DataOf(const Znode& n) const {
  if (n.data_null) return std::nullopt;
  return n.data;
}

std::vector<std::string> DataTree::ChildrenOf(const Znode& n) const {
  return std::vector<std::string>(n.children.begin(), n.children.end());
}

int32_t DataTree::CountDescendants(std::string_view path) const {
  const Znode* n = Find(path);
  if (!n) return 0;
  int32_t total = 0;
  std::vector<std::string> stack{std::string(path)};
  while (!stack.empty()) {
    std::string p = std::move(stack.back());
    stack.pop_back();
    const Znode* cur = Find(p);
    if (!cur) continue;
    for (auto name : cur->children) {
      ++total;
      std::string child = p;
      if (child.size() > 1) child.push_back('/');
      child.append(name);
      stack.push_back(std::move(child));
    }
  }
  return total;
}

jute::Error DataTree::CreateNode(std::string_view path, const std::optional<std::string>& data,
                                 const jute::AclList& acl, int64_t ephemeral_owner,
                                 int32_t parent_cversion, int64_t zxid, int64_t time_ms,
                                 jute::Stat* out) {
  std::string_view parent_path = ParentPath(path);
  Znode* parent = FindMutable(parent_path);
  if (!parent) return jute::Error::kNoNode;
  if (nodes_.count(path)) return jute::Error::kNodeExists;
  if (parent_cversion == -1) parent_cversion = parent->cversion + 1;
  // Only move forward: replaying a log over a fuzzy snapshot may see an older value.
  if (parent_cversion > parent->cversion) {
    parent->cversion = parent_cversion;
    parent->pzxid = zxid;
  }
  auto [it, inserted] = nodes_.emplace(std::string(path), Znode{});
  CAUCUS_ASSERT(inserted);
  Znode& n = it->second;
  n.data = data.value_or(std::string());
  n.data_null = !data.has_value();
  n.czxid = n.mzxid = n.pzxid = zxid;
  n.ctime = n.mtime = time_ms;
  n.ephemeral_owner = ephemeral_owner;
  n.acl = acls_.Intern(acl);
  // `parent` stays valid: unordered_map never moves its elements.
  parent->children.insert(BaseName(it->first));
  data_size_ += static_cast<int64_t>(path.size()) + DataLength(data);
  if (IsContainerOwner(ephemeral_owner)) {
    containers_.insert(it->first);
  } else if (IsTtlOwner(ephemeral_owner)) {
    ttls_.insert(it->first);
  } else if (ephemeral_owner != 0) {
    ephemerals_[ephemeral_owner].insert(it->first);
  }
  if (out) *out = StatOf(n);
  watches_.Trigger(WatchTable::kData, path, jute::EventType::kNodeCreated, fired_);
  watches_.Trigger(WatchTable::kChild, parent_path, jute::EventType::kNodeChildrenChanged, fired_);
  return jute::Error::kOk;
}

void DataTree::Unlink(std::string_view path, const Znode& node) {
  int64_t owner = node.ephemeral_owner;
  if (IsContainerOwner(owner)) {
    containers_.erase(std::string(path));
  } else if (IsTtlOwner(owner)) {
    ttls_.erase(std::string(path));
  } else if (owner != 0) {
    auto it = ephemerals_.find(owner);
    if (it != ephemerals_.end()) {
      it->second.erase(std::string(path));
      if (it->second.empty()) ephemerals_.erase(it);
    }
  }
}

jute::Error DataTree::DeleteNode(std::string_view path, int64_t zxid) {
  std::string_view parent_path = ParentPath(path);
  Znode* parent = FindMutable(parent_path);
  auto it = nodes_.find(path);
  if (!parent || it == nodes_.end()) return jute::Error::kNoNode;
  std::string owned_path = it->first;  // `path` may view the key we are about to erase
  parent->children.erase(BaseName(owned_path));
  if (zxid > parent->pzxid) parent->pzxid = zxid;
  Unlink(owned_path, it->second);
  acls_.Release(it->second.acl);
  data_size_ -= static_cast<int64_t>(owned_path.size() + it->second.data.size());
  nodes_.erase(it);
  std::unordered_set<WatcherId> notified;
  watches_.Trigger(WatchTable::kData, owned_path, jute::EventType::kNodeDeleted, fired_, nullptr,
                   &notified);
  watches_.Trigger(WatchTable::kChild, owned_path, jute::EventType::kNodeDeleted, fired_,
                   &notified);
  watches_.Trigger(WatchTable::kChild, ParentPath(owned_path),
                   jute::EventType::kNodeChildrenChanged, fired_);
  return jute::Error::kOk;
}

jute::Error DataTree::SetData(std::string_view path, const std::optional<std::string>& data,
                              int32_t version, int64_t zxid, int64_t time_ms, jute::Stat* out) {
  Znode* n = FindMutable(path);
  if (!n) return jute::Error::kNoNode;
  data_size_ += DataLength(data) - static_cast<int64_t>(n->data.size());
  n->data = data.value_or(std::string());
  n->data_null = !data.has_value();
  n->mtime = time_ms;
  n->mzxid = zxid;
  n->version = version;
  if (out) *out = StatOf(*n);
  watches_.Trigger(WatchTable::kData, path, jute::EventType::kNodeDataChanged, fired_);
  return jute::Error::kOk;
}

jute::Error DataTree::SetAcl(std::string_view path, const jute::AclList& acl, int32_t aversion,
                             jute::Stat* out) {
  Znode* n = FindMutable(path);
  if (!n) return jute::Error::kNoNode;
  AclId id = acls_.Intern(acl);
  acls_.Release(n->acl);
  n->acl = id;
  n->aversion = aversion;
  if (out) *out = StatOf(*n);
  return jute::Error::kOk;
}

void DataTree::FixParentCversion(std::string_view parent, int32_t cversion, int64_t zxid) {
  Znode* n = FindMutable(parent);
  if (!n) return;
  if (cversion == -1) cversion = n->cversion + 1;
  if (cversion > n->cversion) {
    n->cversion = cversion;
    n->pzxid = zxid;
  }
}

jute::Error DataTree::RestoreNode(std::string_view path, std::optional<std::string> data,
                                  const jute::Stat& st, const jute::AclList& acl) {
  auto it = nodes_.find(path);
  if (it == nodes_.end()) {
    Znode* parent = path == "/" ? nullptr : FindMutable(ParentPath(path));
    if (!parent) return jute::Error::kNoNode;
    it = nodes_.emplace(std::string(path), Znode{}).first;
    parent->children.insert(BaseName(it->first));
  } else {
    Unlink(it->first, it->second);
    acls_.Release(it->second.acl);
    data_size_ -= static_cast<int64_t>(it->first.size() + it->second.data.size());
  }
  Znode& n = it->second;
  n.data_null = !data.has_value();
  n.data = data ? std::move(*data) : std::string();
  n.czxid = st.czxid;
  n.mzxid = st.mzxid;
  n.pzxid = st.pzxid;
  n.ctime = st.ctime;
  n.mtime = st.mtime;
  n.version = st.version;
  n.cversion = st.cversion;
  n.aversion = st.aversion;
  n.ephemeral_owner = st.ephemeral_owner;
  n.acl = acls_.Intern(acl);
  data_size_ += static_cast<int64_t>(it->first.size() + n.data.size());
  if (IsContainerOwner(n.ephemeral_owner)) {
    containers_.insert(it->first);
  } else if (IsTtlOwner(n.ephemeral_owner)) {
    ttls_.insert(it->first);
  } else if (n.ephemeral_owner != 0) {
    ephemerals_[n.ephemeral_owner].insert(it->first);
  }
  return jute::Error::kOk;
}

std::vector<std::string> DataTree::EphemeralsOf(int64_t session) const {
  auto it = ephemerals_.find(session);
  if (it == ephemerals_.end()) return {};
  return std::vector<std::string>(it->second.begin(), it->second.end());
}

size_t DataTree::EphemeralCount() const {
  size_t n = 0;
  for (const auto& [s, paths] : ephemerals_) n += paths.size();
  return n;
}

}  // namespace caucus::datatree
