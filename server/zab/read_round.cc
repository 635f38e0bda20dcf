// Read rounds (see peer.h): the quorum half of a linearizable read, without the leader.
#include <algorithm>
#include <vector>

#include "server/zab/peer.h"

namespace caucus::zab {

namespace {
// How often a round asks the voters that have not answered again (a read channel may have
// been closed and reopened meanwhile).
constexpr int32_t kReprobeTicks = 4;
// After a read channel to a voter fails, it is not reopened for a while (doubling up to the
// maximum): a dead voter must not cost a connection attempt, and a log line, per round.
constexpr int32_t kReopenFirstTicks = 8;
constexpr int32_t kReopenMaxTicks = 80;
}  // namespace

// Which voters a round asks: as many as a quorum needs, the leader first when this member
// follows one (its answer bounds the round by its commit point, see ReadBound), the others
// taking turns among those whose read channel is not failing. Asking everyone would double
// the messages, and on a busy ensemble those wake-ups are most of a quorum read's cost. A
// round widens to every voter if one does not answer within a tick or its channel closes (a
// killed voter's does at once).
uint64_t Peer::StartReadRound() {
  uint64_t id = next_read_round_++;
  ReadRound& r = read_rounds_[id];
  r.committed_at_start = committed_;
  r.leading_at_start = EstablishedLeader();
  r.epoch_at_start = epoch_;
  size_t needed = options_.Quorum();
  if (options_.IsVoter(options_.id) && epochs_.read_floor == 0) {
    r.replied[options_.id] = true;
    r.answers.push_back(persisted_);
    r.max_accepted = epochs_.accepted;
    if (EstablishedLeader()) {
      r.leader_committed = committed_;
      r.leader_epoch = epochs_.current;
    }
    --needed;
  }
  auto failing = [this](ServerId v) {
    auto b = read_backoff_.find(v);
    return b != read_backoff_.end() && b->second.next_ticks > 0;
  };
  std::vector<ServerId> others;
  for (ServerId v : options_.voters) {
    if (v != options_.id) others.push_back(v);
  }
  std::vector<ServerId> ask;
  bool ask_leader = state_ == PeerState::kFollowing && leader_ != 0 &&
                    options_.IsVoter(leader_) && !failing(leader_) && needed > 0;
  if (ask_leader) ask.push_back(leader_);
  for (size_t i = 0; i < others.size() && ask.size() < needed; ++i) {
    ServerId v = others[(read_turn_ + i) % others.size()];
    if (!failing(v) && !(ask_leader && v == leader_)) ask.push_back(v);
  }
  ++read_turn_;
  if (ask.size() < needed) ask = others;
  for (ServerId v : ask) {
    if (ProbeVoter(v, id)) r.probed.insert(v);
  }
  MaybeFinishReadRound(id);  // a single voter
  return id;
}

// The bound a round proves: every write acknowledged before the round began is durable on a
// quorum, which intersects every quorum of answers, so the largest answer of ANY quorum of
// them is at least that write's zxid. The q smallest answers are a quorum with the lowest
// such maximum. With only q answers that is their maximum; with more it can be lower.
//
// The leader's answer can bound it lower still: its commit point C. If no answer (a quorum
// or more) shows an epoch newer than the leader's accepted, no newer epoch had been
// established when the round began (that takes a quorum accepting it, which would intersect
// the answers), so every write acknowledged before then was committed in the leader's epoch
// or before it, and is at or below C, the commit point of an established leader, which
// covers its whole initial history and only grows. Under writes, the quorum's maximum is a
// proposal still in flight, which a read would otherwise wait to see committed.
int64_t Peer::ReadBound(const ReadRound& r) const {
  std::vector<int64_t> a = r.answers;
  const size_t q = options_.Quorum();
  std::nth_element(a.begin(), a.begin() + static_cast<long>(q - 1), a.end());
  int64_t bound = a[q - 1];
  if (r.leader_committed >= 0 && r.max_accepted <= r.leader_epoch) {
    bound = std::min(bound, r.leader_committed);
  }
  return bound;
}

// A round with a quorum of answers ends once waiting for more cannot help its reads: its
// bound is committed here already, or every voter asked has answered, or it is a tick old
// (a voter that slow is better not waited for; its answer would only lower the bound).
void Peer::MaybeFinishReadRound(uint64_t round) {
  auto it = read_rounds_.find(round);
  if (it == read_rounds_.end()) return;
  const ReadRound& r = it->second;
  if (r.answers.size() < options_.Quorum()) return;
  // probed: asked, over a channel that has not closed since.
  bool all_answered = std::all_of(r.probed.begin(), r.probed.end(),
                                  [&r](ServerId v) { return r.replied.count(v) > 0; });
  if (all_answered || r.age_ticks >= 1 || ReadBound(r) <= committed_) {
    FinishReadRound(round, true);
  }
}

void Peer::WidenReadRound(uint64_t round) {
  ReadRound& r = read_rounds_.at(round);
  for (ServerId v : options_.voters) {
    if (v != options_.id && !r.probed.count(v) && !r.replied.count(v) && ProbeVoter(v, round)) {
      r.probed.insert(v);
    }
  }
}

// False when the voter's read channel is failing and may not be reopened yet.
bool Peer::ProbeVoter(ServerId to, uint64_t round) {
  if (!read_channels_.count(to)) {
    auto b = read_backoff_.find(to);
    if (b != read_backoff_.end() && b->second.wait_ticks > 0) return false;
  }
  auto [it, fresh] = read_channels_.try_emplace(to, 0);
  if (fresh) {
    it->second = NewChannel();
    ready_.open.push_back(OpenChannel{it->second, to});
  }
  Send(it->second, to, ReadProbe{round});
  return true;
}

// Any voter answers, whatever its role: that is what keeps reads going without a leader.
void Peer::OnReadProbe(ServerId from, ChannelId ch, const ReadProbe& p) {
  if (!options_.IsVoter(options_.id) || epochs_.read_floor > 0) return;
  Send(ch, from, ReadProbeReply{p.round, persisted_, epochs_, committed_, EstablishedLeader()});
}

void Peer::OnReadProbeReply(ServerId from, const ReadProbeReply& reply) {
  if (!options_.IsVoter(from)) return;
  read_backoff_.erase(from);
  // The rinse: a voter synced to the same epoch, knowing commits of that epoch, shares our
  // log up to them (both logs are that epoch's leader's, whose commits are a prefix of it),
  // so its knowledge is ours. It spares a reader whose leader died before telling it of the
  // last commits from waiting for the next epoch.
  if (state_ != PeerState::kLeading && epochs_.current > 0 &&
      reply.epochs.current == epochs_.current &&
      EpochOf(reply.committed) == epochs_.current && reply.committed > committed_) {
    committed_ = std::max(committed_, std::min(reply.committed, last_logged()));
    ApplyCommitted();
  }
  auto it = read_rounds_.find(reply.round);
  if (it == read_rounds_.end()) return;  // finished already, or a duplicate
  ReadRound& r = it->second;
  if (!r.replied.emplace(from, reply.epochs.accepted <= r.epoch_at_start).second) return;
  r.answers.push_back(reply.persisted);
  r.max_accepted = std::max(r.max_accepted, reply.epochs.accepted);
  if (reply.leader) {
    r.leader_committed = reply.committed;
    r.leader_epoch = reply.epochs.current;
  }
  MaybeFinishReadRound(reply.round);
}

void Peer::FinishReadRound(uint64_t round, bool ok) {
  auto it = read_rounds_.find(round);
  if (it == read_rounds_.end()) return;
  const ReadRound& r = it->second;
  ReadRoundDone done{round, ok, ok ? ReadBound(r) : 0, false, r.committed_at_start};
  done.leadership_confirmed =
      ok && r.leading_at_start && state_ == PeerState::kLeading && established_ &&
      epoch_ == r.epoch_at_start &&
      std::all_of(r.replied.begin(), r.replied.end(), [](const auto& kv) { return kv.second; });
  ready_.read_rounds.push_back(done);
  read_rounds_.erase(it);
}

void Peer::ReadTick() {
  for (auto& [id, b] : read_backoff_) {
    if (b.wait_ticks > 0) --b.wait_ticks;
  }
  std::vector<uint64_t> expired;
  std::vector<uint64_t> settle;
  for (auto& [id, r] : read_rounds_) {
    if (++r.age_ticks > options_.sync_limit_ticks) {
      expired.push_back(id);
    } else if (r.age_ticks == 1) {
      WidenReadRound(id);
      settle.push_back(id);
    } else if (r.age_ticks % kReprobeTicks == 0) {
      for (ServerId v : options_.voters) {
        if (!r.replied.count(v) && ProbeVoter(v, id)) r.probed.insert(v);
      }
    }
  }
  for (uint64_t id : expired) FinishReadRound(id, false);
  for (uint64_t id : settle) MaybeFinishReadRound(id);
}

// Commits advance on many paths (COMMITs, acks, syncs, learned from rounds); a round waiting
// for its bound to be committed is checked once per step, when the host takes its output.
void Peer::SettleReadRounds() {
  std::vector<uint64_t> ids;
  for (const auto& [id, r] : read_rounds_) ids.push_back(id);
  for (uint64_t id : ids) MaybeFinishReadRound(id);
}

bool Peer::OnReadChannelClosed(ChannelId ch) {
  auto it = std::find_if(read_channels_.begin(), read_channels_.end(),
                         [ch](const auto& kv) { return kv.second == ch; });
  if (it == read_channels_.end()) return false;
  ServerId voter = it->first;
  read_channels_.erase(it);  // a later probe to that voter opens a new one
  ReadBackoff& b = read_backoff_[voter];
  b.next_ticks = b.next_ticks == 0 ? kReopenFirstTicks : std::min(b.next_ticks * 2, kReopenMaxTicks);
  b.wait_ticks = b.next_ticks;
  // Rounds waiting on that voter ask the others now, and stop waiting for it.
  std::vector<uint64_t> waiting;
  for (auto& [id, r] : read_rounds_) {
    if (r.probed.erase(voter) > 0 && !r.replied.count(voter)) waiting.push_back(id);
  }
  for (uint64_t id : waiting) {
    WidenReadRound(id);
    MaybeFinishReadRound(id);
  }
  return true;
}

}  // namespace caucus::zab
