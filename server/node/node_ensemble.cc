// Node as a member of a ZAB ensemble: drives the zab::Peer, applies what it commits, forwards
// a learner's writes, session creations, touches and syncs to the leader, and orders the
// writes the leader receives (ZooKeeper's FollowerRequestProcessor / LeaderRequestProcessor /
// CommitProcessor duties, as plain calls on the core thread).
#include <algorithm>

#include "proto/jute/requests.h"
#include "server/base/assert.h"
#include "server/base/log.h"
#include "server/base/zxid.h"
#include "server/node/connection_state.h"
#include "server/node/node.h"
#include "server/node/peer_payload.h"

namespace caucus::node {

using jute::Error;
using jute::OpCode;

bool Node::IsLeader() const { return peer_ && peer_->state() == zab::PeerState::kLeading; }

void Node::OnPeerNotification(zab::ServerId from, const zab::Notification& n, Now now) {
  peer_->OnNotification(from, n);
  Drive(now);
}

void Node::OnPeerMessage(zab::ServerId from, zab::ChannelId ch, const zab::Message& m, Now now) {
  peer_->OnMessage(from, ch, m);
  Drive(now);
}

void Node::OnPeerChannelClosed(zab::ChannelId ch, Now now) {
  peer_->OnChannelClosed(ch);
  Drive(now);
}

void Node::PeerTick(Now now) {
  peer_->Tick();
  if (!touched_.empty() && !IsLeader() && peer_->serving()) {
    std::sort(touched_.begin(), touched_.end());
    touched_.erase(std::unique(touched_.begin(), touched_.end()), touched_.end());
    peer_->SendToLeader(EncodePeerPayload(SessionTouches{touched_}));
  }
  touched_.clear();
  CloseHeldWrites(now);
  Drive(now);
}

// Acts on everything the peer asks for, until it has nothing more (acting can produce more:
// an applied commit answers a client, whose next queued write is proposed).
void Node::Drive(Now now) {
  while (true) {
    zab::Ready rd = peer_->TakeReady();
    if (rd.empty()) return;
    ActOnReady(rd, now);
  }
}

void Node::ActOnReady(zab::Ready& rd, Now now) {
  if (rd.epochs) env_->PersistEpochs(*rd.epochs);
  if (rd.truncate_after) env_->TruncateLog(*rd.truncate_after);
  if (rd.install_snapshot) {
    ReplaceState(env_->InstallSnapshot(rd.install_snapshot->zxid, *rd.install_snapshot->state),
                 now);
  }
  for (const auto& o : rd.open) env_->OpenChannel(o.channel, o.to);
  for (zab::ChannelId ch : rd.close) env_->CloseChannel(ch);
  for (const auto& v : rd.votes) env_->SendVote(v.to, v.n);
  for (const auto& m : rd.messages) env_->SendMessage(m.channel, m.msg);
  for (const auto& e : rd.append) env_->AppendLog(e, rd.log_generation);
  for (const auto& e : rd.commit) CommitEntry(e, now);
  if (rd.role) OnRole(*rd.role, now);
  for (const auto& a : rd.app) HandlePeerPayload(a.from, a.payload, now);
  for (const auto& r : rd.read_rounds) OnReadRound(r, now);
  ServeAwaiting(now);
}

void Node::CommitEntry(const zab::Entry& e, Now now) {
  if (!proposed_.empty() && proposed_.front().zxid == e.zxid) {
    txn::Txn t = std::move(proposed_.front());
    proposed_.pop_front();
    Commit(t, now);
    return;
  }
  txn::Txn t;
  if (!env_->DecodeTxn(*e.data, &t) || t.zxid != e.zxid) {
    // Replicas must apply the same txns; one we cannot read means our state would diverge.
    CAUCUS_PANIC("a committed transaction could not be decoded");
  }
  Commit(t, now);
}

void Node::OnRole(const zab::RoleChange& role, Now now) {
  CAUCUS_LOG(Info) << "ensemble: " << zab::PeerStateName(role.state)
                   << (role.leader ? " (leader " + std::to_string(role.leader) + ")" : "")
                   << " epoch " << role.epoch << (role.serving ? ", serving" : ", not serving")
                   << ": " << role.why;
  if (!role.serving) {
    if (was_serving_) LoseLeader(now);
    was_serving_ = false;
    return;
  }
  was_serving_ = true;
  leaderless_since_ms_ = -1;
  if (role.state == zab::PeerState::kLeading) {
    next_zxid_ = peer_->NextZxid();
    pending_.Clear();
    // A new leader gives every session a full timeout from now, as ZooKeeper's does: it has
    // not been told of their recent activity.
    for (const auto& [id, s] : sessions_.sessions()) sessions_.Touch(id, now.mono_ms);
  }
  // Writes held while there was no leader go now, in each connection's order.
  std::vector<ConnId> ids;
  for (const auto& [id, c] : conns_) ids.push_back(id);
  for (ConnId id : ids) {
    if (Conn* c = FindConn(id); c && c->handshaken) Pump(*c, now);
  }
}

// Unlike a ZooKeeper follower, which drops every client when it loses its leader, this
// server keeps its connections: reads go on (quorum reads stay linearizable while a quorum
// of voters answers), writes wait for the next leader (CloseHeldWrites bounds the wait).
// Only sessions with writes in flight lose their connection: those writes may or may not
// commit under the next leader, and their client must learn that (ConnectionLoss).
void Node::LoseLeader(Now now) {
  leaderless_since_ms_ = now.mono_ms;
  for (auto& [session_id, writes] : session_writes_) {
    stats_.outstanding -= static_cast<int64_t>(writes.size());
    auto sc = session_conn_.find(session_id);
    if (sc == session_conn_.end()) continue;
    if (Conn* c = FindConn(sc->second); c && !c->closing) {
      CloseClient(*c, "the leader was lost while this session had writes in flight");
    }
  }
  session_writes_.clear();
  for (auto& [id, c] : conns_) c->writes_in_flight = 0;
  proposed_.clear();
  pending_.Clear();
  FailBatch(leader_batch_, "the leader was lost before it confirmed a read");
  index_rounds_.clear();
}

// Called every peer tick: connections whose next request is a write that has waited for a
// leader longer than the bound are closed (ConnectionLoss: the client retries elsewhere).
void Node::CloseHeldWrites(Now now) {
  if (leaderless_since_ms_ < 0 ||
      now.mono_ms - leaderless_since_ms_ < options_.leaderless_write_wait_ms) {
    return;
  }
  for (auto& [id, c] : conns_) {
    if (c->closing || c->queue.empty() || !c->linear.empty()) continue;
    if (txn::IsWriteOp(c->queue.front().req.op)) {
      CloseClient(*c, "no leader within the write wait bound; the write was not applied");
    }
  }
}

std::shared_ptr<const std::string> Node::EpochStartEntry(int64_t zxid) {
  txn::Txn noop;  // a kError txn without ops: applying it only moves the zxid
  noop.zxid = zxid;
  return std::make_shared<const std::string>(env_->EncodeTxn(noop));
}

// Without a leader nothing in flight will be answered: close every client connection (the
// clients see ConnectionLoss and move to a serving server with their sessions), as a
// ZooKeeper follower does when it leaves the FOLLOWING state.
void Node::DropClients(std::string_view why) {
  for (auto& [id, c] : conns_) {
    if (!c->closing) CloseClient(*c, why);
  }
  session_conn_.clear();
  session_writes_.clear();
  proposed_.clear();
  pending_.Clear();
  quorum_batch_ = ReadBatch{};
  leader_batch_ = ReadBatch{};
  awaiting_apply_.clear();
  stats_.outstanding = 0;
}

// The session stays: its client reconnects, here or elsewhere, and goes on.
void Node::CloseClient(Conn& c, std::string_view why) {
  c.closing = true;
  if (c.session_id != 0) {
    auto sc = session_conn_.find(c.session_id);
    if (sc != session_conn_.end() && sc->second == c.id) session_conn_.erase(sc);
  }
  c.session_id = 0;
  tree_->watches().RemoveWatcher(c.id);
  responder_.Close(c.id, why);
}

void Node::ReplaceState(InstalledState state, Now now) {
  // Watches live in the tree being replaced, and the clients' view would jump: they go.
  DropClients("this server is re-syncing from the leader's snapshot");
  tree_ = std::move(state.tree);
  pending_.Clear();
  preparer_ = std::make_unique<txn::Preparer>(
      *tree_, pending_,
      txn::PrepareOptions{options_.extended_types_enabled, options_.reconfig_enabled});
  sessions_ = session::SessionTracker(options_.tick_ms);
  for (const auto& [id, timeout] : state.sessions) RestoreSession(id, timeout, now);
  CAUCUS_LOG(Info) << "installed the leader's snapshot at " << base::Hex(tree_->last_processed_zxid())
                   << ": " << tree_->node_count() << " znodes, " << sessions_.size()
                   << " sessions";
}

zab::StateSnapshot Node::TakeSnapshot() {
  int64_t zxid = tree_->last_processed_zxid();
  return zab::StateSnapshot{
      zxid, std::make_shared<const std::string>(env_->TakeSnapshot(*tree_, sessions_, zxid))};
}

void Node::HandlePeerPayload(zab::ServerId from, std::string_view bytes, Now now) {
  auto p = DecodePeerPayload(bytes);
  if (!p) {
    CAUCUS_LOG(Warn) << "ignoring a malformed message from server " << from;
    return;
  }
  if (const auto* reply = std::get_if<ReadIndexReply>(&*p)) {
    OnReadIndexReply(reply->id, reply->ok, reply->zxid, now);
    return;
  }
  if (const auto* q = std::get_if<ReadIndexRequest>(&*p)) {
    LeaderReadIndex(from, q->id);  // answers "not confirmed" when we do not lead
    return;
  }
  if (!IsLeader() || !peer_->serving()) return;  // the learner re-sends after re-syncing
  if (const auto* r = std::get_if<ForwardedRequest>(&*p)) {
    LeaderOrderForwarded(*r, now);
  } else if (const auto* s = std::get_if<ForwardedSession>(&*p)) {
    Propose(preparer_->CreateSession(Context(s->session_id, 0, now, &server_auth_),
                                     s->timeout_ms),
            now);
  } else if (const auto* t = std::get_if<SessionTouches>(&*p)) {
    for (int64_t id : t->sessions) sessions_.Touch(id, now.mono_ms);
  }
}

// The leader prepares a learner's write exactly as one of its own clients' writes.
void Node::LeaderOrderForwarded(const ForwardedRequest& r, Now now) {
  sessions_.Touch(r.session_id, now.mono_ms);
  auth::AuthIds ids = r.auth;
  txn::RequestContext ctx = Context(r.session_id, r.xid, now, &ids);
  OpCode op = static_cast<OpCode>(r.op);
  if (r.bad) {
    Propose(preparer_->Failed(ctx, op, static_cast<Error>(r.bad_error)), now);
    return;
  }
  if (op == OpCode::kCloseSession) {
    sessions_.SetClosing(r.session_id);
    Propose(preparer_->CloseSession(ctx), now);
    return;
  }
  auto req = jute::DecodeRequest(jute::RequestHeader{r.xid, r.op}, r.body);
  if (!req) {
    Propose(preparer_->Failed(ctx, op, Error::kMarshallingError), now);
    return;
  }
  Propose(preparer_->Prepare(std::move(*req), ctx), now);
}

void Node::ForwardWrite(Conn& c, const Queued& q, Now now) {
  (void)now;
  if (q.req.op == OpCode::kCloseSession) sessions_.SetClosing(c.session_id);
  session_writes_[c.session_id].push_back(InFlightWrite::Of(q, c.id));
  ++c.writes_in_flight;
  ForwardedRequest r;
  r.session_id = c.session_id;
  r.xid = q.req.xid;
  r.op = static_cast<int32_t>(q.req.op);
  r.body = q.raw_body;
  r.auth = c.auth;
  r.bad = q.bad != Error::kOk;
  r.bad_error = static_cast<int32_t>(q.bad);
  if (!peer_->SendToLeader(EncodePeerPayload(r))) {
    // Not connected to a leader any more: the role change that follows drops this client.
    CAUCUS_LOG(Debug) << "could not forward a write: no leader";
  }
}

}  // namespace caucus::node
