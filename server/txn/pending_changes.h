// PendingChanges: the state of znodes as changed by transactions that are prepared but not
// yet applied (ZooKeeper's outstandingChanges). Prepare validates each new request against
// the tree *plus* these changes, so that requests can be pipelined while earlier ones are
// still being made durable or replicated.
// Not thread-safe: owned by the core thread.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
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
  // The latest pending record for `path`, if any (including "deleted" records).
  const ChangeRecord* Find(std::string_view path) const;
  void Put(const std::string& path, ChangeRecord rec);
  // Drops the records of every transaction up to and including `zxid` once it is applied.
  void OnApplied(int64_t zxid);
  // Every path with a pending record, for closeSession's ephemeral scan.
  const std::unordered_map<std::string, ChangeRecord, datatree::StringHash, std::equal_to<>>&
  records() const {
    return by_path_;
  }
  size_t size() const { return by_path_.size(); }

 private:
  std::unordered_map<std::string, ChangeRecord, datatree::StringHash, std::equal_to<>> by_path_;
  std::deque<std::pair<int64_t, std::string>> order_;
};

}  // namespace caucus::txn
