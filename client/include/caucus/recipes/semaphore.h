// Semaphore: at most N leases held at once across processes (Curator's
// InterProcessSemaphoreV2).
//
//   caucus::recipes::Semaphore slots(client, "/pools/gpu", 4);
//   if (auto lease = slots.TryAcquire(10s)) {
//     use_gpu();
//   }                                    // the Lease's destructor returns it
//
// Each lease is an ephemeral-sequential node under <path>/leases (a protected create, so a
// lost reply does not leak a lease). Acquirers take turns through a fair Lock on
// <path>/locks: the one holding it creates its lease node and, while there are more than N,
// waits on the children of <path>/leases. So only one process watches the lease set, and
// waiters are served in arrival order.
//
// Guarantees: never more than N leases at once among live sessions, provided every
// participant uses the same N (as in Curator, N is not stored). A lease held by a session
// that expires (a crashed or partitioned process) disappears with its node, so its slot
// frees up within the session timeout.
//
// Faults: connection losses are waited out within the timeout; an acquirer whose session
// expires while waiting starts over with the new session. A Lease of an expired session is
// gone; its Release() does nothing.
//
// Thread-safety: a Semaphore may be used from several threads at once (each acquisition has
// its own lock node). A Lease is used by one thread at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "caucus/client.h"

namespace caucus::recipes {

class Signal;

// One held lease; returns it when destroyed. Must not outlive its Client.
class Lease {
 public:
  Lease(Lease&& other) noexcept;
  Lease& operator=(Lease&& other) noexcept;
  ~Lease();  // Release()s

  // Deletes the lease node (retrying through connection losses while its session lives).
  // Idempotent.
  void Release();
  // The lease node's path; empty once released.
  const std::string& node() const { return node_; }

 private:
  friend class Semaphore;
  Lease(Client& client, std::string node, int64_t session);
  // Release() without waiting for a connection (for an acquisition out of time).
  void Abandon();

  Client* client_ = nullptr;
  std::string node_;
  int64_t session_ = 0;
};

class Semaphore {
 public:
  // `max_leases` (N) must be the same for every participant on `path`.
  Semaphore(Client& client, std::string path, int max_leases, std::string lease_data = {});
  ~Semaphore();
  Semaphore(const Semaphore&) = delete;
  Semaphore& operator=(const Semaphore&) = delete;

  // Blocks until a lease is held.
  Lease Acquire();
  // nullopt if no lease was free within `timeout` (the bound also covers waiting for a
  // connection; a call already sent may take up to a session timeout more to fail).
  std::optional<Lease> TryAcquire(std::chrono::milliseconds timeout);
  // `n` leases, all or none: on timeout those already acquired are returned.
  std::vector<Lease> TryAcquire(int n, std::chrono::milliseconds timeout);

  // The lease nodes that exist now (held or being acquired), in sequence order.
  std::vector<std::string> LeaseNodes();

 private:
  using Deadline = std::optional<std::chrono::steady_clock::time_point>;
  std::optional<Lease> AcquireUntil(Deadline deadline);
  // With the acquisition lock held: creates our lease node and waits until it fits.
  std::optional<Lease> AcquireLocked(Deadline deadline);

  Client& client_;
  std::string path_, leases_, locks_, data_;
  int max_leases_;
  std::shared_ptr<Signal> signal_;
  int listener_ = 0;
};

}  // namespace caucus::recipes
