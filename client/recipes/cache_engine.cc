#include "client/recipes/cache_engine.h"

#include <algorithm>
#include <deque>

namespace caucus::recipes {

const char* CacheEventTypeName(CacheEventType t) {
  switch (t) {
    case CacheEventType::kAdded: return "Added";
    case CacheEventType::kUpdated: return "Updated";
    case CacheEventType::kRemoved: return "Removed";
    case CacheEventType::kInitialized: return "Initialized";
  }
  return "Unknown";
}

// The worker's to-do list. Refreshes keep their order; a resync request is a flag, since one
// resync covers any number of requests.
struct CacheEngine::Inbox {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::string> refresh;
  bool resync = false;
  bool stop = false;

  void Push(std::string path) {
    std::lock_guard l(mu);
    refresh.push_back(std::move(path));
    cv.notify_one();
  }
  void RequestResync() {
    std::lock_guard l(mu);
    resync = true;
    cv.notify_one();
  }
  void Stop() {
    std::lock_guard l(mu);
    stop = true;
    cv.notify_one();
  }
};

namespace {

bool IsConnectionTrouble(Error e) {
  return IsRetryable(e) || e == Error::kSessionExpired || e == Error::kClosing;
}

std::string Join(const std::string& parent, const std::string& child) {
  return parent == "/" ? "/" + child : parent + "/" + child;
}

}  // namespace

CacheEngine::CacheEngine(Client& client, std::string root, int max_depth)
    : client_(client),
      root_(std::move(root)),
      max_depth_(max_depth),
      inbox_(std::make_shared<Inbox>()) {}

CacheEngine::~CacheEngine() { Close(); }

void CacheEngine::AddListener(CacheListener listener) {
  std::lock_guard l(mu_);
  listeners_.push_back(std::move(listener));
}

void CacheEngine::Start() {
  {
    std::lock_guard l(mu_);
    if (started_) return;
    started_ = true;
  }
  // Same session back: the client re-registered the watch, but a persistent watch does not
  // replay what changed while we were away. New session: the watch itself is gone.
  std::weak_ptr<Inbox> weak = inbox_;
  session_listener_ = client_.AddSessionListener([weak](SessionState s) {
    auto inbox = weak.lock();
    if (inbox && (s == SessionState::kReconnected || s == SessionState::kConnected))
      inbox->RequestResync();
  });
  inbox_->RequestResync();
  thread_ = std::thread([this] { Run(); });
}

void CacheEngine::Close() {
  inbox_->Stop();
  if (thread_.joinable()) thread_.join();
  if (session_listener_) client_.RemoveSessionListener(session_listener_);
  session_listener_ = 0;
  if (watched_session_ != 0 && watched_session_ == client_.session_id() && client_.connected()) {
    try {
      client_.RemoveWatches(root_, max_depth_ == 0 ? WatcherType::kPersistent
                                                   : WatcherType::kPersistentRecursive);
    } catch (const KeeperException&) {
      // Offline or closing: the watch ends with the session; its events find no cache.
    }
  }
  watched_session_ = 0;
}

bool CacheEngine::AwaitInitialized(std::chrono::milliseconds timeout) {
  std::unique_lock l(mu_);
  return initialized_cv_.wait_for(l, timeout, [&] { return initialized_; });
}

std::optional<ChildData> CacheEngine::Get(const std::string& path) const {
  std::lock_guard l(mu_);
  auto it = nodes_.find(path);
  if (it == nodes_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> CacheEngine::Children(const std::string& path) const {
  std::string prefix = ChildPrefix(path);
  std::vector<std::string> out;
  std::lock_guard l(mu_);
  for (auto it = nodes_.lower_bound(prefix); it != nodes_.end(); ++it) {
    if (it->first.compare(0, prefix.size(), prefix) != 0) break;
    std::string rest = it->first.substr(prefix.size());
    if (!rest.empty() && rest.find('/') == std::string::npos) out.push_back(rest);
  }
  return out;
}

size_t CacheEngine::size() const {
  std::lock_guard l(mu_);
  return nodes_.size();
}

std::string CacheEngine::ChildPrefix(const std::string& path) const {
  return path == "/" ? "/" : path + "/";
}

int CacheEngine::DepthOf(const std::string& path) const {
  if (path == root_) return 0;
  std::string prefix = ChildPrefix(root_);
  if (path.compare(0, prefix.size(), prefix) != 0) return -1;
  return 1 + static_cast<int>(std::count(path.begin() + static_cast<std::ptrdiff_t>(prefix.size()),
                                         path.end(), '/'));
}

bool CacheEngine::Mirrored(const std::string& path) const {
  int depth = DepthOf(path);
  return depth >= 0 && (max_depth_ < 0 || depth <= max_depth_);
}

void CacheEngine::Run() {
  for (;;) {
    std::string path;
    bool resync = false;
    {
      std::unique_lock l(inbox_->mu);
      inbox_->cv.wait(
          l, [&] { return inbox_->stop || inbox_->resync || !inbox_->refresh.empty(); });
      if (inbox_->stop) return;
      // A pending resync first: it reads everything, so it also covers queued refreshes.
      if (inbox_->resync) {
        resync = true;
        inbox_->resync = false;
        inbox_->refresh.clear();
      } else {
        path = std::move(inbox_->refresh.front());
        inbox_->refresh.pop_front();
      }
    }
    try {
      resync ? Resync() : Refresh(path);
    } catch (const KeeperException& e) {
      // Any failed read leaves the mirror possibly behind: catch up with a resync, after a
      // pause so that a persistent error (e.g. no auth) does not spin.
      std::unique_lock l(inbox_->mu);
      inbox_->cv.wait_for(l, std::chrono::milliseconds(IsConnectionTrouble(e.code()) ? 100 : 1000),
                          [&] { return inbox_->stop; });
      inbox_->resync = true;
    }
  }
}

void CacheEngine::EnsureWatch() {
  int64_t session = client_.session_id();
  if (session == watched_session_) return;
  std::weak_ptr<Inbox> weak = inbox_;
  auto on_event = [weak](const WatchEvent& e) {
    if (e.type != EventType::kNodeCreated && e.type != EventType::kNodeDeleted &&
        e.type != EventType::kNodeDataChanged)
      return;  // children changes show up as their own creates and deletes
    if (auto inbox = weak.lock()) inbox->Push(e.path);
  };
  client_.AddWatch(root_, max_depth_ == 0 ? AddWatchMode::kPersistent
                                          : AddWatchMode::kPersistentRecursive,
                   on_event);
  watched_session_ = session;
}

void CacheEngine::Refresh(const std::string& path) {
  if (!Mirrored(path)) return;
  std::vector<CacheEvent> events;
  try {
    auto d = client_.GetData(path);
    Apply(path, d, events);
  } catch (const KeeperException& e) {
    if (e.code() != Error::kNoNode) throw;
    RemoveSubtree(path, events);
  }
  Emit(events);
}

// Walks the subtree as it is now and reports the difference to the mirror.
void CacheEngine::Resync() {
  EnsureWatch();  // before the walk: a change during the walk is then refreshed after it
  std::map<std::string, DataResult> now;
  std::deque<std::string> todo{root_};
  while (!todo.empty()) {
    std::string path = std::move(todo.front());
    todo.pop_front();
    try {
      now[path] = client_.GetData(path);
      if (max_depth_ >= 0 && DepthOf(path) >= max_depth_) continue;
      for (const auto& child : client_.GetChildren(path)) todo.push_back(Join(path, child));
    } catch (const KeeperException& e) {
      if (e.code() != Error::kNoNode) throw;  // deleted during the walk: not in `now`
    }
  }
  std::vector<CacheEvent> events;
  std::vector<std::string> gone;
  {
    std::lock_guard l(mu_);
    for (const auto& [path, node] : nodes_)
      if (!now.contains(path)) gone.push_back(path);
  }
  for (const auto& path : gone) RemoveSubtree(path, events);
  for (const auto& [path, d] : now) Apply(path, d, events);
  bool first = false;
  {
    std::lock_guard l(mu_);
    first = !initialized_;
    initialized_ = true;
  }
  if (first) events.push_back({CacheEventType::kInitialized, {}});
  Emit(events);
  if (first) initialized_cv_.notify_all();
}

void CacheEngine::Apply(const std::string& path, const DataResult& d,
                        std::vector<CacheEvent>& out) {
  std::lock_guard l(mu_);
  auto [it, added] = nodes_.try_emplace(path, ChildData{path, d.data, d.stat});
  if (added) {
    out.push_back({CacheEventType::kAdded, it->second});
    return;
  }
  ChildData& cached = it->second;
  // Reads are applied in the order they were made, so this one is never older than the
  // mirror: a different create or modify zxid is news.
  bool changed = cached.stat.czxid != d.stat.czxid || cached.stat.mzxid != d.stat.mzxid;
  cached.data = d.data;
  cached.stat = d.stat;
  if (changed) out.push_back({CacheEventType::kUpdated, cached});
}

void CacheEngine::RemoveSubtree(const std::string& path, std::vector<CacheEvent>& out) {
  std::lock_guard l(mu_);
  std::string prefix = ChildPrefix(path);
  // Descendants first, deepest last in map order: report them in reverse.
  auto first = nodes_.lower_bound(prefix);
  auto last = first;
  while (last != nodes_.end() && last->first.compare(0, prefix.size(), prefix) == 0) ++last;
  for (auto it = std::make_reverse_iterator(last); it != std::make_reverse_iterator(first); ++it)
    out.push_back({CacheEventType::kRemoved, it->second});
  nodes_.erase(first, last);
  if (auto it = nodes_.find(path); it != nodes_.end()) {
    out.push_back({CacheEventType::kRemoved, it->second});
    nodes_.erase(it);
  }
}

void CacheEngine::Emit(const std::vector<CacheEvent>& events) {
  if (events.empty()) return;
  std::vector<CacheListener> listeners;
  {
    std::lock_guard l(mu_);
    listeners = listeners_;
  }
  for (const auto& e : events)
    for (const auto& listener : listeners) listener(e);
}

}  // namespace caucus::recipes
