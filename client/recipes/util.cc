#include "client/recipes/util.h"

#include <algorithm>
#include <cstdio>
#include <random>

namespace caucus::recipes {

std::string RandomId() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(rng()),
                static_cast<unsigned long long>(rng()));
  return buf;
}

int64_t SequenceOf(const std::string& name) {
  if (name.size() < 10) return -1;
  int64_t v = 0;
  for (size_t i = name.size() - 10; i < name.size(); ++i) {
    if (name[i] < '0' || name[i] > '9') return -1;
    v = v * 10 + (name[i] - '0');
  }
  return v;
}

std::vector<std::string> SortedChildren(Client& c, const std::string& dir, Watcher watch) {
  auto kids = c.GetChildren(dir, std::move(watch));
  std::sort(kids.begin(), kids.end(), [](const std::string& a, const std::string& b) {
    auto sa = SequenceOf(a), sb = SequenceOf(b);
    return sa != sb ? sa < sb : a < b;
  });
  return kids;
}

std::optional<std::string> FindProtected(Client& c, const std::string& dir,
                                         const std::string& id) {
  std::string prefix = "_c_" + id + "-";
  try {
    for (const auto& k : c.GetChildren(dir))
      if (k.rfind(prefix, 0) == 0) return dir + "/" + k;
  } catch (const KeeperException& e) {
    if (e.code() != Error::kNoNode) throw;
  }
  return std::nullopt;
}

std::string ParentOf(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

CreateResult CreateWithParents(Client& c, const std::string& path, const std::string& data,
                               CreateMode mode) {
  try {
    return c.CreateWithStat(path, data, mode);
  } catch (const KeeperException& e) {
    if (e.code() != Error::kNoNode) throw;
  }
  c.CreateParents(ParentOf(path));  // tolerates concurrent creators
  return c.CreateWithStat(path, data, mode);
}

bool WaitConnectedUnless(Client& c, std::chrono::milliseconds max,
                         const std::function<bool()>& stop) {
  auto until = std::chrono::steady_clock::now() + max;
  for (;;) {
    if (stop && stop()) throw KeeperException(Error::kClosing, "stopped");
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    if (left <= std::chrono::milliseconds(0)) return c.WaitConnected(std::chrono::milliseconds(0));
    if (c.WaitConnected(std::min(left, std::chrono::milliseconds(200)))) return true;
  }
}

CreateResult ProtectedCreate(Client& c, const std::string& dir, const std::string& id,
                             const std::string& name, const std::string& data,
                             const std::function<bool()>& stop, CreateMode mode) {
  std::string path = dir + "/_c_" + id + "-" + name;
  for (;;) {
    try {
      return c.CreateWithStat(path, data, mode);
    } catch (const KeeperException& e) {
      if (e.code() == Error::kNoNode) {
        // Container parents: the server deletes them once empty, so nothing leaks.
        c.CreateParents(dir, CreateMode::kContainer);
        continue;
      }
      if (e.code() != Error::kConnectionLoss) throw;
    }
    // The create may or may not have happened: look for our prefix before trying again.
    // (The server answers this read only after the create, if it received it: ZooKeeper
    // orders a session's requests across its connections.)
    while (!WaitConnectedUnless(c, std::chrono::seconds(1), stop)) {
    }
    auto found = RetryOnConnectionLoss(c, [&] { return FindProtected(c, dir, id); }, stop);
    if (found) {
      auto stat = RetryOnConnectionLoss(c, [&] { return c.Exists(*found); }, stop);
      if (stat) return {*found, *stat};
    }
  }
}

bool WaitConnectedUntil(Client& c, std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  if (left <= std::chrono::milliseconds(0)) return false;
  c.WaitConnected(std::min(left, std::chrono::milliseconds(1000)));
  return std::chrono::steady_clock::now() < deadline;
}

void DeleteWhileSessionLives(Client& c, const std::string& path, int64_t session) {
  while (session != 0 && c.session_id() == session) {
    try {
      c.Delete(path);
      return;
    } catch (const KeeperException& e) {
      if (e.code() != Error::kConnectionLoss) return;
      c.WaitConnected(std::chrono::seconds(1));
    }
  }
}

Watcher Waker(const std::shared_ptr<Signal>& signal) {
  return [weak = std::weak_ptr<Signal>(signal)](const WatchEvent&) {
    if (auto s = weak.lock()) s->Notify();
  };
}

int NotifyOnSessionChange(Client& c, const std::shared_ptr<Signal>& signal) {
  return c.AddSessionListener([weak = std::weak_ptr<Signal>(signal)](SessionState) {
    if (auto s = weak.lock()) s->Notify();
  });
}

}  // namespace caucus::recipes
