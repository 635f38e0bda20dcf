// PendingChanges: the state of znodes as changed by transactions that are prepared but not
// yet applied (ZooKeeper's outstandingChanges). Prepare validates each new request against
// the tree *plus* these changes, so that requests can be pipelined while earlier ones are
// still being made durable or replicated.
// Not thread-safe: owned by the core thread.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <memory_resource>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "proto/jute/records.h"
#include "server/datatree/data_tree.h"

namespace caucus::txn {

// The view of one znode that validation needs.
struct ChangeRecord {
  int64_t zxid = 0;
  bool exists = false;
  jute::Stat stat;  // as persisted (see DataTree::PersistedStatOf); num_children unused
  int32_t child_count = 0;
  // Shared with the tree's ACL cache or other records: copying a record is cheap.
  std::shared_ptr<const jute::AclList> acl;
};

class PendingChanges {
 public:
  using Map = std::pmr::unordered_map<std::pmr::string, ChangeRecord, datatree::StringHash,
                                      std::equal_to<>>;
  PendingChanges() = default;
  PendingChanges(const PendingChanges&) = delete;
  PendingChanges& operator=(const PendingChanges&) = delete;

  // The latest pending record for `path`, if any (including "deleted" records).
  const ChangeRecord* Find(std::string_view path) const;
  void Put(std::string_view path, ChangeRecord rec);
  // Drops the records of every transaction up to and including `zxid` once it is applied.
  void OnApplied(int64_t zxid);
  // Drops every record (the transactions they came from will never be applied).
  void Clear();
  // Every path with a pending record, for closeSession's ephemeral scan.
  const Map& records() const { return by_path_; }
  size_t size() const { return by_path_.size(); }

 private:
  // Records live for one write's round trip through the log: a pool recycles their memory
  // (map nodes and path strings) without the general allocator, every write, twice.
  std::pmr::unsynchronized_pool_resource pool_;
  Map by_path_{&pool_};
  // Each write's records in zxid order, by their key in by_path_ (stable: a map node is
  // erased only at its path's last entry here, see OnApplied).
  std::pmr::deque<std::pair<int64_t, const std::pmr::string*>> order_{&pool_};
};

}  // namespace caucus::txn
