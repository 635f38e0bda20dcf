// The learner's side (ZooKeeper's Learner/Follower/Observer): discovery, sync, broadcast.
#include <algorithm>

#include "server/zab/peer.h"

namespace caucus::zab {

void Peer::LearnerOnMessage(ChannelId ch, const Message& m) {
  leader_silent_ticks_ = 0;
  if (const auto* li = std::get_if<LeaderInfo>(&m)) {
    LearnerOnLeaderInfo(*li);
  } else if (const auto* s = std::get_if<Sync>(&m)) {
    LearnerOnSync(*s);
  } else if (const auto* nl = std::get_if<NewLeader>(&m)) {
    LearnerOnNewLeader(*nl);
  } else if (const auto* p = std::get_if<Proposal>(&m)) {
    LearnerOnProposal(*p);
  } else if (const auto* c = std::get_if<Commit>(&m)) {
    committed_ = std::max(committed_, std::min(c->zxid, last_logged()));
    ApplyCommitted();
  } else if (const auto* u = std::get_if<UpToDate>(&m)) {
    if (!newleader_acked_) {
      BecomeLooking("UPTODATE before NEWLEADER was acknowledged");
      return;
    }
    committed_ = std::max(committed_, std::min(u->committed, last_logged()));
    snap_unconfirmed_ = false;  // the epoch the snapshot came from is established
    ApplyCommitted();
    if (!serving_) SetRole(true, synced_by_);
  } else if (std::holds_alternative<Ping>(m)) {
    Send(ch, leader_, Ping{});
  } else if (auto* app = std::get_if<AppData>(&m)) {
    ready_.app.push_back(Received{leader_, app->payload});
  }
}

void Peer::LearnerOnLeaderInfo(const LeaderInfo& li) {
  if (li.epoch < epochs_.accepted) {
    BecomeLooking("the leader's epoch is older than one already accepted");
    return;
  }
  if (li.epoch > epochs_.accepted) {
    epochs_.accepted = li.epoch;
    PersistEpochs();  // durable before ACKEPOCH leaves (Ready's order)
  }
  if (leader_info_seen_) return;  // an answer to a repeated FOLLOWERINFO
  leader_info_seen_ = true;
  epoch_ = li.epoch;
  phase_ticks_ = 0;
  Send(leader_channel_, leader_, AckEpoch{epochs_.current, last_logged()});
}

void Peer::LearnerOnSync(const Sync& s) {
  if (synced_) {
    BecomeLooking("a second sync on one channel");
    return;
  }
  switch (s.kind) {
    case SyncKind::kDiff:
      synced_by_ = "synced with the leader by DIFF";
      break;
    case SyncKind::kTrunc:
      // We must hold the entry we are cut back to, or the DIFF after it leaves a hole.
      if (s.trunc_zxid < applied_ ||
          (s.trunc_zxid != log_base_ && s.trunc_zxid <= last_logged() &&
           !FindEntry(s.trunc_zxid)) ||
          s.trunc_zxid > last_logged()) {
        ++sync_conflicts_;
        BecomeLooking("cannot apply the leader's TRUNC");
        return;
      }
      TruncateLocal(s.trunc_zxid);
      synced_by_ = "synced with the leader by TRUNC+DIFF";
      break;
    case SyncKind::kSnap:
      if (persisted_ > s.snap_zxid) {  // the disk is about to forget what it held
        epochs_.read_floor = std::max(epochs_.read_floor, persisted_);
        PersistEpochs();
      }
      log_.clear();
      log_base_ = persisted_ = applied_ = committed_ = s.snap_zxid;
      ++generation_;
      ready_.append.clear();
      ready_.truncate_after.reset();
      ready_.install_snapshot = SnapshotInstall{s.snap_zxid, s.snapshot};
      snap_unconfirmed_ = true;
      synced_by_ = "synced with the leader by SNAP";
      break;
  }
  for (const Entry& e : s.entries) {
    if (e.zxid > last_logged()) AppendLocal(e);
  }
  synced_ = true;
}

void Peer::LearnerOnNewLeader(const NewLeader& nl) {
  if (!synced_ || nl.epoch != epoch_) {
    BecomeLooking("NEWLEADER out of order");
    return;
  }
  newleader_ = nl;
  LearnerMaybeAck();
}

void Peer::LearnerOnProposal(const Proposal& p) {
  if (!synced_) {
    BecomeLooking("PROPOSAL before sync");
    return;
  }
  if (p.entry.zxid <= last_logged()) return;  // already have it
  AppendLocal(p.entry);
}

// Acknowledges only what is durable: NEWLEADER once the whole synced history is, then every
// proposal (cumulatively) as the log catches up.
void Peer::LearnerMaybeAck() {
  if (newleader_ && !newleader_acked_ && persisted_ >= newleader_->zxid) {
    epochs_.current = newleader_->epoch;
    epochs_.read_floor = 0;  // the leader's whole history is durable here now
    PersistEpochs();
    Send(leader_channel_, leader_, AckNewLeader{persisted_});
    newleader_acked_ = true;
    acked_ = persisted_;
  }
  if (newleader_acked_ && persisted_ > acked_ && state_ == PeerState::kFollowing) {
    Send(leader_channel_, leader_, Ack{persisted_});
    acked_ = persisted_;
  }
}

bool Peer::SendToLeader(std::string payload) {
  if (state_ == PeerState::kLooking || state_ == PeerState::kLeading || !newleader_acked_) {
    return false;
  }
  Send(leader_channel_, leader_, AppData{std::move(payload)});
  return true;
}

void Peer::LearnerTick() {
  ++phase_ticks_;
  // The leader may not have been leading yet when our FOLLOWERINFO arrived: repeat it.
  if (!leader_info_seen_) SendFollowerInfo();
  if (++leader_silent_ticks_ > options_.sync_limit_ticks) {
    BecomeLooking("the leader went silent");
  } else if (!serving_ && phase_ticks_ > options_.init_limit_ticks) {
    BecomeLooking("not synced with the leader within initLimit");
  }
}

}  // namespace caucus::zab
