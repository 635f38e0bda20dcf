// DoubleBarrier: N processes start a computation together and finish it together (kazoo's
// DoubleBarrier, Curator's DistributedDoubleBarrier).
//
//   caucus::recipes::DoubleBarrier round(client, "/jobs/round-7", 3);
//   if (!round.Enter(30s)) return;       // returns once 3 participants have entered
//   compute();
//   round.Leave(30s);                    // returns once all of them have left
//
// Each participant is an ephemeral node <path>/<id>. Enter: the participant that finds N
// nodes creates <path>/ready; the others wait for it with an exists watch (no polling).
// Leave: a participant deletes its node and waits for the lowest remaining one to go; the
// lowest waits for the highest. So each waiter watches one node and leaving costs O(N)
// notifications, not O(N^2).
//
// Guarantees: no Enter returns true before N participants have entered; no Leave returns
// true while a participant that entered has not left (or died). The last one out deletes
// `ready`, so the path can host the next round once everyone has left.
//
// Faults: a participant whose session expires has left (its node is gone): the others'
// Leave does not wait for a dead process. A participant whose own session expires while it
// waits in Enter re-creates its node with the new session. Connection losses are waited out
// within the timeout. An Enter that times out removes its node again (if connected); a
// Leave that times out may have removed it already.
//
// Thread-safety: one thread uses an object at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "caucus/client.h"

namespace caucus::recipes {

class DoubleBarrier {
 public:
  // `id` names this participant's node; empty: a random id. Ids must differ.
  DoubleBarrier(Client& client, std::string path, int participants, std::string id = {});
  ~DoubleBarrier();
  DoubleBarrier(const DoubleBarrier&) = delete;
  DoubleBarrier& operator=(const DoubleBarrier&) = delete;

  // Joins and waits for all participants; false on timeout.
  bool Enter(std::chrono::milliseconds timeout);
  // Leaves and waits until everyone has left; false on timeout.
  bool Leave(std::chrono::milliseconds timeout);

  const std::string& node() const { return node_; }

  struct State;

 private:
  enum class Step { kDone, kWait, kAgain };
  void EnsureNode();
  // Whether the group is complete (`ready` exists, or we just completed it).
  bool ReadyOrComplete();
  // One step of Leave: done, wait for the watched node, or look again at once.
  Step LeaveStep();
  void DeleteOwnNode();

  Client& client_;
  std::string path_, ready_, node_;
  int participants_;
  int64_t node_session_ = 0;  // the session our node belongs to; 0: no node
  std::shared_ptr<State> state_;
  int listener_ = 0;
};

}  // namespace caucus::recipes
