// Shared machinery of the recipes built on ephemeral-sequential nodes (lock, read/write lock,
// leader latch): protected creates, sequence ordering, and a wake-up signal for watches.
// Internal to caucus_recipes.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "caucus/client.h"

namespace caucus::recipes {

// A random 128-bit id in hex (uuid-like), for protected-create prefixes.
std::string RandomId();

// The 10-digit sequence suffix of a sequential node name; -1 if there is none.
int64_t SequenceOf(const std::string& name);

// Children of dir, sorted by sequence suffix (ties: by name); `watch`, if any, is set as a
// child watch on dir.
std::vector<std::string> SortedChildren(Client& c, const std::string& dir, Watcher watch = {});

// The parent of an absolute path ("/" for a top-level node).
std::string ParentOf(const std::string& path);

// Creates path with `data` (persistent parents are created when missing). Errors, NodeExists
// included, propagate; a lost reply is not retried (the caller knows whether that is safe).
CreateResult CreateWithParents(Client& c, const std::string& path, const std::string& data,
                               CreateMode mode = CreateMode::kPersistent);

// Curator's protected create: creates dir/<_c_{id}-><name> ephemeral-sequential; if the reply
// is lost to a connection loss, finds the node by its unique prefix instead of creating a
// second one (which would leak until the session ends and block everyone behind it).
// Creates dir (as a container) when missing. Returns the node's full path and stat.
// `stop` (optional) is polled while waiting for a connection; when it returns true the
// call gives up with KeeperException(kClosing). `mode` must be sequential (a queue uses
// persistent-sequential).
CreateResult ProtectedCreate(Client& c, const std::string& dir, const std::string& id,
                             const std::string& name, const std::string& data,
                             const std::function<bool()>& stop = nullptr,
                             CreateMode mode = CreateMode::kEphemeralSequential);

// The child of dir created by ProtectedCreate with this id, if any.
std::optional<std::string> FindProtected(Client& c, const std::string& dir, const std::string& id);

// Waits up to `max` for the connection, polling `stop` (optional) every 200 ms; throws
// KeeperException(kClosing) when `stop` returns true. Returns whether connected.
bool WaitConnectedUnless(Client& c, std::chrono::milliseconds max,
                         const std::function<bool()>& stop);

// Runs `f`, retrying while the failure is a connection loss (waiting for the connection).
// Other errors propagate. `stop` (optional) is polled while waiting: when it returns true the
// call gives up with KeeperException(kClosing).
template <class F>
auto RetryOnConnectionLoss(Client& c, F&& f, const std::function<bool()>& stop = nullptr) {
  for (;;) {
    try {
      return f();
    } catch (const KeeperException& e) {
      if (e.code() != Error::kConnectionLoss) throw;
      WaitConnectedUnless(c, std::chrono::seconds(1), stop);
    }
  }
}

// A level-triggered wake-up shared with watchers: they may outlive the recipe object, so they
// hold it by shared_ptr. Thread-safe.
class Signal {
 public:
  void Notify() {
    std::lock_guard l(mu_);
    ++count_;
    cv_.notify_all();
  }
  uint64_t count() {
    std::lock_guard l(mu_);
    return count_;
  }
  // Waits until the count moves past `seen` or the deadline passes; false on timeout.
  bool WaitPast(uint64_t seen, std::chrono::steady_clock::time_point deadline) {
    std::unique_lock l(mu_);
    return cv_.wait_until(l, deadline, [&] { return count_ > seen; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t count_ = 0;
};

// Deletes an ephemeral node of `session`, retrying through connection losses while that
// session is the client's (once it has expired, the node is gone with it). Never throws a
// KeeperException: NoNode, closing and the like all mean there is nothing left to delete.
void DeleteWhileSessionLives(Client& c, const std::string& path, int64_t session);

// A watcher that notifies `signal` on any event (it holds it weakly: the recipe may be gone).
// Pass a member of a shared state with the aliasing constructor:
// `Waker({state_, &state_->signal})`.
Watcher Waker(const std::shared_ptr<Signal>& signal);

// A session listener that notifies `signal` on every state change, so that waiters re-check
// (re-create what an expiry took, re-read what a reconnect may have missed). Returns its id.
int NotifyOnSessionChange(Client& c, const std::shared_ptr<Signal>& signal);

// Waits for the connection until `deadline` (at most a second per call, so that callers
// re-check their state); false once the deadline has passed.
bool WaitConnectedUntil(Client& c, std::chrono::steady_clock::time_point deadline);

// The deadline `timeout` from now, for a loop of waits that share one budget.
inline std::chrono::steady_clock::time_point DeadlineAfter(std::chrono::milliseconds timeout) {
  return std::chrono::steady_clock::now() + timeout;
}

}  // namespace caucus::recipes
