#include "caucus/recipes/leader_latch.h"

#include <algorithm>
#include <mutex>

#include "client/recipes/util.h"

namespace caucus::recipes {

using Clock = std::chrono::steady_clock;

struct LeaderLatch::State {
  Signal signal;
  std::mutex mu;
  std::condition_variable cv;
  bool stop = false;
  bool leader = false;
  int64_t epoch = 0;
  std::function<void(int64_t)> on_gain;
  std::function<void()> on_loss;
};

LeaderLatch::LeaderLatch(Client& client, std::string dir, std::string participant_id)
    : client_(client),
      dir_(std::move(dir)),
      id_(std::move(participant_id)),
      state_(std::make_shared<State>()) {}

LeaderLatch::~LeaderLatch() { Close(); }

void LeaderLatch::OnGain(std::function<void(int64_t)> cb) {
  std::lock_guard l(state_->mu);
  state_->on_gain = std::move(cb);
}

void LeaderLatch::OnLoss(std::function<void()> cb) {
  std::lock_guard l(state_->mu);
  state_->on_loss = std::move(cb);
}

void LeaderLatch::Start() {
  std::weak_ptr<State> weak = state_;
  listener_ = client_.AddSessionListener([weak](SessionState) {
    if (auto st = weak.lock()) st->signal.Notify();
  });
  thread_ = std::thread([this] { Run(); });
}

void LeaderLatch::Close() {
  {
    std::lock_guard l(state_->mu);
    if (state_->stop) return;
    state_->stop = true;
  }
  state_->signal.Notify();
  if (thread_.joinable()) thread_.join();
  if (listener_) client_.RemoveSessionListener(listener_);
}

bool LeaderLatch::HasLeadership() const {
  std::lock_guard l(state_->mu);
  return state_->leader;
}

int64_t LeaderLatch::epoch() const {
  std::lock_guard l(state_->mu);
  return state_->leader ? state_->epoch : 0;
}

bool LeaderLatch::AwaitLeadership(std::chrono::milliseconds timeout) {
  std::unique_lock l(state_->mu);
  return state_->cv.wait_for(l, timeout, [&] { return state_->leader || state_->stop; }) &&
         state_->leader;
}

std::optional<std::string> LeaderLatch::LeaderId() {
  for (const auto& child : SortedChildren(client_, dir_)) {
    try {
      return client_.GetData(dir_ + "/" + child).data;
    } catch (const KeeperException& e) {
      if (e.code() != Error::kNoNode) throw;  // that leader just left: try the next
    }
  }
  return std::nullopt;
}

namespace {

void SetLeader(LeaderLatch::State& st, bool leader, int64_t epoch) {
  std::function<void(int64_t)> gain;
  std::function<void()> loss;
  {
    std::lock_guard l(st.mu);
    if (st.leader == leader) return;
    st.leader = leader;
    st.epoch = epoch;
    gain = st.on_gain;
    loss = st.on_loss;
    st.cv.notify_all();
  }
  if (leader && gain) gain(epoch);
  if (!leader && loss) loss();
}

}  // namespace

// The latch thread: (re)queue, find our place, lead or watch the predecessor, repeat.
void LeaderLatch::Run() {
  std::string node;
  int64_t czxid = 0;
  std::string pid;
  int64_t node_session = 0;
  for (;;) {
    uint64_t seen = state_->signal.count();
    {
      std::lock_guard l(state_->mu);
      if (state_->stop) break;
    }
    // Our node belongs to the session that created it: once that session is gone (even if the
    // client is still offline), so is our leadership. Report it before any blocking call.
    if (!node.empty() && client_.session_id() != node_session) {
      SetLeader(*state_, false, 0);
      node.clear();
    }
    std::weak_ptr<State> weak = state_;
    auto wake = [weak](const WatchEvent&) {
      if (auto st = weak.lock()) st->signal.Notify();
    };
    try {
      if (node.empty()) {
        pid = RandomId();
        auto stopped = [st = state_] {
          std::lock_guard l(st->mu);
          return st->stop;
        };
        auto r = ProtectedCreate(client_, dir_, pid, "latch-", id_, stopped);
        node = r.path;
        czxid = r.stat.czxid;
        node_session = r.stat.ephemeral_owner;
      }
      auto children = SortedChildren(client_, dir_);
      std::string mine = node.substr(dir_.size() + 1);
      auto it = std::find(children.begin(), children.end(), mine);
      if (it == children.end()) {  // our node is gone (expired session): we lost, requeue
        SetLeader(*state_, false, 0);
        node.clear();
        continue;
      }
      if (it == children.begin()) {
        SetLeader(*state_, true, czxid);
        client_.Exists(node, wake);  // learn about our own node's deletion
      } else if (!client_.Exists(dir_ + "/" + *(it - 1), wake)) {
        continue;  // predecessor already gone
      }
    } catch (const KeeperException& e) {
      if (e.code() == Error::kSessionExpired) {
        SetLeader(*state_, false, 0);
        node.clear();
      } else if (e.code() != Error::kConnectionLoss && e.code() != Error::kClosing) {
        throw;
      }
      if (e.code() == Error::kClosing) break;
      client_.WaitConnected(std::chrono::seconds(1));
      continue;
    }
    if (client_.state() == SessionState::kExpired) {  // leadership ends with the session
      SetLeader(*state_, false, 0);
      node.clear();
      continue;
    }
    state_->signal.WaitPast(seen, Clock::now() + std::chrono::seconds(5));
  }
  SetLeader(*state_, false, 0);
  if (!node.empty()) {
    try {
      client_.Delete(node);
    } catch (const KeeperException&) {
      // Already gone or offline: the ephemeral node ends with the session.
    }
  }
}

}  // namespace caucus::recipes
