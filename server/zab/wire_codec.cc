#include "server/zab/wire_codec.h"

#include <climits>
#include <memory>
#include <utility>

#include "caucus/zab.pb.h"

namespace caucus::zab {
namespace {

namespace pb = ::caucus::zabpb;

// The core's enums travel as their numeric values; these pin the two numberings together.
static_assert(static_cast<int>(PeerState::kLooking) == pb::LOOKING);
static_assert(static_cast<int>(PeerState::kFollowing) == pb::FOLLOWING);
static_assert(static_cast<int>(PeerState::kLeading) == pb::LEADING);
static_assert(static_cast<int>(PeerState::kObserving) == pb::OBSERVING);
static_assert(static_cast<int>(SyncKind::kDiff) == pb::DIFF);
static_assert(static_cast<int>(SyncKind::kTrunc) == pb::TRUNC);
static_assert(static_cast<int>(SyncKind::kSnap) == pb::SNAP);

bool Parse(google::protobuf::MessageLite& p, std::string_view bytes) {
  if (bytes.size() > static_cast<size_t>(INT_MAX)) return false;
  return p.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
}

// Moves a parsed bytes field out of its message: snapshots can be hundreds of MiB.
std::shared_ptr<const std::string> TakeBytes(std::string* s) {
  return std::make_shared<const std::string>(std::move(*s));
}

void EntryToPb(const Entry& e, pb::Entry* p) {
  p->set_zxid(e.zxid);
  if (e.data) p->set_data(*e.data);
}

Entry EntryFromPb(pb::Entry& p) {
  Entry e;
  e.zxid = p.zxid();
  if (p.has_data()) e.data = TakeBytes(p.mutable_data());
  return e;
}

// --- Encoding: one overload per alternative of zab::Message ---

void ToPb(const FollowerInfo& m, pb::ChannelMessage& out) {
  pb::FollowerInfo* p = out.mutable_follower_info();
  p->set_accepted_epoch(m.epochs.accepted);
  p->set_current_epoch(m.epochs.current);
  p->set_last_zxid(m.last_zxid);
  p->set_applied_zxid(m.applied_zxid);
  p->set_log_base(m.log_base);
  p->set_observer(m.observer);
}
void ToPb(const AckEpoch& m, pb::ChannelMessage& out) {
  pb::AckEpoch* p = out.mutable_ack_epoch();
  p->set_current_epoch(m.current_epoch);
  p->set_last_zxid(m.last_zxid);
}
void ToPb(const AckNewLeader& m, pb::ChannelMessage& out) {
  out.mutable_ack_new_leader()->set_zxid(m.zxid);
}
void ToPb(const Ack& m, pb::ChannelMessage& out) { out.mutable_ack()->set_zxid(m.zxid); }
void ToPb(const LeaderInfo& m, pb::ChannelMessage& out) {
  out.mutable_leader_info()->set_epoch(m.epoch);
}
void ToPb(const Sync& m, pb::ChannelMessage& out) {
  pb::Sync* p = out.mutable_sync();
  p->set_kind(static_cast<pb::SyncKind>(m.kind));
  p->set_trunc_zxid(m.trunc_zxid);
  p->set_snap_zxid(m.snap_zxid);
  if (m.snapshot) p->set_snapshot(*m.snapshot);
  p->mutable_entries()->Reserve(static_cast<int>(m.entries.size()));
  for (const Entry& e : m.entries) EntryToPb(e, p->add_entries());
}
void ToPb(const NewLeader& m, pb::ChannelMessage& out) {
  pb::NewLeader* p = out.mutable_new_leader();
  p->set_epoch(m.epoch);
  p->set_zxid(m.zxid);
}
void ToPb(const UpToDate& m, pb::ChannelMessage& out) {
  out.mutable_up_to_date()->set_committed(m.committed);
}
void ToPb(const Proposal& m, pb::ChannelMessage& out) {
  EntryToPb(m.entry, out.mutable_proposal()->mutable_entry());
}
void ToPb(const Commit& m, pb::ChannelMessage& out) { out.mutable_commit()->set_zxid(m.zxid); }
void ToPb(const Ping& m, pb::ChannelMessage& out) {
  out.mutable_ping()->set_committed(m.committed);
}
void ToPb(const AppData& m, pb::ChannelMessage& out) {
  out.mutable_app_data()->set_payload(m.payload);
}
void ToPb(const ReadProbe& m, pb::ChannelMessage& out) {
  out.mutable_read_probe()->set_round(m.round);
}
void ToPb(const ReadProbeReply& m, pb::ChannelMessage& out) {
  pb::ReadProbeReply* p = out.mutable_read_probe_reply();
  p->set_round(m.round);
  p->set_persisted(m.persisted);
  p->set_accepted_epoch(m.epochs.accepted);
  p->set_current_epoch(m.epochs.current);
  p->set_committed(m.committed);
  p->set_leader(m.leader);
}

// --- Decoding: the oneof case selects the alternative ---

std::optional<Message> SyncFromPb(pb::Sync& p) {
  if (!pb::SyncKind_IsValid(p.kind())) return std::nullopt;
  Sync s;
  s.kind = static_cast<SyncKind>(p.kind());
  s.trunc_zxid = p.trunc_zxid();
  s.snap_zxid = p.snap_zxid();
  if (p.has_snapshot()) s.snapshot = TakeBytes(p.mutable_snapshot());
  s.entries.reserve(static_cast<size_t>(p.entries_size()));
  for (pb::Entry& e : *p.mutable_entries()) s.entries.push_back(EntryFromPb(e));
  return s;
}

std::optional<Message> FromPb(pb::ChannelMessage& p) {
  using M = pb::ChannelMessage;
  switch (p.body_case()) {
    case M::kFollowerInfo: {
      const pb::FollowerInfo& f = p.follower_info();
      return FollowerInfo{Epochs{f.accepted_epoch(), f.current_epoch()}, f.last_zxid(),
                          f.applied_zxid(), f.log_base(), f.observer()};
    }
    case M::kAckEpoch: return AckEpoch{p.ack_epoch().current_epoch(), p.ack_epoch().last_zxid()};
    case M::kAckNewLeader: return AckNewLeader{p.ack_new_leader().zxid()};
    case M::kAck: return Ack{p.ack().zxid()};
    case M::kLeaderInfo: return LeaderInfo{p.leader_info().epoch()};
    case M::kSync: return SyncFromPb(*p.mutable_sync());
    case M::kNewLeader: return NewLeader{p.new_leader().epoch(), p.new_leader().zxid()};
    case M::kUpToDate: return UpToDate{p.up_to_date().committed()};
    case M::kProposal:
      // The encoder always writes the entry; a proposal without one is not ours.
      if (!p.proposal().has_entry()) return std::nullopt;
      return Proposal{EntryFromPb(*p.mutable_proposal()->mutable_entry())};
    case M::kCommit: return Commit{p.commit().zxid()};
    case M::kPing: return Ping{p.ping().committed()};
    case M::kAppData: return AppData{std::move(*p.mutable_app_data()->mutable_payload())};
    case M::kReadProbe: return ReadProbe{p.read_probe().round()};
    case M::kReadProbeReply: {
      const pb::ReadProbeReply& r = p.read_probe_reply();
      return ReadProbeReply{r.round(), r.persisted(),
                            Epochs{r.accepted_epoch(), r.current_epoch()}, r.committed(),
                            r.leader()};
    }
    case M::BODY_NOT_SET: break;
  }
  return std::nullopt;
}

}  // namespace

std::string EncodeNotification(const Notification& n) {
  pb::Notification p;
  pb::Vote* v = p.mutable_vote();
  v->set_leader(n.vote.leader);
  v->set_zxid(n.vote.zxid);
  v->set_epoch(n.vote.epoch);
  p.set_round(n.round);
  p.set_state(static_cast<pb::PeerState>(n.state));
  return p.SerializeAsString();
}

std::optional<Notification> DecodeNotification(std::string_view bytes) {
  pb::Notification p;
  if (!Parse(p, bytes) || !p.has_vote() || !pb::PeerState_IsValid(p.state())) return std::nullopt;
  Notification n;
  n.vote = Vote{p.vote().leader(), p.vote().zxid(), p.vote().epoch()};
  n.round = p.round();
  n.state = static_cast<PeerState>(p.state());
  return n;
}

std::string EncodeMessage(const Message& m) {
  pb::ChannelMessage p;
  std::visit([&p](const auto& alt) { ToPb(alt, p); }, m);
  return p.SerializeAsString();
}

std::optional<Message> DecodeMessage(std::string_view bytes) {
  pb::ChannelMessage p;
  if (!Parse(p, bytes)) return std::nullopt;
  return FromPb(p);
}

std::string EncodeHello(const ChannelHello& h) {
  pb::ChannelHello p;
  p.set_protocol(pb::CHANNEL_V1);
  p.set_from(h.from);
  p.set_channel(h.channel);
  return p.SerializeAsString();
}

std::optional<ChannelHello> DecodeHello(std::string_view bytes) {
  pb::ChannelHello p;
  if (!Parse(p, bytes) || p.protocol() != pb::CHANNEL_V1) return std::nullopt;
  return ChannelHello{p.from(), p.channel()};
}

std::string EncodeElectionHello(ServerId from) {
  pb::ElectionHello p;
  p.set_protocol(pb::ELECTION_V1);
  p.set_from(from);
  return p.SerializeAsString();
}

std::optional<ServerId> DecodeElectionHello(std::string_view bytes) {
  pb::ElectionHello p;
  if (!Parse(p, bytes) || p.protocol() != pb::ELECTION_V1) return std::nullopt;
  return p.from();
}

}  // namespace caucus::zab
