#include "caucus/recipes/distributed_queue.h"

#include "client/recipes/util.h"

namespace caucus::recipes {

DistributedQueue::DistributedQueue(Client& client, std::string path)
    : client_(client), path_(std::move(path)), signal_(std::make_shared<Signal>()) {
  listener_ = NotifyOnSessionChange(client_, signal_);
}

DistributedQueue::~DistributedQueue() { client_.RemoveSessionListener(listener_); }

// Persistent, not a container: a consumer must be able to watch an empty queue.
void DistributedQueue::EnsureQueueNode() {
  if (have_node_) return;
  RetryOnConnectionLoss(client_, [&] { client_.CreateParents(path_); });
  have_node_ = true;
}

std::vector<std::string> DistributedQueue::Elements(Watcher watch) {
  return SortedChildren(client_, path_, std::move(watch));
}

void DistributedQueue::Put(const std::string& data) {
  EnsureQueueNode();
  ProtectedCreate(client_, path_, RandomId(), "qn-", data, nullptr,
                  CreateMode::kPersistentSequential);
}

std::optional<std::string> DistributedQueue::TryTake(const std::string& name) {
  std::string node = path_ + "/" + name;
  DataResult element;
  try {
    element = client_.GetData(node);
  } catch (const KeeperException& e) {
    if (e.code() != Error::kNoNode) throw;
    return std::nullopt;
  }
  for (;;) {
    try {
      client_.Delete(node, element.stat.version);
      return std::move(element.data);
    } catch (const KeeperException& e) {
      // Another consumer's delete came first (BadVersion: someone rewrote it; not ours).
      if (e.code() == Error::kNoNode || e.code() == Error::kBadVersion) return std::nullopt;
      if (e.code() != Error::kConnectionLoss) throw;
    }
    // The reply was lost. Still there: our delete did not happen. Gone: it was ours or a
    // competitor's, and losing an element is worse than handing it out twice.
    if (!RetryOnConnectionLoss(client_, [&] { return client_.Exists(node); })) {
      return std::move(element.data);
    }
  }
}

std::optional<std::string> DistributedQueue::Take(std::chrono::milliseconds timeout) {
  auto deadline = DeadlineAfter(timeout);
  EnsureQueueNode();
  bool watch = false;  // a busy queue needs no watch: list with one only when it looks empty
  for (;;) {
    uint64_t seen = signal_->count();
    try {
      auto names = Elements(watch ? Waker(signal_) : Watcher{});
      for (const auto& name : names) {
        if (auto element = TryTake(name)) return element;
      }
      if (!names.empty()) continue;  // all taken by others: look again
      if (!watch) {
        if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;  // Poll
        watch = true;  // empty: look again with a watch, so that no Put is missed
        continue;
      }
    } catch (const KeeperException& e) {
      if (e.code() != Error::kConnectionLoss) throw;
      if (WaitConnectedUntil(client_, deadline)) continue;
      return std::nullopt;
    }
    if (!signal_->WaitPast(seen, deadline)) return std::nullopt;
    watch = false;  // the watch fired (or the session changed): it needs setting again
  }
}

std::optional<std::string> DistributedQueue::Peek() {
  EnsureQueueNode();
  for (const auto& name : RetryOnConnectionLoss(client_, [&] { return Elements(); })) {
    try {
      return RetryOnConnectionLoss(client_, [&] { return client_.GetData(path_ + "/" + name); })
          .data;
    } catch (const KeeperException& e) {
      if (e.code() != Error::kNoNode) throw;  // taken meanwhile: the next one is the head
    }
  }
  return std::nullopt;
}

size_t DistributedQueue::Size() {
  EnsureQueueNode();
  return RetryOnConnectionLoss(client_, [&] { return client_.GetChildren(path_).size(); });
}

}  // namespace caucus::recipes
