#include "caucus/recipes/lock.h"

#include <algorithm>
#include <mutex>

#include "client/recipes/util.h"

namespace caucus::recipes {

using Clock = std::chrono::steady_clock;

struct Lock::State {
  Signal signal;
  std::atomic<bool> held{false};
  std::atomic<int64_t> token{0};
  std::mutex mu;
  std::function<void()> on_lost;

  void Lost() {
    if (!held.exchange(false)) return;  // report each loss once
    std::function<void()> cb;
    {
      std::lock_guard l(mu);
      cb = on_lost;
    }
    if (cb) cb();
  }
};

Lock::Lock(Client& client, std::string dir, std::string data)
    : Lock(client, std::move(dir), std::move(data), "lock-") {}

Lock::Lock(Client& client, std::string dir, std::string data, std::string name)
    : client_(client),
      dir_(std::move(dir)),
      data_(std::move(data)),
      name_(std::move(name)),
      state_(std::make_shared<State>()) {
  std::weak_ptr<State> weak = state_;
  listener_ = client_.AddSessionListener([weak](SessionState s) {
    auto st = weak.lock();
    if (!st) return;
    if (s == SessionState::kExpired || s == SessionState::kClosed) st->Lost();
    st->signal.Notify();  // waiters re-check after any state change
  });
}

Lock::~Lock() {
  client_.RemoveSessionListener(listener_);
  try {
    Release();
  } catch (const KeeperException&) {
    // The session is gone or closing: the ephemeral node goes with it.
  }
}

bool Lock::held() const { return state_->held; }
int64_t Lock::fencing_token() const { return state_->token; }

void Lock::OnLost(std::function<void()> cb) {
  std::lock_guard l(state_->mu);
  state_->on_lost = std::move(cb);
}

int64_t Lock::Acquire() { return *AcquireUntil(std::nullopt); }

std::optional<int64_t> Lock::TryAcquire(std::chrono::milliseconds timeout) {
  return AcquireUntil(Clock::now() + timeout);
}

std::string Lock::Blocker(const std::vector<std::string>& children, size_t index) const {
  return index == 0 ? "" : children[index - 1];
}

// A fresh id per attempt: a node of an earlier (expired) session must not be mistaken for ours.
// The exception: a create that a timed-out TryAcquire abandoned while its reply was lost may
// have happened; while the same session lives, that node is found and adopted rather than
// left to block the queue.
void Lock::EnsureNode(const std::function<bool()>& stop) {
  if (!node_.empty()) return;
  if (!abandoned_id_.empty()) {
    if (client_.session_id() == abandoned_session_) {
      if (auto found = FindProtected(client_, dir_, abandoned_id_)) {
        if (auto stat = client_.Exists(*found)) Adopt(abandoned_id_, *found, *stat);
      }
    }
    abandoned_id_.clear();
    if (!node_.empty()) return;
  }
  std::string id = RandomId();
  try {
    auto r = ProtectedCreate(client_, dir_, id, name_, data_, stop);
    Adopt(id, r.path, r.stat);
  } catch (const KeeperException& e) {
    // Only a create made in the session we have now can still exist.
    if (e.code() == Error::kClosing && stop && stop()) Abandon(id, client_.session_id());
    throw;
  }
}

void Lock::Adopt(const std::string& id, const std::string& path, const Stat& stat) {
  id_ = id;
  node_ = path;
  node_czxid_ = stat.czxid;
  node_session_ = stat.ephemeral_owner;
}

void Lock::Abandon(const std::string& id, int64_t session) {
  node_.clear();
  // Session 0: the client has no session (it expired): no node of ours can exist.
  abandoned_id_ = session == 0 ? std::string() : id;
  abandoned_session_ = session;
}

std::optional<int64_t> Lock::AcquireUntil(std::optional<Clock::time_point> deadline) {
  // Without a deadline, waits (for the connection too) as long as it takes.
  std::function<bool()> expired;
  if (deadline) expired = [d = *deadline] { return Clock::now() >= d; };
  auto give_up = [&]() -> std::optional<int64_t> {
    DropNode(false);  // give up our place so that we don't block those behind us
    return std::nullopt;
  };
  for (;;) {
    uint64_t seen = state_->signal.count();
    try {
      EnsureNode(expired);
      auto children = SortedChildren(client_, dir_);
      std::string mine = node_.substr(dir_.size() + 1);
      auto it = std::find(children.begin(), children.end(), mine);
      if (it == children.end()) {
        // Our node died with an expired session: queue again. Confirm first: a listing
        // that misses a node we just created must not make us create a second one.
        if (!client_.Exists(node_)) node_.clear();
        continue;
      }
      std::string blocker = Blocker(children, static_cast<size_t>(it - children.begin()));
      if (blocker.empty()) {
        state_->token = node_czxid_;
        state_->held = true;
        WatchOwnNode();
        return node_czxid_;
      }
      std::weak_ptr<State> weak = state_;
      auto wake = [weak](const WatchEvent&) {
        if (auto st = weak.lock()) st->signal.Notify();
      };
      if (!client_.Exists(dir_ + "/" + blocker, wake)) continue;  // gone already: re-check
    } catch (const KeeperException& e) {
      if (e.code() == Error::kSessionExpired) {
        node_.clear();
      } else if (e.code() == Error::kClosing && expired && expired()) {
        return give_up();  // stopped by the deadline while waiting for a connection
      } else if (e.code() != Error::kConnectionLoss) {
        throw;
      }
      if (expired && expired()) return give_up();
      try {
        WaitConnectedUnless(client_, std::chrono::seconds(1), expired);
      } catch (const KeeperException&) {
        return give_up();  // the deadline passed while disconnected
      }
      continue;
    }
    auto until = deadline.value_or(Clock::now() + std::chrono::hours(24 * 365));
    if (!state_->signal.WaitPast(seen, until) && deadline && Clock::now() >= *deadline) {
      return give_up();
    }
  }
}

// Someone (an operator, or the server after expiry) deleting our node ends our hold.
void Lock::WatchOwnNode() {
  std::weak_ptr<State> weak = state_;
  std::string node = node_;
  auto on_event = [weak](const WatchEvent& e) {
    auto st = weak.lock();
    if (!st) return;
    if (e.type == EventType::kNodeDeleted || e.state == KeeperState::kExpired) st->Lost();
  };
  try {
    if (!client_.Exists(node, on_event)) state_->Lost();
  } catch (const KeeperException&) {
    // Connection trouble: the session listener reports a real loss (expiry).
  }
}

void Lock::Release() { DropNode(true); }

// Deletes our node, or an abandoned create's node if it exists. Retries through connection
// losses (with `retry`) only while the session that owns the node lives: once it has expired
// (as the server says, or as the client declares after a session timeout offline), the
// ephemeral is gone with it, so this returns even if the server never comes back. Without
// `retry`, a connection loss leaves the node recorded as abandoned: the next acquisition
// adopts it, a later Release (or the destructor) deletes it.
void Lock::DropNode(bool retry) {
  state_->held = false;
  for (;;) {
    if (node_.empty() && abandoned_id_.empty()) return;
    int64_t owner = node_.empty() ? abandoned_session_ : node_session_;
    if (!retry && !client_.WaitConnected(std::chrono::milliseconds(0))) {
      // A call now would wait for the connection: leave the node for later instead.
      if (!node_.empty()) Abandon(id_, owner);
      return;
    }
    try {
      if (owner == 0 || client_.session_id() != owner) {
        node_.clear();
        abandoned_id_.clear();
        return;
      }
      if (node_.empty()) {
        auto found = FindProtected(client_, dir_, abandoned_id_);
        std::string id = std::move(abandoned_id_);
        abandoned_id_.clear();
        if (!found) return;
        id_ = id;
        node_ = *found;
        node_session_ = owner;
      }
      client_.Delete(node_);
      node_.clear();
      return;
    } catch (const KeeperException& e) {
      if (e.code() == Error::kConnectionLoss) {
        if (!retry) {
          if (!node_.empty()) Abandon(id_, owner);
          return;
        }
        client_.WaitConnected(std::chrono::seconds(1));
        continue;
      }
      node_.clear();
      abandoned_id_.clear();
      // NoNode: already gone (expired session). Closing: the session ends with the client.
      if (e.code() == Error::kNoNode || e.code() == Error::kSessionExpired ||
          e.code() == Error::kClosing)
        return;
      throw;
    }
  }
}

}  // namespace caucus::recipes
