// Ready: what the core asks its host to do after an input, in the order the host must do it
// (cf. etcd raft's Ready, Scylla's fsm_output):
//   1. persist `epochs`, apply `truncate_after` and `install_snapshot` to the log, durably,
//      before anything else (synchronously);
//   2. open/close channels, send `votes` and `messages`;
//   3. queue `append` to the log (asynchronous; report with Peer::OnPersisted(generation, z));
//   4. apply `commit` to the state machine, in order;
//   5. act on `role` and `app` (received host traffic), then `read_rounds`.
// The core sends a message that claims durability (ACK, ACKEPOCH, NEWLEADER ack) only after
// the matching persistence was reported, so the host needs no ordering of its own beyond this.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "server/zab/message.h"

namespace caucus::zab {

struct OutVote {
  ServerId to = 0;
  Notification n;
};

struct OutMessage {
  ChannelId channel = 0;
  ServerId to = 0;
  Message msg;
};

struct OpenChannel {
  ChannelId channel = 0;
  ServerId to = 0;
};

struct SnapshotInstall {
  int64_t zxid = 0;
  std::shared_ptr<const std::string> state;
};

// The peer's role as the host sees it. `serving` is true once the peer may serve clients:
// a leader whose epoch is established, or a learner that received UPTODATE.
struct RoleChange {
  PeerState state = PeerState::kLooking;
  ServerId leader = 0;
  int64_t epoch = 0;
  bool serving = false;
  const char* why = "";  // for the host's log line
};

struct Received {
  ServerId from = 0;
  std::string payload;
};

// A read round finished (see Peer::StartReadRound).
struct ReadRoundDone {
  uint64_t round = 0;
  bool ok = false;  // false: no quorum answered in time
  // The lowest, over the quorums among the answers, of the highest zxid durable on a voter
  // of that quorum: every write acknowledged before the round started is at or below it.
  int64_t bound = 0;
  // Leader only: no voter of the quorum had accepted a newer epoch, so this peer was still
  // the leader after the round started, and `committed_at_start` covers every write
  // acknowledged before it started (a ReadIndex, as etcd's).
  bool leadership_confirmed = false;
  int64_t committed_at_start = 0;
};

struct Ready {
  std::optional<Epochs> epochs;
  std::optional<int64_t> truncate_after;
  std::optional<SnapshotInstall> install_snapshot;  // replaces the log and the state
  std::vector<OpenChannel> open;
  std::vector<ChannelId> close;
  std::vector<OutVote> votes;
  std::vector<OutMessage> messages;
  uint64_t log_generation = 0;  // tag for `append`; bumped by truncation/snapshot install
  std::vector<Entry> append;
  std::vector<Entry> commit;
  std::optional<RoleChange> role;
  std::vector<Received> app;
  std::vector<ReadRoundDone> read_rounds;

  bool empty() const {
    return !epochs && !truncate_after && !install_snapshot && open.empty() && close.empty() &&
           votes.empty() && messages.empty() && append.empty() && commit.empty() && !role &&
           app.empty() && read_rounds.empty();
  }
};

}  // namespace caucus::zab
