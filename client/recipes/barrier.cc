#include "caucus/recipes/barrier.h"

#include "client/recipes/util.h"

namespace caucus::recipes {

Barrier::Barrier(Client& client, std::string path)
    : client_(client), path_(std::move(path)), signal_(std::make_shared<Signal>()) {
  listener_ = NotifyOnSessionChange(client_, signal_);
}

Barrier::~Barrier() { client_.RemoveSessionListener(listener_); }

bool Barrier::Set() {
  try {
    // A retried create after a lost reply sees NodeExists: the barrier is set either way.
    RetryOnConnectionLoss(client_, [&] { CreateWithParents(client_, path_, {}); });
    return true;
  } catch (const KeeperException& e) {
    if (e.code() != Error::kNodeExists) throw;
    return false;
  }
}

bool Barrier::Remove() {
  try {
    RetryOnConnectionLoss(client_, [&] { client_.Delete(path_); });
    return true;
  } catch (const KeeperException& e) {
    if (e.code() != Error::kNoNode) throw;
    return false;
  }
}

bool Barrier::Wait(std::chrono::milliseconds timeout) {
  auto deadline = DeadlineAfter(timeout);
  for (;;) {
    uint64_t seen = signal_->count();
    try {
      if (!client_.Exists(path_, Waker(signal_))) return true;
    } catch (const KeeperException& e) {
      if (e.code() != Error::kConnectionLoss && e.code() != Error::kSessionExpired) throw;
      if (!WaitConnectedUntil(client_, deadline)) return false;
      continue;
    }
    if (!signal_->WaitPast(seen, deadline)) return false;
  }
}

}  // namespace caucus::recipes
