// What NodeCache and TreeCache report to their listeners (Curator's ChildData and
// TreeCacheEvent, reduced to what a mirror needs).
#pragma once

#include <functional>
#include <string>

#include "caucus/types.h"

namespace caucus::recipes {

// One mirrored znode. `stat` is as of the last read of the node: its data fields are exact,
// its child counters (cversion, numChildren, pzxid) may lag behind child changes.
struct ChildData {
  std::string path;
  std::string data;
  Stat stat;
  bool operator==(const ChildData&) const = default;
};

enum class CacheEventType {
  kAdded,        // a node appeared in the mirror (also for each node of the initial load)
  kUpdated,      // its data changed (or it was deleted and created again)
  kRemoved,      // it is gone
  kInitialized,  // the initial load is complete (once; `node` is empty)
};
const char* CacheEventTypeName(CacheEventType t);

struct CacheEvent {
  CacheEventType type = CacheEventType::kAdded;
  ChildData node;  // for kRemoved: the last data the mirror had
};
using CacheListener = std::function<void(const CacheEvent&)>;

}  // namespace caucus::recipes
