// TreeCache: a local mirror of a subtree, kept current by one persistent recursive watch
// (Curator's TreeCache). Reads are local and never block on the network.
//
//   caucus::recipes::TreeCache config(client, "/config");
//   config.AddListener([](const caucus::recipes::CacheEvent& e) { reload(e.node.path); });
//   config.Start();
//   config.AwaitInitialized(10s);
//   auto db = config.Get("/config/db");      // optional<ChildData>, from the mirror
//
// Listeners see kAdded for each node of the initial load, then kInitialized once, then
// kAdded/kUpdated/kRemoved as other clients change the subtree. Each watch event triggers a
// read of that one node on the cache's own thread; reads apply in order, so the mirror never
// goes back in time, and it converges to the server's state once changes stop. Rapid
// changes to one node may be reported as one update (the mirror shows the latest data).
//
// Faults: after a reconnect, or a new session after expiry (which loses the watch: it is
// added again), the cache walks the subtree and reports what changed meanwhile, as events.
// While disconnected it keeps serving its last state. The root may be absent at first or
// deleted later; the mirror follows it. Needs ZooKeeper 3.6+ (addWatch).
//
// Thread-safety: all methods may be called from any thread. Listeners run on the cache's
// thread, one event at a time; they must not throw or call Close().
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "caucus/client.h"
#include "caucus/recipes/cache_event.h"

namespace caucus::recipes {

class CacheEngine;

class TreeCache {
 public:
  // `max_depth`: how many levels below root are mirrored (0: root only); < 0: all.
  TreeCache(Client& client, std::string root, int max_depth = -1);
  ~TreeCache();  // Close()s
  TreeCache(const TreeCache&) = delete;
  TreeCache& operator=(const TreeCache&) = delete;

  // Listeners added before Start() see the initial load.
  void AddListener(CacheListener listener);
  void Start();
  // Stops the cache thread and removes this client's persistent recursive watch on root (so
  // don't run two caches on the same root with the same client). Idempotent.
  void Close();
  // Waits for the initial load; false on timeout.
  bool AwaitInitialized(std::chrono::milliseconds timeout);

  // The mirrored node at `path` (an absolute path in the subtree).
  std::optional<ChildData> Get(const std::string& path) const;
  // Names of the mirrored children of `path`, sorted.
  std::vector<std::string> Children(const std::string& path) const;
  size_t size() const;

 private:
  std::unique_ptr<CacheEngine> engine_;
};

}  // namespace caucus::recipes
