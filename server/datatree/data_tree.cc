#include "server/datatree/data_tree.h"

#include <new>
#include <unordered_set>

#include "server/base/assert.h"
#include "server/datatree/path_utils.h"

namespace caucus::datatree {
namespace {
int64_t DataLength(const std::optional<std::string>& d) {
  return d ? static_cast<int64_t>(d->size()) : 0;
}
}  // namespace

// Memory per znode is a product goal: a field added to Znode must fit its padding.
static_assert(sizeof(Znode) <= 96, "Znode grew");

// One allocation: the Znode, then its path.
Znode* DataTree::NewNode(std::string_view path) {
  void* mem = ::operator new(sizeof(Znode) + path.size());
  Znode* n = ::new (mem) Znode();
  std::memcpy(reinterpret_cast<char*>(n + 1), path.data(), path.size());
  n->path_len_ = static_cast<uint32_t>(path.size());
  n->name_pos_ = static_cast<uint32_t>(path.size() <= 1 ? path.size() : path.rfind('/') + 1);
  return n;
}

void DataTree::FreeNode(Znode* n) {
  n->~Znode();
  ::operator delete(static_cast<void*>(n));
}

DataTree::DataTree() {
  Insert("/", nullptr);
  AddSystemNode("/zookeeper", nullptr, 0);
  AddSystemNode("/zookeeper/quota", nullptr, 0);
  // /zookeeper/config is readable by anyone and writable by nobody but super (ZOOKEEPER-2014);
  // ZooKeeper's setACL(path, acl, -1) leaves its aversion at -1.
  jute::AclList read_only{jute::Acl{jute::perms::kRead, jute::Id{"world", "anyone"}}};
  AddSystemNode("/zookeeper/config", &read_only, -1);
}

DataTree::~DataTree() {
  nodes_.ForEach([](Znode* n) { FreeNode(n); });
}

// Adds a node for `path` to the index and to `parent`'s children (parent null: the root).
Znode* DataTree::Insert(std::string_view path, Znode* parent) {
  Znode* n = NewNode(path);
  nodes_.Insert(n);
  if (parent) {
    if (!parent->children_) parent->children_ = std::make_unique<ChildSet>();
    parent->children_->insert(n);
  }
  data_size_ += static_cast<int64_t>(path.size());
  return n;
}

void DataTree::AddSystemNode(std::string_view path, const jute::AclList* acl, int32_t aversion) {
  CAUCUS_ASSERT(!Find(path));
  Znode* n = Insert(path, FindMutable(ParentPath(path)));
  if (acl) n->acl = acls_.Intern(*acl);
  n->aversion = aversion;
}

const Znode* DataTree::Find(std::string_view path) const { return nodes_.Find(path); }

Znode* DataTree::FindMutable(std::string_view path) { return nodes_.Find(path); }

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
  s.data_length = static_cast<int32_t>(n.data_len_);
  s.num_children = static_cast<int32_t>(n.child_count());
  s.pzxid = n.pzxid;
  return s;
}

std::optional<std::string> DataTree::DataOf(const Znode& n) const {
  if (n.data_null) return std::nullopt;
  return std::string(n.data());
}

std::vector<std::string> DataTree::ChildrenOf(const Znode& n) const {
  std::vector<std::string> out;
  if (!n.children_) return out;
  out.reserve(n.children_->size());
  for (const Znode* c : *n.children_) out.emplace_back(c->name());
  return out;
}

const Znode* DataTree::NextChild(const Znode& n, std::string_view after, bool first) const {
  if (!n.children_) return nullptr;
  auto it = first ? n.children_->begin() : n.children_->upper_bound(after);
  return it == n.children_->end() ? nullptr : *it;
}

int32_t DataTree::CountDescendants(std::string_view path) const {
  const Znode* n = Find(path);
  if (!n) return 0;
  int32_t total = 0;
  std::vector<const Znode*> stack{n};
  while (!stack.empty()) {
    const Znode* cur = stack.back();
    stack.pop_back();
    if (!cur->children_) continue;
    for (const Znode* c : *cur->children_) {
      ++total;
      stack.push_back(c);
    }
  }
  return total;
}

void DataTree::Link(const Znode& n) {
  if (IsContainerOwner(n.ephemeral_owner)) {
    containers_.emplace(n.path());
  } else if (IsTtlOwner(n.ephemeral_owner)) {
    ttls_.emplace(n.path());
  } else if (n.ephemeral_owner != 0) {
    ephemerals_[n.ephemeral_owner].emplace(n.path());
  }
}

void DataTree::Unlink(const Znode& node) {
  int64_t owner = node.ephemeral_owner;
  std::string path(node.path());
  if (IsContainerOwner(owner)) {
    containers_.erase(path);
  } else if (IsTtlOwner(owner)) {
    ttls_.erase(path);
  } else if (owner != 0) {
    auto it = ephemerals_.find(owner);
    if (it != ephemerals_.end()) {
      it->second.erase(path);
      if (it->second.empty()) ephemerals_.erase(it);
    }
  }
}

jute::Error DataTree::CreateNode(std::string_view path, const std::optional<std::string>& data,
                                 const jute::AclList& acl, int64_t ephemeral_owner,
                                 int32_t parent_cversion, int64_t zxid, int64_t time_ms,
                                 jute::Stat* out) {
  std::string_view parent_path = ParentPath(path);
  Znode* parent = FindMutable(parent_path);
  if (!parent) return jute::Error::kNoNode;
  if (Find(path)) return jute::Error::kNodeExists;
  if (parent_cversion == -1) parent_cversion = parent->cversion + 1;
  // Only move forward: replaying a log over a fuzzy snapshot may see an older value.
  if (parent_cversion > parent->cversion) {
    parent->cversion = parent_cversion;
    parent->pzxid = zxid;
  }
  Znode* n = Insert(path, parent);
  n->SetData(data ? std::string_view(*data) : std::string_view());
  n->data_null = !data.has_value();
  n->czxid = n->mzxid = n->pzxid = zxid;
  n->ctime = n->mtime = time_ms;
  n->ephemeral_owner = ephemeral_owner;
  n->acl = acls_.Intern(acl);
  data_size_ += DataLength(data);
  Link(*n);
  if (out) *out = StatOf(*n);
  watches_.Trigger(WatchTable::kData, path, jute::EventType::kNodeCreated, fired_);
  watches_.Trigger(WatchTable::kChild, parent_path, jute::EventType::kNodeChildrenChanged, fired_);
  return jute::Error::kOk;
}

jute::Error DataTree::DeleteNode(std::string_view path, int64_t zxid) {
  Znode* n = FindMutable(path);
  Znode* parent = n ? FindMutable(ParentPath(n->path())) : nullptr;
  if (!n || !parent) return jute::Error::kNoNode;
  std::string owned_path(n->path());  // `path` may view the node we are about to free
  parent->children_->erase(n);
  if (zxid > parent->pzxid) parent->pzxid = zxid;
  Unlink(*n);
  acls_.Release(n->acl);
  data_size_ -= static_cast<int64_t>(owned_path.size() + n->data_len_);
  nodes_.Erase(n);
  FreeNode(n);
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
  data_size_ += DataLength(data) - static_cast<int64_t>(n->data_len_);
  n->SetData(data ? std::string_view(*data) : std::string_view());
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

const Znode* DataTree::RestoreNode(const StoredNode& stored, const Znode* parent_hint) {
  // A fresh tree holds only the system nodes, so the common case is a new node; the insertion
  // then probes the slots the lookup just brought into the cache.
  std::string_view path = stored.path;
  Znode* n = nodes_.Find(path, stored.path_hash);
  if (!n) {
    Znode* parent = nullptr;
    if (path != "/") {
      std::string_view pp = ParentPath(path);
      parent = parent_hint && parent_hint->path() == pp ? const_cast<Znode*>(parent_hint)
                                                         : FindMutable(pp);
      if (!parent) return nullptr;
    }
    n = NewNode(path);
    nodes_.Insert(n, stored.path_hash);
    if (parent) {
      if (!parent->children_) parent->children_ = std::make_unique<ChildSet>();
      // Snapshots list siblings in name order: hinting the end makes each insert O(1).
      parent->children_->insert(parent->children_->end(), n);
    }
    data_size_ += static_cast<int64_t>(path.size());
  } else {
    Unlink(*n);
    acls_.Release(n->acl);
    data_size_ -= static_cast<int64_t>(n->data_len_);
  }
  const jute::Stat& st = stored.stat;
  n->data_null = stored.data_null;
  n->SetData(stored.data);
  n->czxid = st.czxid;
  n->mzxid = st.mzxid;
  n->pzxid = st.pzxid;
  n->ctime = st.ctime;
  n->mtime = st.mtime;
  n->version = st.version;
  n->cversion = st.cversion;
  n->aversion = st.aversion;
  n->ephemeral_owner = st.ephemeral_owner;
  acls_.AddRef(stored.acl);
  n->acl = stored.acl;
  data_size_ += static_cast<int64_t>(n->data_len_);
  Link(*n);
  return n;
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
