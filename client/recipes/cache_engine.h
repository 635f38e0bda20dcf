// CacheEngine: the mirror behind NodeCache (depth 0) and TreeCache. Internal to
// caucus_recipes.
//
// One persistent watch on the root (recursive unless depth 0) turns every change into a
// refresh of that one path. A single worker thread does all reads and applies them in order,
// so a mirror entry never goes back in time and listeners see one event at a time. After a
// reconnect, a full resync (walk and diff) catches up on what the persistent watch cannot
// replay; after a new session, the watch is added again first.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "caucus/client.h"
#include "caucus/recipes/cache_event.h"

namespace caucus::recipes {

class CacheEngine {
 public:
  // max_depth: levels below root that are mirrored; < 0: all.
  CacheEngine(Client& client, std::string root, int max_depth);
  ~CacheEngine();  // Close()s
  CacheEngine(const CacheEngine&) = delete;
  CacheEngine& operator=(const CacheEngine&) = delete;

  void AddListener(CacheListener listener);
  void Start();
  void Close();
  bool AwaitInitialized(std::chrono::milliseconds timeout);
  std::optional<ChildData> Get(const std::string& path) const;
  std::vector<std::string> Children(const std::string& path) const;
  size_t size() const;

  struct Inbox;  // shared (weakly) with the watch and the session listener

 private:
  void Run();
  void Refresh(const std::string& path);
  void Resync();
  void EnsureWatch();
  // Records `d` for path; appends the event, if any, to `out`.
  void Apply(const std::string& path, const DataResult& d, std::vector<CacheEvent>& out);
  void RemoveSubtree(const std::string& path, std::vector<CacheEvent>& out);
  void Emit(const std::vector<CacheEvent>& events);
  // Levels below root; -1 if path is not in the mirrored subtree.
  int DepthOf(const std::string& path) const;
  bool Mirrored(const std::string& path) const;
  std::string ChildPrefix(const std::string& path) const;

  Client& client_;
  std::string root_;
  int max_depth_;
  std::shared_ptr<Inbox> inbox_;
  int64_t watched_session_ = 0;  // worker thread only
  mutable std::mutex mu_;        // guards the members below
  std::condition_variable initialized_cv_;
  std::map<std::string, ChildData> nodes_;
  std::vector<CacheListener> listeners_;
  bool initialized_ = false;
  bool started_ = false;
  int session_listener_ = 0;
  std::thread thread_;
};

}  // namespace caucus::recipes
