// Vocabulary of the replication core: server ids, log entries, votes and the durable epochs.
// Plain values, shared by the core, its hosts and the simulator.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <tuple>

#include "server/base/zxid.h"

namespace caucus::zab {

using ServerId = int64_t;
// One follower<->leader conversation (a TCP connection in production). Messages on a channel
// arrive in order and without gaps, or the channel is closed: ZAB needs FIFO links.
using ChannelId = uint64_t;

// One replicated transaction. The core never looks inside `data` (the host's encoded txn).
struct Entry {
  int64_t zxid = 0;
  std::shared_ptr<const std::string> data;
};

inline uint32_t EpochOf(int64_t zxid) { return base::ZxidEpoch(zxid); }

enum class PeerState : uint8_t { kLooking, kFollowing, kLeading, kObserving };
const char* PeerStateName(PeerState s);

// A Fast Leader Election vote: proposes `leader`, whose history is (epoch, zxid). Votes are
// totally ordered by (epoch, zxid, leader), so every peer converges on the same best one.
struct Vote {
  ServerId leader = 0;
  int64_t zxid = 0;
  int64_t epoch = 0;  // the proposed leader's currentEpoch

  bool operator==(const Vote&) const = default;
  bool BetterThan(const Vote& o) const {
    return std::tie(epoch, zxid, leader) > std::tie(o.epoch, o.zxid, o.leader);
  }
};

// ZAB's two durable epochs: accepted = the newest epoch this peer promised to follow
// (LEADERINFO), current = the epoch whose history it has fully taken (NEWLEADER).
struct Epochs {
  int64_t accepted = 0;
  int64_t current = 0;
  // Not an epoch, but durable with them: when a SNAP replaces a learner's log, the highest
  // zxid that log held durably (0 otherwise), until the learner holds its new leader's whole
  // history (acks NEWLEADER). Meanwhile it may lack writes it once acknowledged, so it must
  // not answer read probes, whose argument counts it as holding them. Never on the wire.
  int64_t read_floor = 0;
  bool operator==(const Epochs&) const = default;
};

}  // namespace caucus::zab
