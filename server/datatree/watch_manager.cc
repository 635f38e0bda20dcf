#include "server/datatree/watch_manager.h"

#include "server/datatree/path_utils.h"

namespace caucus::datatree {

void WatchManager::Add(Table& t, std::string_view path, WatcherId w, uint8_t mode) {
  auto it = t.by_path.find(path);
  if (it == t.by_path.end()) it = t.by_path.emplace(std::string(path), PathWatchers{}).first;
  uint8_t& bits = it->second[w];
  if ((mode & kRecursive) && !(bits & kRecursive)) ++recursive_count_;
  bits |= mode;
  t.by_watcher[w].insert(it->first);
}

void WatchManager::AddStandard(WatchTable table, std::string_view path, WatcherId w) {
  Add(Get(table), path, w, kStandard);
}

void WatchManager::AddPersistent(std::string_view path, WatcherId w, bool recursive) {
  Add(data_, path, w, recursive ? kRecursive : kPersistent);
  // Recursive watches never receive NodeChildrenChanged, so only plain persistent ones go in
  // the child table (ZooKeeper DataTree.addWatch).
  if (!recursive) Add(child_, path, w, kPersistent);
}

bool WatchManager::ClearBits(Table& t, std::string_view path, WatcherId w, uint8_t bits) {
  auto it = t.by_path.find(path);
  if (it == t.by_path.end()) return false;
  auto wit = it->second.find(w);
  if (wit == it->second.end() || (wit->second & bits) == 0) return false;
  if ((wit->second & bits & kRecursive) != 0) --recursive_count_;
  wit->second &= static_cast<uint8_t>(~bits);
  if (wit->second == 0) {
    it->second.erase(wit);
    auto bw = t.by_watcher.find(w);
    if (bw != t.by_watcher.end()) {
      bw->second.erase(it->first);
      if (bw->second.empty()) t.by_watcher.erase(bw);
    }
    if (it->second.empty()) t.by_path.erase(it);
  }
  return true;
}

uint8_t WatchManager::ModeOf(const Table& t, std::string_view path, WatcherId w) const {
  auto it = t.by_path.find(path);
  if (it == t.by_path.end()) return 0;
  auto wit = it->second.find(w);
  return wit == it->second.end() ? 0 : wit->second;
}

void WatchManager::Trigger(WatchTable table, std::string_view path, jute::EventType type,
                           std::vector<FiredWatch>& out, const std::unordered_set<WatcherId>* skip,
                           std::unordered_set<WatcherId>* notified) {
  Table& t = Get(table);
  // The common case for a write: nobody watches anything it could trigger.
  if (t.by_path.empty()) return;
  std::unordered_set<WatcherId> seen;
  std::vector<WatcherId> one_shot;
  auto notify = [&](WatcherId w) {
    if (!seen.insert(w).second) return;
    if (notified) notified->insert(w);
    if (skip && skip->count(w)) return;
    out.push_back(FiredWatch{w, type, std::string(path)});
  };
  if (auto it = t.by_path.find(path); it != t.by_path.end()) {
    for (auto& [w, bits] : it->second) {
      bool recursive_fires = (bits & kRecursive) && type != jute::EventType::kNodeChildrenChanged;
      if ((bits & (kStandard | kPersistent)) || recursive_fires) notify(w);
      if (bits & kStandard) one_shot.push_back(w);
    }
  }
  for (WatcherId w : one_shot) ClearBits(t, path, w, kStandard);
  if (recursive_count_ == 0 || type == jute::EventType::kNodeChildrenChanged) return;
  for (std::string_view p = path; p != "/";) {
    p = ParentPath(p);
    auto it = t.by_path.find(p);
    if (it == t.by_path.end()) continue;
    for (auto& [w, bits] : it->second) {
      if (bits & kRecursive) notify(w);
    }
  }
}

bool WatchManager::Contains(std::string_view path, jute::WatcherType type, WatcherId w) const {
  switch (type) {
    case jute::WatcherType::kChildren: return ModeOf(child_, path, w) != 0;
    case jute::WatcherType::kData: return ModeOf(data_, path, w) != 0;
    case jute::WatcherType::kAny: return ModeOf(child_, path, w) != 0 || ModeOf(data_, path, w) != 0;
    case jute::WatcherType::kPersistent: return (ModeOf(data_, path, w) & kPersistent) != 0;
    case jute::WatcherType::kPersistentRecursive: return (ModeOf(data_, path, w) & kRecursive) != 0;
  }
  return false;
}

bool WatchManager::Remove(std::string_view path, jute::WatcherType type, WatcherId w) {
  constexpr uint8_t kAll = kStandard | kPersistent | kRecursive;
  switch (type) {
    case jute::WatcherType::kChildren: return ClearBits(child_, path, w, kAll);
    case jute::WatcherType::kData: return ClearBits(data_, path, w, kAll);
    case jute::WatcherType::kAny: {
      bool a = ClearBits(child_, path, w, kAll);
      bool b = ClearBits(data_, path, w, kAll);
      return a || b;
    }
    case jute::WatcherType::kPersistent: {
      bool a = ClearBits(child_, path, w, kPersistent);
      bool b = ClearBits(data_, path, w, kPersistent);
      return a || b;
    }
    case jute::WatcherType::kPersistentRecursive: return ClearBits(data_, path, w, kRecursive);
  }
  return false;
}

void WatchManager::RemoveWatcher(WatcherId w) {
  for (Table* t : {&data_, &child_}) {
    auto bw = t->by_watcher.find(w);
    if (bw == t->by_watcher.end()) continue;
    std::vector<std::string> paths(bw->second.begin(), bw->second.end());
    for (const auto& p : paths) ClearBits(*t, p, w, kStandard | kPersistent | kRecursive);
  }
}

size_t WatchManager::WatchCount() const {
  size_t n = 0;
  for (const Table* t : {&data_, &child_}) {
    for (const auto& [p, ws] : t->by_path) n += ws.size();
  }
  return n;
}

size_t WatchManager::PathCount() const { return data_.by_path.size() + child_.by_path.size(); }

size_t WatchManager::WatcherCount() const {
  std::unordered_set<WatcherId> all;
  for (const Table* t : {&data_, &child_}) {
    for (const auto& [w, ps] : t->by_watcher) all.insert(w);
  }
  return all.size();
}

std::vector<std::pair<WatcherId, std::string>> WatchManager::Dump() const {
  std::vector<std::pair<WatcherId, std::string>> out;
  for (const Table* t : {&data_, &child_}) {
    for (const auto& [w, ps] : t->by_watcher) {
      for (const auto& p : ps) out.emplace_back(w, p);
    }
  }
  return out;
}

}  // namespace caucus::datatree
