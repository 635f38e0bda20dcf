// Election: ZooKeeper's Fast Leader Election, as a pure state machine.
//
// A LOOKING voter proposes the best vote it knows, ordered by (epoch, zxid, id), and
// broadcasts it; votes of a higher round reset the round. When a quorum of voters' latest
// votes equal its own, it waits `finalize_ticks` for a better vote and then decides.
// Peers already FOLLOWING/LEADING answer LOOKING peers with their current vote; a LOOKING
// peer (or observer) that hears a quorum of those agree on a leader who says LEADING joins it
// (how a restarted peer finds the running leader).
//
// Safety does not rest on the election: the leader's discovery phase refuses to establish an
// epoch if a follower turns out ahead of it. The election only has to converge.
// Not thread-safe: owned by the Peer.
#pragma once

#include <map>
#include <optional>
#include <vector>

#include "server/zab/message.h"
#include "server/zab/options.h"
#include "server/zab/ready.h"

namespace caucus::zab {

class Election {
 public:
  explicit Election(const PeerOptions& options) : options_(options) {}

  // Begins a new round with `initial` as this peer's own candidate (ignored for observers).
  void Start(const Vote& initial, std::vector<OutVote>* out);
  // A notification arrived while this peer is LOOKING. Returns the decided vote, if any.
  std::optional<Vote> OnNotification(ServerId from, const Notification& n,
                                     std::vector<OutVote>* out);
  // One tick. Returns the decided vote when the finalize wait ran out with a quorum.
  std::optional<Vote> Tick(std::vector<OutVote>* out);

  const Vote& vote() const { return vote_; }
  int64_t round() const { return round_; }

 private:
  void Broadcast(std::vector<OutVote>* out) const;
  bool QuorumAgrees(const std::map<ServerId, Vote>& votes, const Vote& v) const;
  std::optional<Vote> CheckOutOfElection(ServerId from, const Notification& n);
  bool self_voter() const { return options_.IsVoter(options_.id); }

  const PeerOptions& options_;
  Vote initial_;
  Vote vote_;
  int64_t round_ = 0;
  std::map<ServerId, Vote> votes_;                 // latest votes of LOOKING voters, this round
  std::map<ServerId, Notification> established_;   // latest notifications of FOLLOWING/LEADING
  int32_t finalize_left_ = -1;                     // ticks until deciding; -1 = not waiting
  int32_t resend_left_ = 0;
};

}  // namespace caucus::zab
