// Lock: a fair, distributed exclusive lock (ZooKeeper's lock recipe, as Curator's
// InterProcessMutex does it).
//
//   caucus::recipes::Lock lock(client, "/locks/orders");
//   int64_t token = lock.Acquire();       // blocks; token = czxid of our lock node
//   storage.Write(data, token);           // the storage rejects tokens older than one seen
//   lock.Release();
//
// Guarantees: at most one holder at a time among live sessions; waiters are served in
// arrival order; each waiter watches only its predecessor (no herd effect); the lock node is
// created with a protected `_c_<id>-` prefix, so a create whose reply is lost to a
// connection loss is found again instead of leaking. The fencing token grows with every
// grant, so a resource can reject a holder whose lock was lost (e.g. after a long pause).
//
// Faults: if the session expires, the lock is lost; held() turns false and the OnLost
// callback runs (on the client's callback thread). A holder should also treat
// SessionState::kSuspended as "maybe lost" until kReconnected.
//
// Thread-safety: one Lock object is used by one thread at a time (like std::mutex's owner);
// held() and fencing_token() may be read from any thread. Not reentrant.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "caucus/client.h"

namespace caucus::recipes {

class Lock {
 public:
  // `dir` is the lock's parent node; it is created as a container when missing.
  Lock(Client& client, std::string dir, std::string data = {});
  virtual ~Lock();  // releases if held
  Lock(const Lock&) = delete;
  Lock& operator=(const Lock&) = delete;

  // Blocks until the lock is held; returns the fencing token.
  int64_t Acquire();
  // nullopt if not acquired within `timeout` (our place in the queue is then given up). The
  // timeout also bounds waiting for a connection (a call already sent may take up to a
  // session timeout more to fail). A node left behind by a lost connection is found again by
  // the next acquisition, or deleted by Release().
  std::optional<int64_t> TryAcquire(std::chrono::milliseconds timeout);
  // Deletes our lock node. Safe to call when not held. Retries through connection loss while
  // the session that owns the node lives (it ends once that session has expired).
  void Release();

  bool held() const;
  int64_t fencing_token() const;
  const std::string& node() const { return node_; }
  // Called once each time a held lock is lost (session expired or node deleted by someone).
  void OnLost(std::function<void()> cb);

  struct State;  // shared with watchers and the session listener

 protected:
  // Which earlier node we must wait for, or "" if we may take the lock. Read/write locks
  // override the rule. `children` is sorted; `index` is ours.
  virtual std::string Blocker(const std::vector<std::string>& children, size_t index) const;
  Lock(Client& client, std::string dir, std::string data, std::string name);

 private:
  std::optional<int64_t> AcquireUntil(std::optional<std::chrono::steady_clock::time_point> deadline);
  void EnsureNode(const std::function<bool()>& stop);
  void Adopt(const std::string& id, const std::string& path, const Stat& stat);
  void Abandon(const std::string& id, int64_t session);
  void DropNode(bool retry);
  void WatchOwnNode();

  Client& client_;
  std::string dir_, data_, name_, id_;
  std::string node_;
  int64_t node_czxid_ = 0;
  int64_t node_session_ = 0;  // the session that owns node_ (its ephemeral owner)
  // A protected create given up by a timed-out TryAcquire whose reply was lost: it may exist.
  std::string abandoned_id_;
  int64_t abandoned_session_ = 0;
  std::shared_ptr<State> state_;
  int listener_ = 0;
};

// RAII: acquires in the constructor, releases in the destructor.
class LockGuard {
 public:
  explicit LockGuard(Lock& lock) : lock_(lock), token_(lock.Acquire()) {}
  ~LockGuard() { lock_.Release(); }
  LockGuard(const LockGuard&) = delete;
  LockGuard& operator=(const LockGuard&) = delete;
  int64_t fencing_token() const { return token_; }

 private:
  Lock& lock_;
  int64_t token_;
};

}  // namespace caucus::recipes
