// LeaderLatch: leader election among processes (Curator's LeaderLatch). Each participant
// queues an ephemeral-sequential node under `dir`; the first in sequence order leads. Each
// non-leader watches only its predecessor.
//
//   LeaderLatch latch(client, "/election/worker", "host-a");
//   latch.OnGain([](int64_t epoch) { start_work(epoch); });
//   latch.OnLoss([] { stop_work(); });
//   latch.Start();
//
// The epoch passed to OnGain (the czxid of the leader's node) increases with every new
// leader, so it is a fencing token: a resource that has seen epoch E rejects leaders < E.
//
// Faults: when the session expires, leadership is lost (OnLoss), and the latch queues
// again with the client's new session. Close() resigns at once (the node is deleted).
//
// Thread-safety: all methods may be called from any thread; callbacks run on the latch's own
// thread, one at a time (gain/loss strictly alternate). Do not call Close() from a callback.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "caucus/client.h"

namespace caucus::recipes {

class LeaderLatch {
 public:
  LeaderLatch(Client& client, std::string dir, std::string participant_id);
  ~LeaderLatch();  // Close()s
  LeaderLatch(const LeaderLatch&) = delete;
  LeaderLatch& operator=(const LeaderLatch&) = delete;

  void OnGain(std::function<void(int64_t epoch)> cb);
  void OnLoss(std::function<void()> cb);
  void Start();
  // Resigns (if leader) and leaves the election. Idempotent.
  void Close();

  bool HasLeadership() const;
  // Epoch of our current leadership, 0 when not leader.
  int64_t epoch() const;
  // Waits until we lead; false on timeout or when closed.
  bool AwaitLeadership(std::chrono::milliseconds timeout);
  // The participant id of the current leader (the first node's data), if any.
  std::optional<std::string> LeaderId();

  struct State;

 private:
  void Run();
  bool Step();

  Client& client_;
  std::string dir_, id_;
  std::shared_ptr<State> state_;
  std::thread thread_;
  int listener_ = 0;
};

}  // namespace caucus::recipes
