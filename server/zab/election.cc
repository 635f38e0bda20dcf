#include "server/zab/election.h"

#include <algorithm>

namespace caucus::zab {

bool PeerOptions::IsVoter(ServerId s) const {
  return std::find(voters.begin(), voters.end(), s) != voters.end();
}

bool PeerOptions::IsObserver(ServerId s) const {
  return std::find(observers.begin(), observers.end(), s) != observers.end();
}

void Election::Start(const Vote& initial, std::vector<OutVote>* out) {
  ++round_;
  initial_ = initial;
  // An observer never proposes itself; it waits to hear who leads.
  vote_ = self_voter() ? initial : Vote{};
  votes_.clear();
  established_.clear();
  finalize_left_ = -1;
  resend_left_ = options_.vote_resend_ticks;
  if (self_voter()) votes_[options_.id] = vote_;
  Broadcast(out);
}

void Election::Broadcast(std::vector<OutVote>* out) const {
  Notification n{vote_, round_, PeerState::kLooking};
  for (ServerId s : options_.voters) {
    if (s != options_.id) out->push_back(OutVote{s, n});
  }
}

bool Election::QuorumAgrees(const std::map<ServerId, Vote>& votes, const Vote& v) const {
  size_t n = 0;
  for (const auto& [s, vote] : votes) {
    if (vote == v && options_.IsVoter(s)) ++n;
  }
  return n >= options_.Quorum();
}

std::optional<Vote> Election::OnNotification(ServerId from, const Notification& n,
                                             std::vector<OutVote>* out) {
  if (n.state != PeerState::kLooking) return CheckOutOfElection(from, n);
  if (!options_.IsVoter(from)) return std::nullopt;  // observers' notifications carry no vote
  if (!self_voter()) return std::nullopt;
  if (n.round > round_) {
    round_ = n.round;
    votes_.clear();
    vote_ = n.vote.BetterThan(initial_) ? n.vote : initial_;
    votes_[options_.id] = vote_;
    finalize_left_ = -1;
    Broadcast(out);
  } else if (n.round < round_) {
    // It is behind: tell it where we are, so it catches up.
    out->push_back(OutVote{from, Notification{vote_, round_, PeerState::kLooking}});
    return std::nullopt;
  } else if (n.vote.BetterThan(vote_)) {
    vote_ = n.vote;
    votes_[options_.id] = vote_;
    finalize_left_ = -1;
    Broadcast(out);
  }
  votes_[from] = n.vote;
  if (QuorumAgrees(votes_, vote_)) {
    if (finalize_left_ < 0) finalize_left_ = options_.finalize_ticks;
  } else {
    finalize_left_ = -1;
  }
  return std::nullopt;
}

// A running ensemble answered. Join its leader once a quorum of voters reports the same
// leader, and the leader itself reports LEADING.
std::optional<Vote> Election::CheckOutOfElection(ServerId from, const Notification& n) {
  established_[from] = n;
  // Its LOOKING vote of this round is stale now that it follows someone: a quorum counted
  // with it could elect a leader nobody follows (FLE likewise replaces it in its recvset).
  if (votes_.erase(from) != 0 && !QuorumAgrees(votes_, vote_)) finalize_left_ = -1;
  auto leader = established_.find(n.vote.leader);
  if (leader == established_.end() || leader->second.state != PeerState::kLeading) {
    return std::nullopt;
  }
  // Agreement is on the leader alone: a follower that joined this way reports the vote it
  // joined with, whose epoch can be older than the one its leader reports (seed 1518 of the
  // simulator: such a pair never agreed, and a third peer looked forever). Joining a leader
  // that no longer leads is harmless: its discovery needs a quorum, and the channel fails.
  size_t agree = 0;
  for (const auto& [s, e] : established_) {
    if (options_.IsVoter(s) && e.vote.leader == n.vote.leader) ++agree;
  }
  if (agree < options_.Quorum()) return std::nullopt;
  return n.vote;
}

std::optional<Vote> Election::Tick(std::vector<OutVote>* out) {
  if (finalize_left_ >= 0 && finalize_left_-- == 0) {
    finalize_left_ = -1;
    if (QuorumAgrees(votes_, vote_)) return vote_;
  }
  if (--resend_left_ <= 0) {
    resend_left_ = options_.vote_resend_ticks;
    Broadcast(out);
  }
  return std::nullopt;
}

}  // namespace caucus::zab
