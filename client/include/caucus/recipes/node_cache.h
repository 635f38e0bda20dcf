// NodeCache: a local mirror of one znode's data and stat, kept current by a persistent watch
// (Curator's NodeCache). The node may not exist; its creation, changes and deletion are all
// reported.
//
//   caucus::recipes::NodeCache flag(client, "/features/new-ui");
//   flag.AddListener([](const caucus::recipes::CacheEvent& e) { apply(e); });
//   flag.Start();
//   bool on = flag.Current() && flag.Current()->data == "on";
//
// Semantics and faults as TreeCache with max_depth 0: kAdded/kUpdated/kRemoved for the node,
// kInitialized once after the first read; after a reconnect or a new session the node is
// read again and any change meanwhile is reported.
//
// Thread-safety: as TreeCache.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "caucus/client.h"
#include "caucus/recipes/cache_event.h"

namespace caucus::recipes {

class CacheEngine;

class NodeCache {
 public:
  NodeCache(Client& client, std::string path);
  ~NodeCache();  // Close()s
  NodeCache(const NodeCache&) = delete;
  NodeCache& operator=(const NodeCache&) = delete;

  void AddListener(CacheListener listener);
  void Start();
  // Stops the cache and removes this client's persistent watch on the path. Idempotent.
  void Close();
  bool AwaitInitialized(std::chrono::milliseconds timeout);
  // The node as last seen; nullopt if it does not exist (or before the first read).
  std::optional<ChildData> Current() const;

 private:
  std::string path_;
  std::unique_ptr<CacheEngine> engine_;
};

}  // namespace caucus::recipes
