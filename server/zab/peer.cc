#include "server/zab/peer.h"

#include <algorithm>
#include <utility>

#include "server/base/assert.h"

namespace caucus::zab {

const char* PeerStateName(PeerState s) {
  switch (s) {
    case PeerState::kLooking: return "looking";
    case PeerState::kFollowing: return "following";
    case PeerState::kLeading: return "leading";
    case PeerState::kObserving: return "observing";
  }
  return "?";
}

const char* MessageName(const Message& m) {
  static constexpr const char* kNames[] = {"FOLLOWERINFO", "ACKEPOCH", "ACKNEWLEADER", "ACK",
                                           "LEADERINFO",   "SYNC",     "NEWLEADER",    "UPTODATE",
                                           "PROPOSAL",     "COMMIT",   "PING",         "APPDATA",
                                           "READPROBE",    "READPROBEREPLY"};
  return kNames[m.index()];
}

Peer::Peer(PeerOptions options, PersistentState state, StateSource& source)
    : options_(std::move(options)), source_(source), election_(options_) {
  epochs_ = state.epochs;
  log_base_ = state.log_base;
  for (auto& e : state.entries) {
    CAUCUS_ASSERT(e.zxid > last_logged());
    log_.push_back(std::move(e));
  }
  // Recovery applied every logged entry to the host's state, but whether the tail was
  // committed is unknown until a leader says so: committed_ is knowledge, not position.
  persisted_ = applied_ = last_logged();
  committed_ = 0;
  StartElection();
  SetRole(false, "starting");
}

ChannelId Peer::NewChannel() {
  return (static_cast<uint64_t>(options_.id) << 48) |
         (static_cast<uint64_t>(options_.incarnation & 0xffffu) << 32) | next_channel_++;
}

void Peer::StartElection() {
  state_ = PeerState::kLooking;
  leader_ = 0;
  current_vote_ = Vote{};
  election_.Start(Vote{options_.id, last_logged(), epochs_.current}, &ready_.votes);
}

void Peer::BecomeLooking(const char* why) {
  for (const auto& [ch, l] : links_) ready_.close.push_back(ch);
  links_.clear();
  if (leader_channel_ != 0) ready_.close.push_back(leader_channel_);
  leader_channel_ = 0;
  epoch_proposed_ = sync_started_ = established_ = false;
  accepted_epochs_.clear();
  synced_ = newleader_acked_ = false;
  newleader_.reset();
  quorum_lost_ticks_ = 0;
  state_ = PeerState::kLooking;
  serving_ = false;
  ready_.role = RoleChange{state_, 0, epoch_, false, why};
  StartElection();
}

void Peer::SetRole(bool serving, const char* why) {
  serving_ = serving;
  ready_.role = RoleChange{state_, leader_, epoch_, serving, why};
}

void Peer::Decide(const Vote& v) {
  current_vote_ = v;
  leader_ = v.leader;
  phase_ticks_ = 0;
  if (v.leader == options_.id) {
    state_ = PeerState::kLeading;
    accepted_epochs_[options_.id] = epochs_.accepted;
    SetRole(false, "elected leader");
    LeaderMaybeEstablishEpoch();
    return;
  }
  state_ = options_.IsObserver(options_.id) ? PeerState::kObserving : PeerState::kFollowing;
  SetRole(false, "following the elected leader");
  leader_silent_ticks_ = 0;
  leader_channel_ = NewChannel();
  ready_.open.push_back(OpenChannel{leader_channel_, leader_});
  leader_info_seen_ = false;
  SendFollowerInfo();
}

void Peer::SendFollowerInfo() {
  FollowerInfo fi{epochs_, last_logged(), applied_, log_base_, state_ == PeerState::kObserving};
  Send(leader_channel_, leader_, fi);
}

void Peer::PersistEpochs() { ready_.epochs = epochs_; }

void Peer::Send(ChannelId ch, ServerId to, Message m) {
  ready_.messages.push_back(OutMessage{ch, to, std::move(m)});
}

void Peer::Tick() {
  ReadTick();
  if (state_ == PeerState::kLooking) {
    if (auto d = election_.Tick(&ready_.votes)) Decide(*d);
  } else if (state_ == PeerState::kLeading) {
    LeaderTick();
  } else {
    LearnerTick();
  }
}

void Peer::OnNotification(ServerId from, const Notification& n) {
  if (state_ == PeerState::kLooking) {
    if (auto d = election_.OnNotification(from, n, &ready_.votes)) Decide(*d);
    return;
  }
  // Tell a looking peer who leads, so that it can join.
  if (n.state == PeerState::kLooking) {
    ready_.votes.push_back(OutVote{from, Notification{current_vote_, election_.round(), state_}});
  }
}

void Peer::OnMessage(ServerId from, ChannelId channel, const Message& m) {
  if (const auto* p = std::get_if<ReadProbe>(&m)) {
    OnReadProbe(from, channel, *p);
    return;
  }
  if (const auto* r = std::get_if<ReadProbeReply>(&m)) {
    OnReadProbeReply(from, *r);
    return;
  }
  if (state_ == PeerState::kLeading) {
    LeaderOnMessage(from, channel, m);
  } else if (state_ != PeerState::kLooking && channel == leader_channel_) {
    LearnerOnMessage(channel, m);
  } else if (state_ != PeerState::kLooking && std::holds_alternative<FollowerInfo>(m)) {
    ready_.close.push_back(channel);  // we follow someone else: let it look again now
  }
  // While LOOKING, a FOLLOWERINFO is dropped: the learner repeats it until it hears back.
}

void Peer::OnChannelClosed(ChannelId channel) {
  if (OnReadChannelClosed(channel)) return;
  if (state_ == PeerState::kLeading) {
    links_.erase(channel);
  } else if (state_ != PeerState::kLooking && channel == leader_channel_) {
    leader_channel_ = 0;
    BecomeLooking("connection to the leader lost");
  }
}

void Peer::OnPersisted(uint64_t generation, int64_t zxid) {
  if (generation != generation_) return;  // reports from before a truncation
  persisted_ = std::max(persisted_, std::min(zxid, last_logged()));
  if (state_ == PeerState::kLeading) {
    LeaderMaybeEstablish();
    LeaderTryCommit();
  } else if (state_ != PeerState::kLooking) {
    LearnerMaybeAck();
  }
  ApplyCommitted();
}

void Peer::OnLogFailed() {
  // Whatever was not reported durable may not be in the log: forget it, and rejoin through
  // a fresh election and sync.
  TruncateLocal(persisted_);
  BecomeLooking("transaction log write failed");
}

void Peer::AppendLocal(const Entry& e) {
  CAUCUS_ASSERT(e.zxid > last_logged());
  log_.push_back(e);
  ready_.append.push_back(e);
}

void Peer::TruncateLocal(int64_t zxid) {
  CAUCUS_ASSERT(zxid >= applied_);
  while (!log_.empty() && log_.back().zxid > zxid) log_.pop_back();
  persisted_ = std::min(persisted_, zxid);
  committed_ = std::min(committed_, zxid);
  ++generation_;
  // Appends of this Ready that the truncation removed must not reach the log.
  std::erase_if(ready_.append, [zxid](const Entry& e) { return e.zxid > zxid; });
  ready_.truncate_after = ready_.truncate_after ? std::min(*ready_.truncate_after, zxid) : zxid;
}

const Entry* Peer::FindEntry(int64_t zxid) const {
  auto it = std::lower_bound(log_.begin(), log_.end(), zxid,
                             [](const Entry& e, int64_t z) { return e.zxid < z; });
  return it != log_.end() && it->zxid == zxid ? &*it : nullptr;
}

void Peer::ApplyCommitted() {
  int64_t upto = std::min(committed_, persisted_);
  if (upto <= applied_) return;
  auto it = std::upper_bound(log_.begin(), log_.end(), applied_,
                             [](int64_t z, const Entry& e) { return z < e.zxid; });
  for (; it != log_.end() && it->zxid <= upto; ++it) {
    ready_.commit.push_back(*it);
    applied_ = it->zxid;
  }
  TrimLog();
}

void Peer::TrimLog() {
  while (log_.size() > options_.log_window_entries && log_.front().zxid <= applied_ &&
         log_.front().zxid <= committed_) {
    log_base_ = log_.front().zxid;
    log_.pop_front();
  }
}

Ready Peer::TakeReady() {
  if (!read_rounds_.empty()) SettleReadRounds();
  ready_.log_generation = generation_;
  return std::exchange(ready_, Ready{});
}

size_t Peer::synced_learners() const {
  return static_cast<size_t>(std::count_if(links_.begin(), links_.end(), [](const auto& kv) {
    return kv.second.phase == LearnerLink::Phase::kSynced;
  }));
}

}  // namespace caucus::zab
