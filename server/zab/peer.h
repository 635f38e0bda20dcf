// Peer: one replica's ZAB protocol, a deterministic state machine with no I/O, threads or
// clock. Inputs: Tick, notifications and channel messages from other peers, channel closes,
// Propose (leader), OnPersisted (log writes done). Output: TakeReady() (see ready.h).
//
// Phases, as in the ZAB paper and ZooKeeper's Leader/Learner:
//   election   (LOOKING)  Fast Leader Election over best-effort notifications;
//   discovery  FOLLOWERINFO -> LEADERINFO(new epoch > every accepted epoch of a quorum)
//              -> ACKEPOCH; a follower ahead of the leader aborts the epoch;
//   sync       DIFF / TRUNC+DIFF / SNAP+DIFF, then NEWLEADER; the learner acks once all of it
//              and its new current epoch are durable; a quorum of acks establishes the epoch
//              and commits the leader's whole history;
//   broadcast  PROPOSAL -> ACK (after fsync) -> COMMIT in zxid order; PING both ways.
// A leader that hears from less than a quorum for sync_limit ticks, or a learner that hears
// nothing from its leader, goes back to election.
//
// Read rounds (for linearizable reads without the leader, after Paxos Quorum Reads): any
// member asks voters, on a dedicated read channel, for the highest zxid each holds durably;
// the maximum over any quorum of the answers bounds every write acknowledged before the round
// began (an acknowledged write is durable on a quorum, and two quorums intersect), and the
// round takes the quorum with the lowest maximum among the answers it waited for. The
// host serves the reads of the round once it has applied that far and StateIsCommitted().
// Replies also carry commit knowledge, so a reader whose leader died can still learn commits
// from a voter of the same epoch. Every new epoch starts with a no-op entry, so that a tail
// of an old epoch that the new leader dropped is passed by the reader's applied zxid.
//
// Not thread-safe: owned by one replica loop. The host never calls into the Peer from inside
// the processing of a Ready (take it, then act on it).
#pragma once

#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "server/zab/election.h"
#include "server/zab/learner_link.h"
#include "server/zab/message.h"
#include "server/zab/options.h"
#include "server/zab/ready.h"
#include "server/zab/state_source.h"

namespace caucus::zab {

class Peer {
 public:
  Peer(PeerOptions options, PersistentState state, StateSource& source);
  Peer(const Peer&) = delete;
  Peer& operator=(const Peer&) = delete;

  // --- Inputs ---
  void Tick();
  void OnNotification(ServerId from, const Notification& n);
  void OnMessage(ServerId from, ChannelId channel, const Message& m);
  void OnChannelClosed(ChannelId channel);
  // Log writes of `generation` are durable up to `zxid`.
  void OnPersisted(uint64_t generation, int64_t zxid);
  // The host could not write its log: it cannot take part until it is re-synced.
  void OnLogFailed();
  // Leader only, once serving: orders `data` as the next transaction. Returns its zxid, or
  // 0 when this peer cannot propose now (not an established leader, or zxids ran out).
  int64_t Propose(std::shared_ptr<const std::string> data);
  // The zxid the next Propose will get (0 when this peer cannot propose).
  int64_t NextZxid() const;
  // Host traffic over the channel to the leader (false when there is none).
  bool SendToLeader(std::string payload);
  // Host traffic to a synced learner (false when it has no channel to this leader).
  bool SendToLearner(ServerId id, std::string payload);
  // Starts a read round; its result comes in Ready::read_rounds under the returned id.
  uint64_t StartReadRound();

  Ready TakeReady();

  // --- State, for the host, admin commands and checkers ---
  PeerState state() const { return state_; }
  bool serving() const { return serving_; }
  ServerId leader() const { return leader_; }
  ServerId id() const { return options_.id; }
  int64_t epoch() const { return epoch_; }
  const Epochs& epochs() const { return epochs_; }
  int64_t last_logged() const { return log_.empty() ? log_base_ : log_.back().zxid; }
  int64_t committed() const { return committed_; }
  int64_t applied() const { return applied_; }
  int64_t persisted() const { return persisted_; }
  int64_t log_base() const { return log_base_; }
  const std::deque<Entry>& log() const { return log_; }
  const Vote& vote() const { return current_vote_; }
  size_t synced_learners() const;
  // The host's state holds only committed transactions (false after a restart until a
  // leader or a voter of the same epoch confirms the recovered tail, and after a SNAP until
  // the epoch it came from is established). Reads that must be linearizable need it.
  bool StateIsCommitted() const { return !snap_unconfirmed_ && applied_ <= committed_; }
  size_t read_rounds_in_flight() const { return read_rounds_.size(); }
  // Times a learner was sent a sync it could not apply (a TRUNC to an entry it lacks). Must
  // stay 0; the simulator checks it.
  int64_t sync_conflicts() const { return sync_conflicts_; }

 private:
  // peer.cc: shared
  void StartElection();
  void BecomeLooking(const char* why);
  void Decide(const Vote& v);
  void SetRole(bool serving, const char* why);
  ChannelId NewChannel();
  void PersistEpochs();
  void Send(ChannelId ch, ServerId to, Message m);
  void AppendLocal(const Entry& e);
  void TruncateLocal(int64_t zxid);
  void ApplyCommitted();
  void TrimLog();
  const Entry* FindEntry(int64_t zxid) const;

  // leader.cc
  void LeaderOnMessage(ServerId from, ChannelId ch, const Message& m);
  void LeaderOnFollowerInfo(ServerId from, ChannelId ch, const FollowerInfo& fi);
  void LeaderOnAckEpoch(LearnerLink& l, const AckEpoch& a);
  void LeaderOnAckNewLeader(LearnerLink& l, const AckNewLeader& a);
  void LeaderMaybeEstablishEpoch();
  void LeaderMaybeEstablish();
  void LeaderSync(LearnerLink& l);
  void LeaderSendUpToDate(LearnerLink& l);
  void LeaderTryCommit();
  void LeaderTick();
  bool LeaderSelfAckedEpoch() const;
  size_t CountVoters(LearnerLink::Phase at_least) const;

  // read_round.cc
  void OnReadProbe(ServerId from, ChannelId ch, const ReadProbe& p);
  void OnReadProbeReply(ServerId from, const ReadProbeReply& r);
  bool ProbeVoter(ServerId to, uint64_t round);
  void FinishReadRound(uint64_t round, bool ok);
  void MaybeFinishReadRound(uint64_t round);
  void SettleReadRounds();
  void WidenReadRound(uint64_t round);
  struct ReadRound;
  int64_t ReadBound(const ReadRound& r) const;
  bool EstablishedLeader() const { return state_ == PeerState::kLeading && established_; }
  void ReadTick();
  bool OnReadChannelClosed(ChannelId ch);

  // follower.cc
  void LearnerOnMessage(ChannelId ch, const Message& m);
  void LearnerOnLeaderInfo(const LeaderInfo& li);
  void LearnerOnSync(const Sync& s);
  void LearnerOnNewLeader(const NewLeader& nl);
  void LearnerOnProposal(const Proposal& p);
  void LearnerMaybeAck();
  void LearnerTick();
  void SendFollowerInfo();

  PeerOptions options_;
  StateSource& source_;
  Election election_;
  Ready ready_;

  // Durable state (mirrored here; the host persists it when Ready says so).
  Epochs epochs_;
  std::deque<Entry> log_;  // entries after log_base_, in zxid order, durable up to persisted_
  int64_t log_base_ = 0;
  int64_t persisted_ = 0;
  uint64_t generation_ = 0;
  int64_t committed_ = 0;  // known committed (may exceed persisted_ on a learner)
  int64_t applied_ = 0;    // handed to the host for apply

  PeerState state_ = PeerState::kLooking;
  bool serving_ = false;
  ServerId leader_ = 0;
  Vote current_vote_;
  int64_t epoch_ = 0;  // the epoch being established or served
  int32_t phase_ticks_ = 0;  // ticks since entering the current phase
  uint64_t next_channel_ = 1;

  // Leader state
  std::map<ChannelId, LearnerLink> links_;
  bool epoch_proposed_ = false;  // LEADERINFO epoch chosen
  bool sync_started_ = false;    // a quorum acked the epoch; learners are being synced
  bool established_ = false;     // a quorum acked NEWLEADER
  int32_t quorum_lost_ticks_ = 0;
  int64_t initial_zxid_ = 0;     // last zxid of the history the new epoch starts from
  std::map<ServerId, int64_t> accepted_epochs_;  // from FOLLOWERINFO, self included
  int64_t next_counter_ = 1;

  // Learner state
  ChannelId leader_channel_ = 0;
  int32_t leader_silent_ticks_ = 0;
  bool leader_info_seen_ = false;     // received LEADERINFO
  const char* synced_by_ = "";       // how the last sync went, for the host's log
  bool synced_ = false;               // received Sync
  std::optional<NewLeader> newleader_;  // received, not yet acked
  bool newleader_acked_ = false;
  int64_t acked_ = 0;                 // highest zxid acked to the leader
  int64_t sync_conflicts_ = 0;
  bool snap_unconfirmed_ = false;     // state installed from a SNAP of a not yet established epoch

  // Read rounds
  struct ReadRound {
    std::map<ServerId, bool> replied;  // voter -> whether it confirmed our leadership
    std::set<ServerId> probed;         // voters asked whose read channel has not closed since
    std::vector<int64_t> answers;  // durable positions, one per voter that answered
    int64_t max_accepted = 0;      // the newest accepted epoch among the answers
    // From the answer of the established leader of leader_epoch, if it came: its commit point.
    int64_t leader_committed = -1;
    int64_t leader_epoch = 0;

    int64_t committed_at_start = 0;
    bool leading_at_start = false;
    int64_t epoch_at_start = 0;
    int32_t age_ticks = 0;
  };
  std::map<uint64_t, ReadRound> read_rounds_;
  std::map<ServerId, ChannelId> read_channels_;  // ours, to each other voter
  struct ReadBackoff {
    int32_t wait_ticks = 0;  // until the channel may be reopened
    int32_t next_ticks = 0;  // the wait after the next failure
  };
  std::map<ServerId, ReadBackoff> read_backoff_;  // voters whose read channel failed
  uint64_t next_read_round_ = 1;
  size_t read_turn_ = 0;  // rotates which voters a round asks first
};

}  // namespace caucus::zab
