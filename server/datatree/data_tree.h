// DataTree: the znode hierarchy with ZooKeeper's exact Stat semantics, ephemeral ownership,
// container and TTL bookkeeping, and the watch tables.
//
// Mutations are the primitive steps of ZooKeeper's DataTree (createNode, deleteNode,
// setData, setACL). They are deterministic and are only called while applying committed
// transactions in zxid order, so every replica that applies the same log reaches the same
// tree. Validation happens before, in txn::Prepare. Fired watches are queued and drained
// by the caller after each transaction (TakeFiredWatches).
// Not thread-safe: owned by the core thread.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "proto/jute/errors.h"
#include "proto/jute/records.h"
#include "server/datatree/acl_cache.h"
#include "server/datatree/node_index.h"
#include "server/datatree/watch_manager.h"
#include "server/datatree/znode.h"

namespace caucus::datatree {

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

class DataTree {
 public:
  DataTree();
  ~DataTree();
  DataTree(const DataTree&) = delete;
  DataTree& operator=(const DataTree&) = delete;

  const Znode* Find(std::string_view path) const;
  // The Stat clients see: cversion is reported as 2 * (child creates) - numChildren, and
  // container/TTL markers show as ephemeralOwner 0 (ZooKeeper's DataNode.copyStat).
  jute::Stat StatOf(const Znode& n) const;
  // The Stat as stored (cversion = number of child creates, the raw ephemeralOwner), which is
  // what validation and sequence numbers use.
  jute::Stat PersistedStatOf(const Znode& n) const;
  const jute::AclList& AclOf(const Znode& n) const { return acls_.Get(n.acl); }
  const std::shared_ptr<const jute::AclList>& SharedAclOf(const Znode& n) const {
    return acls_.Shared(n.acl);
  }
  std::optional<std::string> DataOf(const Znode& n) const;
  std::vector<std::string> ChildrenOf(const Znode& n) const;
  // The first child of `n` whose name sorts after `after` (the first child when `first`);
  // null at the end. Lets a walker resume by name while the tree changes under it.
  const Znode* NextChild(const Znode& n, std::string_view after, bool first) const;
  // Calls `visit` on the children of `n` after `after` (from the first when `first`), in
  // name order, until it returns false; the tree must not change meanwhile. One lookup for a
  // run of children, where NextChild costs one per child.
  template <typename Visit>
  void VisitChildrenAfter(const Znode& n, std::string_view after, bool first,
                          Visit&& visit) const {
    if (!n.children_) return;
    auto it = first ? n.children_->begin() : n.children_->upper_bound(after);
    for (; it != n.children_->end(); ++it) {
      if (!visit(**it)) return;
    }
  }
  // Number of descendants (getAllChildrenNumber).
  int32_t CountDescendants(std::string_view path) const;

  // --- Primitive mutations (apply path only) ---
  // parent_cversion: the parent's cversion after this create (from the txn), as ZooKeeper.
  jute::Error CreateNode(std::string_view path, const std::optional<std::string>& data,
                         const jute::AclList& acl, int64_t ephemeral_owner,
                         int32_t parent_cversion, int64_t zxid, int64_t time_ms,
                         jute::Stat* out);
  jute::Error DeleteNode(std::string_view path, int64_t zxid);
  jute::Error SetData(std::string_view path, const std::optional<std::string>& data,
                      int32_t version, int64_t zxid, int64_t time_ms, jute::Stat* out);
  jute::Error SetAcl(std::string_view path, const jute::AclList& acl, int32_t aversion,
                     jute::Stat* out);

  // Log replay over a fuzzy snapshot: a create that finds its node already present still moves
  // the parent's cversion/pzxid forward (ZooKeeper's setCversionPzxid).
  void FixParentCversion(std::string_view parent, int32_t cversion, int64_t zxid);
  // --- Snapshot loading ---
  // A node as a snapshot stores it.
  struct StoredNode {
    std::string_view path;
    uint64_t path_hash = 0;  // NodeIndex::Hash(path), which the loader computes ahead
    std::string_view data;
    bool data_null = false;
    jute::Stat stat;         // cversion as stored (see PersistedStatOf)
    AclId acl = AclCache::kOpenAclUnsafe;  // from InternAcl
  };
  // Creates or overwrites a node. The parent must exist (snapshots list parents first);
  // `parent_hint`, when the caller already knows the parent node, saves an index lookup per
  // node. Returns the node, or null when the parent is missing.
  const Znode* RestoreNode(const StoredNode& stored, const Znode* parent_hint = nullptr);
  // A loader interns each ACL list of a snapshot once, holding one reference to it until it
  // is done; RestoreNode takes one more per node.
  AclId InternAcl(const jute::AclList& acl) { return acls_.Intern(acl); }
  void ReleaseAcl(AclId id) { acls_.Release(id); }
  // Starts loading the index slot of a path about to be restored (see NodeIndex::Prefetch).
  void PrefetchIndex(uint64_t path_hash) const { nodes_.Prefetch(path_hash); }

  // Ephemerals owned by `session` (sorted), containers and TTL nodes (for the reaper).
  std::vector<std::string> EphemeralsOf(int64_t session) const;
  const std::set<std::string>& containers() const { return containers_; }
  const std::set<std::string>& ttls() const { return ttls_; }
  size_t EphemeralCount() const;

  WatchManager& watches() { return watches_; }
  const WatchManager& watches() const { return watches_; }
  std::vector<FiredWatch> TakeFiredWatches() { return std::move(fired_); }

  size_t node_count() const { return nodes_.size(); }
  // Pre-sizes the index for `n` nodes (recovery knows the count in advance).
  void Reserve(size_t n) { nodes_.Reserve(n); }
  // Sum of path and data lengths, ZooKeeper's approximateDataSize (mntr zk_approximate_data_size).
  int64_t approximate_data_size() const { return data_size_; }
  int64_t last_processed_zxid() const { return last_processed_zxid_; }
  void set_last_processed_zxid(int64_t z) { last_processed_zxid_ = z; }

 private:
  static Znode* NewNode(std::string_view path);
  static void FreeNode(Znode* n);

  Znode* FindMutable(std::string_view path);
  Znode* Insert(std::string_view path, Znode* parent);
  void AddSystemNode(std::string_view path, const jute::AclList* acl, int32_t aversion);
  void Link(const Znode& node);
  void Unlink(const Znode& node);

  NodeIndex nodes_;  // owns the nodes (allocated with their path inline, see Znode)
  AclCache acls_;
  std::map<int64_t, std::set<std::string>> ephemerals_;
  std::set<std::string> containers_;
  std::set<std::string> ttls_;
  WatchManager watches_;
  std::vector<FiredWatch> fired_;
  int64_t data_size_ = 0;
  int64_t last_processed_zxid_ = 0;
};

}  // namespace caucus::datatree
