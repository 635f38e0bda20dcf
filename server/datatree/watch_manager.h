// WatchManager: who watches which path, and which watchers a change notifies.
//
// Mirrors ZooKeeper's two watch tables: the data table (getData/exists watches, persistent
// and persistent-recursive watches) and the child table (getChildren watches and persistent
// watches). One-shot watches are removed when they fire; persistent ones stay; recursive ones
// also fire for every descendant, except for NodeChildrenChanged. A watcher is notified at
// most once per trigger. Watchers are opaque ids (one per client connection).
// Not thread-safe: owned by the DataTree, driven by the core thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "proto/jute/opcodes.h"

namespace caucus::datatree {

using WatcherId = uint64_t;

struct FiredWatch {
  WatcherId watcher;
  jute::EventType type;
  std::string path;
};

enum class WatchTable { kData, kChild };

class WatchManager {
 public:
  void AddStandard(WatchTable table, std::string_view path, WatcherId w);
  void AddPersistent(std::string_view path, WatcherId w, bool recursive);
  // Appends one FiredWatch per notified watcher to `out`; watchers in `skip` are not notified
  // (ZooKeeper's "supress" set, used when a delete fires both tables).
  void Trigger(WatchTable table, std::string_view path, jute::EventType type,
               std::vector<FiredWatch>& out, const std::unordered_set<WatcherId>* skip = nullptr,
               std::unordered_set<WatcherId>* notified = nullptr);
  bool Contains(std::string_view path, jute::WatcherType type, WatcherId w) const;
  // Removes the watches of `type` that `w` holds on `path`; false when there was none.
  // (The client library, not the server, raises the *WatchRemoved events.)
  bool Remove(std::string_view path, jute::WatcherType type, WatcherId w);
  void RemoveWatcher(WatcherId w);

  size_t WatchCount() const;
  size_t PathCount() const;
  size_t WatcherCount() const;
  // For `wchc`-style dumps: every (watcher, path) pair.
  std::vector<std::pair<WatcherId, std::string>> Dump() const;

 private:
  enum Mode : uint8_t { kStandard = 1, kPersistent = 2, kRecursive = 4 };
  using PathWatchers = std::unordered_map<WatcherId, uint8_t>;
  struct PathHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct Table {
    // Looked up by string_view: a write must not allocate to learn nobody watches.
    std::unordered_map<std::string, PathWatchers, PathHash, std::equal_to<>> by_path;
    std::unordered_map<WatcherId, std::unordered_set<std::string>> by_watcher;
  };
  Table& Get(WatchTable t) { return t == WatchTable::kData ? data_ : child_; }
  const Table& Get(WatchTable t) const { return t == WatchTable::kData ? data_ : child_; }
  void Add(Table& t, std::string_view path, WatcherId w, uint8_t mode);
  bool ClearBits(Table& t, std::string_view path, WatcherId w, uint8_t bits);
  uint8_t ModeOf(const Table& t, std::string_view path, WatcherId w) const;

  Table data_;
  Table child_;
  size_t recursive_count_ = 0;  // skip the ancestor walk when nobody watches recursively
};

}  // namespace caucus::datatree
