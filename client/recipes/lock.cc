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
void Lock::EnsureNode() {
  if (!node_.empty()) return;
  id_ = RandomId();
  auto r = ProtectedCreate(client_, dir_, id_, name_, data_);
  node_ = r.path;
  node_czxid_ = r.stat.czxid;
}

std::optional<int64_t> Lock::AcquireUntil(std::optional<Clock::time_point> deadline) {
  for (;;) {
    uint64_t seen = state_->signal.count();
    try {
      EnsureNode();
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
      } else if (e.code() != Error::kConnectionLoss) {
        throw;
      }
      client_.WaitConnected(std::chrono::seconds(1));
      continue;
    }
    auto until = deadline.value_or(Clock::now() + std::chrono::hours(24 * 365));
    if (!state_->signal.WaitPast(seen, until) && deadline && Clock::now() >= *deadline) {
      Release();  // give up our place so that we don't block those behind us
      return std::nullopt;
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

void Lock::Release() {
  bool was_held = state_->held.exchange(false);
  (void)was_held;
  if (node_.empty()) return;
  std::string node = std::move(node_);
  node_.clear();
  try {
    RetryOnConnectionLoss(client_, [&] { client_.Delete(node); });
  } catch (const KeeperException& e) {
    // NoNode: already gone (expired session). Anything else leaves the ephemeral to expire.
    if (e.code() != Error::kNoNode && e.code() != Error::kSessionExpired &&
        e.code() != Error::kClosing)
      throw;
  }
}

}  // namespace caucus::recipes
