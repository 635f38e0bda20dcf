// SimWorld: a deterministic, seeded simulation of a ZAB ensemble running the real zab::Peer.
//
// Simulated: time (an event queue, no clock), the network (best-effort votes that may be lost,
// duplicated, delayed and reordered; FIFO channels that break instead of losing messages, as
// TCP connections do), partitions that form and heal, disks (log writes complete later, in
// order; slow phases; a crash loses what was not durable), crashes and restarts from exactly
// what was durable. Every replica's state is the list of transactions it applied.
//
// After every event the checkers assert ZAB's guarantees: at most one established leader per
// epoch; committed entries agree across replicas and are applied strictly in zxid order,
// without holes; an acknowledged write is in the log or state of every later leader; nothing
// is acknowledged before it is durable. The end of a run heals every fault and requires the
// ensemble to converge and every acknowledged write to survive.
// Clients write and read a few keys on any replica (reads through read rounds, answered once
// the replica has applied the round's zxid, whether or not it has a leader); the history of
// every operation, timed-out ones included, must be linearizable (tests/sim/linearizability.h).
// One seed = one exact schedule: a failure prints the seed to replay.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "server/zab/peer.h"

namespace caucus::sim {

struct SimConfig {
  uint64_t seed = 1;
  int voters = 3;
  int observers = 0;
  int64_t fault_ms = 12000;   // faults are injected during this time
  int64_t settle_ms = 8000;   // then everything heals and must converge
  int64_t tick_ms = 50;
  bool crashes = true;
  bool partitions = true;
  double vote_loss = 0.1;
  double vote_dup = 0.05;
  double channel_break = 0.002;  // per message
  // Clients also read (a key per write and read, out of a few), and the history of reads
  // and writes is checked for linearizability at the end. `local_reads` answers reads from
  // the replica's state as it is (ZooKeeper's local reads) instead of after a read round:
  // the checker must catch those, which shows it can.
  bool reads = true;
  bool local_reads = false;
  bool verbose = false;
};

struct SimResult {
  bool ok = true;
  std::string failure;  // first violated invariant
  int64_t acked_writes = 0;
  int64_t elections = 0;  // epochs established
  int64_t crashes = 0;
  int64_t partitions = 0;
  int64_t reads = 0;  // reads answered (and checked)
  // Linearizability of the client history: "linearizable", "not linearizable" or "unknown"
  // (the checker ran out of budget); empty when reads are off.
  std::string linearizability;
};

SimResult RunSimulation(const SimConfig& config);

}  // namespace caucus::sim
