#include "caucus/recipes/semaphore.h"

#include <algorithm>
#include <utility>

#include "caucus/recipes/lock.h"
#include "client/recipes/util.h"

namespace caucus::recipes {

using Clock = std::chrono::steady_clock;

Lease::Lease(Client& client, std::string node, int64_t session)
    : client_(&client), node_(std::move(node)), session_(session) {}

Lease::Lease(Lease&& other) noexcept
    : client_(std::exchange(other.client_, nullptr)),
      node_(std::exchange(other.node_, {})),
      session_(std::exchange(other.session_, 0)) {}

Lease& Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    Release();
    client_ = std::exchange(other.client_, nullptr);
    node_ = std::exchange(other.node_, {});
    session_ = std::exchange(other.session_, 0);
  }
  return *this;
}

Lease::~Lease() { Release(); }

void Lease::Abandon() {
  if (!client_) return;
  if (client_->connected()) return Release();
  // A blocking delete would wait for the connection past the caller's deadline. The async
  // one is sent once the connection is back; if the session expires first, the node is gone.
  client_->DeleteAsync(node_, -1, [](Result<void>) {});
  client_ = nullptr;
  node_.clear();
  session_ = 0;
}

void Lease::Release() {
  if (!client_) return;
  DeleteWhileSessionLives(*client_, node_, session_);
  client_ = nullptr;
  node_.clear();
  session_ = 0;
}

Semaphore::Semaphore(Client& client, std::string path, int max_leases, std::string lease_data)
    : client_(client),
      path_(std::move(path)),
      leases_(path_ + "/leases"),
      locks_(path_ + "/locks"),
      data_(std::move(lease_data)),
      max_leases_(max_leases),
      signal_(std::make_shared<Signal>()) {
  listener_ = NotifyOnSessionChange(client_, signal_);
}

Semaphore::~Semaphore() { client_.RemoveSessionListener(listener_); }

Lease Semaphore::Acquire() { return *AcquireUntil(std::nullopt); }

std::optional<Lease> Semaphore::TryAcquire(std::chrono::milliseconds timeout) {
  return AcquireUntil(DeadlineAfter(timeout));
}

std::vector<Lease> Semaphore::TryAcquire(int n, std::chrono::milliseconds timeout) {
  auto deadline = DeadlineAfter(timeout);
  std::vector<Lease> leases;
  while (static_cast<int>(leases.size()) < n) {
    auto lease = AcquireUntil(deadline);
    if (!lease) return {};  // all or none: the ones we got are released here
    leases.push_back(std::move(*lease));
  }
  return leases;
}

std::vector<std::string> Semaphore::LeaseNodes() {
  try {
    return SortedChildren(client_, leases_);
  } catch (const KeeperException& e) {
    if (e.code() != Error::kNoNode) throw;
    return {};
  }
}

std::optional<Lease> Semaphore::AcquireUntil(Deadline deadline) {
  for (;;) {
    // One acquirer at a time, in arrival order: it alone watches the lease set.
    Lock turn(client_, locks_);
    if (deadline) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - Clock::now());
      if (!turn.TryAcquire(std::max(left, std::chrono::milliseconds(0)))) return std::nullopt;
    } else {
      turn.Acquire();
    }
    try {
      return AcquireLocked(deadline);
    } catch (const KeeperException& e) {
      // Our session expired (the turn and the lease node went with it), or the lease node
      // was deleted under us: start over.
      if (e.code() != Error::kSessionExpired && e.code() != Error::kNoNode) throw;
    }
    if (deadline && Clock::now() >= *deadline) return std::nullopt;
  }
}

std::optional<Lease> Semaphore::AcquireLocked(Deadline deadline) {
  std::function<bool()> expired;
  if (deadline) expired = [d = *deadline] { return Clock::now() >= d; };
  std::optional<Lease> lease;
  std::string id = RandomId();
  try {
    auto r = ProtectedCreate(client_, leases_, id, "lease-", data_, expired);
    lease.emplace(Lease(client_, r.path, r.stat.ephemeral_owner));
  } catch (const KeeperException& e) {
    if (e.code() != Error::kClosing || !expired || !expired()) throw;
    // Out of time while disconnected: a create whose reply was lost may exist; remove it
    // if we can tell now (otherwise it goes with the session).
    if (client_.connected()) {
      if (auto found = FindProtected(client_, leases_, id)) {
        DeleteWhileSessionLives(client_, *found, client_.session_id());
      }
    }
    return std::nullopt;
  }
  std::string mine = lease->node().substr(leases_.size() + 1);
  auto forever = Clock::now() + std::chrono::hours(24 * 365);
  for (;;) {
    uint64_t seen = signal_->count();
    if (client_.session_id() != lease->session_) throw KeeperException(Error::kSessionExpired);
    try {
      auto kids = client_.GetChildren(leases_, Waker(signal_));
      if (std::find(kids.begin(), kids.end(), mine) == kids.end()) {
        throw KeeperException(Error::kNoNode, lease->node());
      }
      if (static_cast<int>(kids.size()) <= max_leases_) return lease;
    } catch (const KeeperException& e) {
      if (e.code() != Error::kConnectionLoss) throw;
      if (WaitConnectedUntil(client_, deadline.value_or(forever))) continue;
      lease->Abandon();
      return std::nullopt;
    }
    // Woken when a lease is returned (or expires), or the session changes.
    if (!signal_->WaitPast(seen, deadline.value_or(forever))) {
      lease->Abandon();
      return std::nullopt;
    }
  }
}

}  // namespace caucus::recipes
