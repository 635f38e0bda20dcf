// Barrier: a gate that holds processes back while one node exists (kazoo's Barrier, Curator's
// DistributedBarrier).
//
//   caucus::recipes::Barrier gate(client, "/deploy/gate");
//   gate.Set();                          // coordinator: close the gate
//   if (gate.Wait(60s)) start();         // workers: block until the coordinator Remove()s it
//
// Guarantees: Wait returns true once the node is absent (at once if it already is); it
// watches the node (one exists watch), it does not poll.
//
// Faults: the watch is re-registered across reconnects, and every session change makes the
// waiter look again, so a removal while a waiter was disconnected or its session expired is
// still seen. The node is persistent: the barrier stays set if the setter dies.
//
// Thread-safety: a Barrier may be used from several threads at once.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "caucus/client.h"

namespace caucus::recipes {

class Signal;

class Barrier {
 public:
  Barrier(Client& client, std::string path);
  ~Barrier();
  Barrier(const Barrier&) = delete;
  Barrier& operator=(const Barrier&) = delete;

  // Creates the barrier node (and missing parents); false if it was already set.
  bool Set();
  // Deletes the barrier node; false if it was not set.
  bool Remove();
  // Waits until the barrier is not set; false on timeout.
  bool Wait(std::chrono::milliseconds timeout);

 private:
  Client& client_;
  std::string path_;
  std::shared_ptr<Signal> signal_;
  int listener_ = 0;
};

}  // namespace caucus::recipes
