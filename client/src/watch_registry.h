// WatchRegistry: the client's record of which watchers wait for which events
// (ZooKeeper's ZKWatchManager). Paths are client paths (chroot stripped).
//
// Not thread-safe: owned by the I/O thread. It only stores and selects watchers; running them
// is the caller's job (on the callback executor).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "caucus/types.h"

namespace caucus::client {

enum class WatchKind { kNone, kData, kExist, kChild, kPersistent, kPersistentRecursive };

class WatchRegistry {
 public:
  void Add(WatchKind kind, const std::string& path, Watcher w);
  // The watchers an event fires, in a stable order; one-shot watchers are removed.
  std::vector<Watcher> Trigger(EventType type, const std::string& path);
  // Removes the watchers of `type` on path and returns them with the event each should get.
  std::vector<std::pair<Watcher, EventType>> Remove(const std::string& path, WatcherType type);
  // Whether this client has a watch of `type` on path (checkWatches' local half).
  bool Has(const std::string& path, WatcherType type) const;
  // Removes and returns every watcher (session expiry / close).
  std::vector<Watcher> TakeAll();
  bool empty() const;

  // Paths per kind, for setWatches after a reconnect.
  std::vector<std::string> Paths(WatchKind kind) const;

 private:
  using Table = std::map<std::string, std::vector<Watcher>>;
  Table& TableOf(WatchKind kind);
  const Table& TableOf(WatchKind kind) const;
  static void Take(Table& t, const std::string& path, std::vector<Watcher>& out);
  static void Copy(const Table& t, const std::string& path, std::vector<Watcher>& out);

  Table data_, exist_, child_, persistent_, recursive_;
};

}  // namespace caucus::client
