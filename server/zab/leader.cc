// The leader's side of discovery, sync and broadcast (ZooKeeper's Leader + LearnerHandler).
#include <algorithm>
#include <vector>

#include "server/base/assert.h"
#include "server/zab/peer.h"

namespace caucus::zab {

using Phase = LearnerLink::Phase;

namespace {
constexpr int32_t kQuorumLostGraceTicks = 4;
}  // namespace

void Peer::LeaderOnMessage(ServerId from, ChannelId ch, const Message& m) {
  if (const auto* fi = std::get_if<FollowerInfo>(&m)) {
    LeaderOnFollowerInfo(from, ch, *fi);
    return;
  }
  auto it = links_.find(ch);
  if (it == links_.end()) return;  // a channel we dropped
  LearnerLink& l = it->second;
  l.silent_ticks = 0;
  if (const auto* a = std::get_if<AckEpoch>(&m)) {
    LeaderOnAckEpoch(l, *a);
  } else if (const auto* nl = std::get_if<AckNewLeader>(&m)) {
    LeaderOnAckNewLeader(l, *nl);
  } else if (const auto* ack = std::get_if<Ack>(&m)) {
    l.acked_zxid = std::max(l.acked_zxid, ack->zxid);
    LeaderTryCommit();
  } else if (auto* app = std::get_if<AppData>(&m)) {
    ready_.app.push_back(Received{l.id, app->payload});
  }
}

void Peer::LeaderOnFollowerInfo(ServerId from, ChannelId ch, const FollowerInfo& fi) {
  bool voter = options_.IsVoter(from) && !fi.observer;
  if (!voter && !options_.IsObserver(from)) {
    ready_.close.push_back(ch);  // not a member of this ensemble
    return;
  }
  if (auto same = links_.find(ch); same != links_.end()) {
    if (same->second.phase == Phase::kConnected) same->second.info = fi;
    return;  // a repeat: it had not heard from us yet
  }
  // A learner reconnecting: its old channel is dead even if we have not noticed yet.
  for (auto it = links_.begin(); it != links_.end();) {
    if (it->second.id == from) {
      ready_.close.push_back(it->first);
      it = links_.erase(it);
    } else {
      ++it;
    }
  }
  LearnerLink& l = links_[ch];
  l.channel = ch;
  l.id = from;
  l.observer = !voter;
  l.info = fi;
  if (voter && !epoch_proposed_) accepted_epochs_[from] = fi.epochs.accepted;
  if (epoch_proposed_) {
    Send(ch, from, LeaderInfo{epoch_});
    l.phase = Phase::kEpochSent;
    return;
  }
  LeaderMaybeEstablishEpoch();
}

// Discovery: once a quorum has told us its accepted epoch, pick one above all of them, so no
// earlier leader can have used it.
void Peer::LeaderMaybeEstablishEpoch() {
  if (epoch_proposed_ || accepted_epochs_.size() < options_.Quorum()) return;
  int64_t max_epoch = 0;
  for (const auto& [s, e] : accepted_epochs_) max_epoch = std::max(max_epoch, e);
  epoch_ = max_epoch + 1;
  CAUCUS_ASSERT(epoch_ < (int64_t{1} << 32));
  epochs_.accepted = epoch_;
  PersistEpochs();
  epoch_proposed_ = true;
  phase_ticks_ = 0;
  for (auto& [ch, l] : links_) {
    Send(ch, l.id, LeaderInfo{epoch_});
    l.phase = Phase::kEpochSent;
  }
  LeaderMaybeEstablish();
}

void Peer::LeaderOnAckEpoch(LearnerLink& l, const AckEpoch& a) {
  if (l.phase != Phase::kEpochSent) return;
  // ZAB's guard: the new leader's history must include every learner's. One that is ahead
  // means the election picked wrongly (stale information); start over.
  if (!l.observer && std::make_pair(a.current_epoch, a.last_zxid) >
                         std::make_pair(epochs_.current, last_logged())) {
    BecomeLooking("a follower is ahead of the elected leader");
    return;
  }
  l.phase = Phase::kEpochAcked;
  l.info.last_zxid = a.last_zxid;
  if (sync_started_) {
    LeaderSync(l);
    return;
  }
  LeaderMaybeEstablish();
}

size_t Peer::CountVoters(Phase at_least) const {
  size_t n = options_.IsVoter(options_.id) ? 1 : 0;  // self
  for (const auto& [ch, l] : links_) {
    if (!l.observer && l.phase >= at_least) ++n;
  }
  return n;
}

// Moves the new epoch forward as far as the quorum allows: start syncing once a quorum
// acked the epoch; establish once a quorum acked NEWLEADER and our own log is durable.
void Peer::LeaderMaybeEstablish() {
  if (!epoch_proposed_ || established_) return;
  if (!sync_started_) {
    if (CountVoters(Phase::kEpochAcked) < options_.Quorum()) return;
    sync_started_ = true;
    epochs_.current = epoch_;
    epochs_.read_floor = 0;  // its own log is the new epoch's history, durable here
    PersistEpochs();
    initial_zxid_ = last_logged();
    next_counter_ = 1;
    for (auto& [ch, l] : links_) {
      if (l.phase == Phase::kEpochAcked) LeaderSync(l);
    }
  }
  if (persisted_ < initial_zxid_ || CountVoters(Phase::kSynced) < options_.Quorum()) return;
  established_ = true;
  // The whole history the epoch started from is now on a quorum: it is committed.
  committed_ = std::max(committed_, initial_zxid_);
  SetRole(true, "epoch established");
  for (auto& [ch, l] : links_) {
    if (l.phase == Phase::kSynced) LeaderSendUpToDate(l);
  }
  ApplyCommitted();
  // The epoch's first entry is a no-op: once a reader has applied it, every tail of an older
  // epoch this leader dropped lies below the reader's applied zxid, so a read round that
  // saw such a tail on some voter does not wait for it forever.
  Propose(source_.EpochStartEntry(NextZxid()));
  LeaderTryCommit();
}

void Peer::LeaderSync(LearnerLink& l) {
  const int64_t f = l.info.last_zxid;
  const int64_t last = last_logged();
  Sync s;
  int64_t from = f;
  if (f == last || (f < last && f >= log_base_ && (f == log_base_ || FindEntry(f)))) {
    s.kind = SyncKind::kDiff;
  } else {
    // The learner holds entries we do not (an uncommitted tail of an old epoch), or is too
    // far behind: truncate it to the newest zxid we share, if it has not applied past it.
    int64_t t = log_base_;
    auto it = std::lower_bound(log_.begin(), log_.end(), f,
                               [](const Entry& e, int64_t z) { return e.zxid < z; });
    if (it != log_.begin()) t = std::prev(it)->zxid;
    if (f >= log_base_ && t >= l.info.applied_zxid) {
      s.kind = SyncKind::kTrunc;
      s.trunc_zxid = t;
      from = t;
    } else {
      StateSnapshot snap = source_.TakeSnapshot();
      CAUCUS_ASSERT(snap.zxid == applied_ && snap.zxid >= log_base_);
      s.kind = SyncKind::kSnap;
      s.snap_zxid = snap.zxid;
      s.snapshot = std::move(snap.bytes);
      from = snap.zxid;
    }
  }
  auto it = std::upper_bound(log_.begin(), log_.end(), from,
                             [](int64_t z, const Entry& e) { return z < e.zxid; });
  s.entries.assign(it, log_.end());
  Send(l.channel, l.id, std::move(s));
  Send(l.channel, l.id, NewLeader{epoch_, last});
  if (committed_ > from) Send(l.channel, l.id, Commit{committed_});
  l.phase = Phase::kSyncing;
}

void Peer::LeaderOnAckNewLeader(LearnerLink& l, const AckNewLeader& a) {
  if (l.phase != Phase::kSyncing) return;
  l.phase = Phase::kSynced;
  l.acked_zxid = std::max(l.acked_zxid, a.zxid);
  if (established_) {
    LeaderSendUpToDate(l);
    LeaderTryCommit();
  } else {
    LeaderMaybeEstablish();
  }
}

void Peer::LeaderSendUpToDate(LearnerLink& l) {
  Send(l.channel, l.id, UpToDate{committed_});
  l.uptodate_sent = true;
}

// Commits the highest zxid of this epoch that a quorum of voters holds durably.
void Peer::LeaderTryCommit() {
  if (!established_) return;
  std::vector<int64_t> acked;
  if (options_.IsVoter(options_.id)) acked.push_back(persisted_);
  for (const auto& [ch, l] : links_) {
    if (!l.observer && l.phase == Phase::kSynced) acked.push_back(l.acked_zxid);
  }
  if (acked.size() < options_.Quorum()) return;
  std::nth_element(acked.begin(), acked.begin() + static_cast<long>(options_.Quorum() - 1),
                   acked.end(), std::greater<>());
  int64_t c = std::min(acked[options_.Quorum() - 1], last_logged());
  if (c <= committed_) return;
  committed_ = c;
  for (auto& [ch, l] : links_) {
    if (l.phase >= Phase::kSyncing) Send(ch, l.id, Commit{c});
  }
  ApplyCommitted();
}

int64_t Peer::NextZxid() const {
  if (state_ != PeerState::kLeading || !established_) return 0;
  if (next_counter_ >= 0xffffffffLL) return 0;
  return base::MakeZxid(static_cast<uint32_t>(epoch_), static_cast<uint32_t>(next_counter_));
}

int64_t Peer::Propose(std::shared_ptr<const std::string> data) {
  int64_t zxid = NextZxid();
  if (zxid == 0) return 0;
  ++next_counter_;
  Entry e{zxid, std::move(data)};
  AppendLocal(e);
  for (auto& [ch, l] : links_) {
    if (l.phase >= Phase::kSyncing) Send(ch, l.id, Proposal{e});
  }
  return zxid;
}

bool Peer::SendToLearner(ServerId id, std::string payload) {
  if (state_ != PeerState::kLeading) return false;
  for (auto& [ch, l] : links_) {
    if (l.id == id && l.phase >= Phase::kSyncing) {
      Send(ch, id, AppData{std::move(payload)});
      return true;
    }
  }
  return false;
}

void Peer::LeaderTick() {
  ++phase_ticks_;
  for (auto it = links_.begin(); it != links_.end();) {
    LearnerLink& l = it->second;
    if (++l.silent_ticks > options_.sync_limit_ticks) {
      ready_.close.push_back(it->first);
      it = links_.erase(it);
      continue;
    }
    Send(it->first, l.id, Ping{committed_});
    ++it;
  }
  if (!established_) {
    // Without even a quorum of FOLLOWERINFO after syncLimit, the election most likely split
    // (voters decided on stale votes): look again rather than hold followers for initLimit.
    if (!epoch_proposed_ && phase_ticks_ > options_.sync_limit_ticks) {
      BecomeLooking("no quorum of followers connected within syncLimit");
    } else if (phase_ticks_ > options_.init_limit_ticks) {
      BecomeLooking("no quorum of followers synced within initLimit");
    }
    return;
  }
  // Like ZooKeeper's syncLimit check: a leader cut off from its quorum must stop leading,
  // or it would keep answering local reads while a new leader takes writes. The followers'
  // links already waited syncLimit before they were dropped, so only a short grace remains
  // (for a follower that reconnects at once); waiting syncLimit again kept a cut-off leader
  // in place for twice as long as ZooKeeper's, and as a new leader elected meanwhile.
  if (CountVoters(Phase::kSynced) >= options_.Quorum()) {
    quorum_lost_ticks_ = 0;
  } else if (++quorum_lost_ticks_ > kQuorumLostGraceTicks) {
    BecomeLooking("lost the quorum of followers");
  }
}

}  // namespace caucus::zab
