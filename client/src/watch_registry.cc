#include "client/src/watch_registry.h"

namespace caucus::client {

WatchRegistry::Table& WatchRegistry::TableOf(WatchKind kind) {
  return const_cast<Table&>(static_cast<const WatchRegistry*>(this)->TableOf(kind));
}

const WatchRegistry::Table& WatchRegistry::TableOf(WatchKind kind) const {
  switch (kind) {
    case WatchKind::kData: return data_;
    case WatchKind::kExist: return exist_;
    case WatchKind::kChild: return child_;
    case WatchKind::kPersistent: return persistent_;
    default: return recursive_;
  }
}

void WatchRegistry::Add(WatchKind kind, const std::string& path, Watcher w) {
  if (kind == WatchKind::kNone || !w) return;
  TableOf(kind)[path].push_back(std::move(w));
}

void WatchRegistry::Take(Table& t, const std::string& path, std::vector<Watcher>& out) {
  auto it = t.find(path);
  if (it == t.end()) return;
  for (auto& w : it->second) out.push_back(std::move(w));
  t.erase(it);
}

void WatchRegistry::Copy(const Table& t, const std::string& path, std::vector<Watcher>& out) {
  auto it = t.find(path);
  if (it == t.end()) return;
  out.insert(out.end(), it->second.begin(), it->second.end());
}

namespace {
std::string Parent(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == 0 ? "/" : path.substr(0, slash);
}
}  // namespace

std::vector<Watcher> WatchRegistry::Trigger(EventType type, const std::string& path) {
  std::vector<Watcher> out;
  // The same selection as ZKWatchManager.materialize.
  switch (type) {
    case EventType::kNodeCreated:
    case EventType::kNodeDataChanged:
      Take(data_, path, out);
      Take(exist_, path, out);
      break;
    case EventType::kNodeChildrenChanged:
      Take(child_, path, out);
      break;
    case EventType::kNodeDeleted:
      Take(data_, path, out);
      Take(exist_, path, out);
      Take(child_, path, out);
      break;
    default:
      break;
  }
  Copy(persistent_, path, out);
  // Recursive watches see every event below them except children-changed (ZooKeeper 3.6).
  if (type != EventType::kNodeChildrenChanged) {
    for (std::string p = path;; p = Parent(p)) {
      Copy(recursive_, p, out);
      if (p == "/") break;
    }
  }
  return out;
}

std::vector<std::pair<Watcher, EventType>> WatchRegistry::Remove(const std::string& path,
                                                                 WatcherType type) {
  std::vector<std::pair<Watcher, EventType>> out;
  auto take = [&](Table& t, EventType ev) {
    std::vector<Watcher> ws;
    Take(t, path, ws);
    for (auto& w : ws) out.emplace_back(std::move(w), ev);
  };
  bool any = type == WatcherType::kAny;
  if (any || type == WatcherType::kData) {
    take(data_, EventType::kDataWatchRemoved);
    take(exist_, EventType::kDataWatchRemoved);
  }
  if (any || type == WatcherType::kChildren) take(child_, EventType::kChildWatchRemoved);
  if (any || type == WatcherType::kPersistent)
    take(persistent_, EventType::kPersistentWatchRemoved);
  if (any || type == WatcherType::kPersistentRecursive)
    take(recursive_, EventType::kPersistentWatchRemoved);
  return out;
}

bool WatchRegistry::Has(const std::string& path, WatcherType type) const {
  bool any = type == WatcherType::kAny;
  if ((any || type == WatcherType::kData) && (data_.contains(path) || exist_.contains(path)))
    return true;
  if ((any || type == WatcherType::kChildren) && child_.contains(path)) return true;
  if ((any || type == WatcherType::kPersistent) && persistent_.contains(path)) return true;
  return (any || type == WatcherType::kPersistentRecursive) && recursive_.contains(path);
}

std::vector<Watcher> WatchRegistry::TakeAll() {
  std::vector<Watcher> out;
  for (Table* t : {&data_, &exist_, &child_, &persistent_, &recursive_}) {
    for (auto& [path, ws] : *t)
      for (auto& w : ws) out.push_back(std::move(w));
    t->clear();
  }
  return out;
}

bool WatchRegistry::empty() const {
  return data_.empty() && exist_.empty() && child_.empty() && persistent_.empty() &&
         recursive_.empty();
}

std::vector<std::string> WatchRegistry::Paths(WatchKind kind) const {
  std::vector<std::string> out;
  for (const auto& [path, ws] : TableOf(kind)) out.push_back(path);
  return out;
}

}  // namespace caucus::client
