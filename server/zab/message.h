// The messages peers exchange, as plain values. The core builds and consumes these; the
// production transport encodes them with Protobuf (proto/caucus/zab.proto, wire_codec.h) and the
// simulator passes them as they are. Names follow ZooKeeper's Leader.java constants.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "server/zab/types.h"

namespace caucus::zab {

// Election traffic: sent between any two peers, best effort (may be lost, duplicated,
// reordered; LOOKING peers repeat theirs).
struct Notification {
  Vote vote;
  int64_t round = 0;  // FLE's logical clock (election epoch)
  PeerState state = PeerState::kLooking;
  bool operator==(const Notification&) const = default;
};

// --- On a channel, learner -> leader ---
struct FollowerInfo {  // discovery: who I am and what I hold
  Epochs epochs;
  int64_t last_zxid = 0;     // last logged
  int64_t applied_zxid = 0;  // last applied to the host's state (cannot be truncated below)
  int64_t log_base = 0;      // the log starts after this zxid (earlier is in the snapshot)
  bool observer = false;
};
struct AckEpoch {
  int64_t current_epoch = 0;
  int64_t last_zxid = 0;
};
struct AckNewLeader {
  int64_t zxid = 0;  // everything up to here is durable in this learner's log
};
struct Ack {
  int64_t zxid = 0;  // cumulative: every proposal up to zxid is durable here
};

// --- On a channel, leader -> learner ---
struct LeaderInfo {
  int64_t epoch = 0;  // the new epoch
};
// How the learner reaches the leader's history before NEWLEADER.
enum class SyncKind : uint8_t { kDiff, kTrunc, kSnap };
struct Sync {
  SyncKind kind = SyncKind::kDiff;
  int64_t trunc_zxid = 0;  // kTrunc: drop every entry after this
  int64_t snap_zxid = 0;   // kSnap: the state below is as of this zxid
  std::shared_ptr<const std::string> snapshot;
  std::vector<Entry> entries;  // then these, in order
};
struct NewLeader {
  int64_t epoch = 0;
  int64_t zxid = 0;  // the leader's last zxid when it sent this
};
struct UpToDate {
  int64_t committed = 0;
};
struct Proposal {
  Entry entry;
};
struct Commit {
  int64_t zxid = 0;  // cumulative
};

// --- Both directions ---
struct Ping {
  int64_t committed = 0;  // leader -> learner; 0 from learners
};
// Opaque host traffic riding on the channel (forwarded client requests, session touches,
// sync replies). Ordered with the protocol messages of the same channel.
struct AppData {
  std::string payload;
};

// --- Read probes: from any member to any voter, on a read channel (see read rounds in
// peer.h). Independent of the leader, so that they work while there is none.
struct ReadProbe {
  uint64_t round = 0;
};
struct ReadProbeReply {
  uint64_t round = 0;
  int64_t persisted = 0;  // the highest zxid durable in the voter's log
  Epochs epochs;          // the voter's durable epochs (a newer accepted epoch deposes a leader)
  int64_t committed = 0;  // what the voter knows to be committed (lets a reader learn commits)
  // The voter is the established leader of epochs.current: `committed` is then that epoch's
  // commit point, which bounds every write acknowledged so far in it (see read_round.cc).
  bool leader = false;
};

using Message = std::variant<FollowerInfo, AckEpoch, AckNewLeader, Ack, LeaderInfo, Sync,
                             NewLeader, UpToDate, Proposal, Commit, Ping, AppData, ReadProbe,
                             ReadProbeReply>;

const char* MessageName(const Message& m);

}  // namespace caucus::zab
