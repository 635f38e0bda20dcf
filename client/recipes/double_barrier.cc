#include "caucus/recipes/double_barrier.h"

#include <algorithm>
#include <atomic>

#include "client/recipes/util.h"

namespace caucus::recipes {

namespace {

constexpr char kReady[] = "ready";

bool Retryable(const KeeperException& e) {
  return e.code() == Error::kConnectionLoss || e.code() == Error::kSessionExpired;
}

}  // namespace

struct DoubleBarrier::State {
  Signal signal;
  // Set by the creation event of `ready`: a waiter that saw it has passed, even if `ready`
  // is gone again (everyone left) by the time it looks.
  std::atomic<bool> ready_seen{false};
};

DoubleBarrier::DoubleBarrier(Client& client, std::string path, int participants,
                             std::string id)
    : client_(client),
      path_(std::move(path)),
      ready_(path_ + "/" + kReady),
      node_(path_ + "/" + (id.empty() ? RandomId() : id)),
      participants_(participants),
      state_(std::make_shared<State>()) {
  listener_ = NotifyOnSessionChange(client_, {state_, &state_->signal});
}

DoubleBarrier::~DoubleBarrier() { client_.RemoveSessionListener(listener_); }

// Our node exists in the current session afterwards. A node of an expired session is gone;
// one whose create reply was lost is ours if our session owns it.
void DoubleBarrier::EnsureNode() {
  if (node_session_ != 0 && node_session_ == client_.session_id()) return;
  node_session_ = 0;
  try {
    node_session_ = CreateWithParents(client_, node_, {}, CreateMode::kEphemeral)
                        .stat.ephemeral_owner;
  } catch (const KeeperException& e) {
    if (e.code() != Error::kNodeExists) throw;
    auto stat = client_.Exists(node_);
    if (!stat) throw KeeperException(Error::kConnectionLoss, node_);  // gone: try again
    if (stat->ephemeral_owner != client_.session_id()) throw;  // another participant's id
    node_session_ = stat->ephemeral_owner;
  }
}

bool DoubleBarrier::ReadyOrComplete() {
  if (state_->ready_seen) return true;
  std::weak_ptr<State> weak = state_;
  auto on_ready = [weak](const WatchEvent& e) {
    auto st = weak.lock();
    if (!st) return;
    if (e.type == EventType::kNodeCreated) st->ready_seen = true;
    st->signal.Notify();
  };
  if (client_.Exists(ready_, on_ready)) return true;
  auto kids = client_.GetChildren(path_);
  auto n = std::count_if(kids.begin(), kids.end(), [](auto& k) { return k != kReady; });
  if (n < participants_) return false;
  try {
    client_.Create(ready_);  // we completed the group: open the gate for everyone
  } catch (const KeeperException& e) {
    if (e.code() != Error::kNodeExists) throw;
  }
  return true;
}

bool DoubleBarrier::Enter(std::chrono::milliseconds timeout) {
  auto deadline = DeadlineAfter(timeout);
  state_->ready_seen = false;
  for (;;) {
    uint64_t seen = state_->signal.count();
    try {
      EnsureNode();
      if (ReadyOrComplete()) return true;
    } catch (const KeeperException& e) {
      if (!Retryable(e)) throw;
      if (WaitConnectedUntil(client_, deadline)) continue;
      seen = state_->signal.count();  // fall through to the timeout below
    }
    if (!state_->signal.WaitPast(seen, deadline)) {
      // Don't count towards a group we are not part of (offline: the node stays until the
      // session ends, as a call now would wait for the connection past our deadline).
      if (client_.connected()) DeleteOwnNode();
      return false;
    }
  }
}

void DoubleBarrier::DeleteOwnNode() {
  DeleteWhileSessionLives(client_, node_, node_session_);
  node_session_ = 0;
}

DoubleBarrier::Step DoubleBarrier::LeaveStep() {
  std::vector<std::string> kids;
  try {
    kids = client_.GetChildren(path_);
  } catch (const KeeperException& e) {
    if (e.code() != Error::kNoNode) throw;
    return Step::kDone;
  }
  std::erase(kids, kReady);
  std::sort(kids.begin(), kids.end());
  if (kids.empty()) return Step::kDone;
  std::string mine = node_.substr(path_.size() + 1);
  bool have = node_session_ != 0 && node_session_ == client_.session_id() &&
              std::find(kids.begin(), kids.end(), mine) != kids.end();
  if (!have) node_session_ = 0;  // our node went with an expired session
  std::string watched;
  if (have && kids.size() == 1) {
    DeleteOwnNode();
    return Step::kDone;
  }
  if (have && kids.front() == mine) {
    watched = kids.back();  // the lowest leaves last: it waits for the highest
  } else {
    DeleteOwnNode();
    watched = kids.front();  // everyone else waits for the lowest
  }
  return client_.Exists(path_ + "/" + watched, Waker({state_, &state_->signal})) ? Step::kWait
                                                                                 : Step::kAgain;
}

bool DoubleBarrier::Leave(std::chrono::milliseconds timeout) {
  auto deadline = DeadlineAfter(timeout);
  for (;;) {
    uint64_t seen = state_->signal.count();
    Step step = Step::kWait;
    try {
      step = LeaveStep();
    } catch (const KeeperException& e) {
      if (!Retryable(e)) throw;
      if (WaitConnectedUntil(client_, deadline)) continue;
    }
    if (step == Step::kDone) break;
    if (step == Step::kAgain) continue;
    if (!state_->signal.WaitPast(seen, deadline)) return false;
  }
  try {
    client_.Delete(ready_);  // everyone has left: reset the barrier for the next round
  } catch (const KeeperException&) {
    // Another leaver deleted it first, or we are offline: then `ready` stays until a later
    // Leave on this path removes it.
  }
  return true;
}

}  // namespace caucus::recipes
