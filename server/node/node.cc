#include "server/node/node.h"

#include "server/node/connection_state.h"
#include "server/node/peer_payload.h"

#include <algorithm>

#include "proto/jute/framing.h"
#include "server/base/assert.h"
#include "server/base/log.h"
#include "server/base/zxid.h"
#include "server/datatree/path_utils.h"
#include "server/txn/apply.h"

namespace caucus::node {

using jute::Error;
using jute::OpCode;


namespace {

const char* OpName(OpCode op) {
  switch (op) {
    case OpCode::kCreate:
    case OpCode::kCreate2:
    case OpCode::kCreateContainer:
    case OpCode::kCreateTTL: return "CREA";
    case OpCode::kDelete: return "DELE";
    case OpCode::kExists: return "EXIS";
    case OpCode::kGetData: return "GETD";
    case OpCode::kSetData: return "SETD";
    case OpCode::kGetACL: return "GETA";
    case OpCode::kSetACL: return "SETA";
    case OpCode::kGetChildren:
    case OpCode::kGetChildren2: return "GETC";
    case OpCode::kSync: return "SYNC";
    case OpCode::kPing: return "PING";
    case OpCode::kCheck: return "CHEC";
    case OpCode::kMulti: return "MULT";
    case OpCode::kMultiRead: return "MLTR";
    case OpCode::kReconfig: return "RECO";
    case OpCode::kCheckWatches: return "CHKW";
    case OpCode::kRemoveWatches: return "REMW";
    case OpCode::kSetWatches: return "SETW";
    case OpCode::kSetWatches2: return "STW2";
    case OpCode::kAddWatch: return "ADDW";
    case OpCode::kGetEphemerals: return "GETE";
    case OpCode::kGetAllChildrenNumber: return "GETACN";
    case OpCode::kWhoAmI: return "HOMI";
    case OpCode::kCaucusSetReadMode: return "RDMO";
    case OpCode::kCloseSession: return "CLOS";
    default: return "NA";
  }
}

// A frame = 4-byte length + ReplyHeader + body.
std::string MakeReply(int32_t xid, int64_t zxid, Error err, const std::string& body) {
  std::string out;
  out.reserve(4 + 16 + body.size());
  jute::OutArchive a(out);
  size_t at = a.BeginLength();
  jute::ReplyHeader{xid, zxid, static_cast<int32_t>(err)}.Write(a);
  out.append(body);
  a.PatchLength(at);
  return out;
}

uint64_t Mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

void WriteMultiResult(jute::OutArchive& a, const txn::OpResult& r) {
  if (r.type == OpCode::kError) {
    jute::MultiHeader{-1, false, static_cast<int32_t>(r.err)}.Write(a);
    a.Int(static_cast<int32_t>(r.err));
    return;
  }
  // createTTL/createContainer results are reported as create2 (OpResult.CreateResult).
  OpCode type = r.type;
  if (type == OpCode::kCreateTTL || type == OpCode::kCreateContainer) type = OpCode::kCreate2;
  jute::MultiHeader{static_cast<int32_t>(type), false, 0}.Write(a);
  switch (type) {
    case OpCode::kCreate: a.String(r.path); break;
    case OpCode::kCreate2:
      a.String(r.path);
      r.stat.Write(a);
      break;
    case OpCode::kSetData: r.stat.Write(a); break;
    default: break;
  }
}

}  // namespace

Node::Node(NodeOptions options, Responder& responder, TxnLog* log,
           std::unique_ptr<datatree::DataTree> tree)
    : options_(std::move(options)),
      responder_(responder),
      tree_(tree ? std::move(tree) : std::make_unique<datatree::DataTree>()),
      log_(log),
      preparer_(std::make_unique<txn::Preparer>(
          *tree_, pending_,
          txn::PrepareOptions{options_.extended_types_enabled, options_.reconfig_enabled})),
      sessions_(options_.tick_ms) {
  next_zxid_ = tree_->last_processed_zxid();
  next_zxid_ = NextZxid();
}

// zxid = epoch << 32 | counter. When the counter would overflow, a standalone server moves to
// the next epoch instead of stopping (ZooKeeper forces a re-election there, ZOOKEEPER-1277):
// zxids stay strictly increasing, which is all clients and recovery rely on.
int64_t Node::NextZxid() {
  uint64_t z = static_cast<uint64_t>(next_zxid_);
  uint32_t counter = static_cast<uint32_t>(z & 0xffffffffu);
  uint32_t epoch = static_cast<uint32_t>(z >> 32);
  if (counter == 0xffffffffu) return base::MakeZxid(epoch + 1, 1);
  return static_cast<int64_t>(z + 1);
}

Node::Node(NodeOptions options, Responder& responder, EnsembleEnv& env, zab::PeerOptions peer,
           zab::PersistentState state, std::unique_ptr<datatree::DataTree> tree)
    : Node(std::move(options), responder, nullptr, std::move(tree)) {
  env_ = &env;
  peer_ = std::make_unique<zab::Peer>(std::move(peer), std::move(state), *this);
}

Node::~Node() = default;

Node::Conn* Node::FindConn(ConnId id) {
  auto it = conns_.find(id);
  return it == conns_.end() ? nullptr : it->second.get();
}

void Node::OnConnectionOpened(ConnId conn, std::string remote_ip, std::string remote, Now now) {
  auto c = std::make_unique<Conn>();
  c->id = conn;
  c->ip = remote_ip;
  c->remote = std::move(remote);
  c->auth.push_back(jute::Id{"ip", std::move(remote_ip)});
  c->stats.established_wall_ms = now.wall_ms;
  c->read_mode = options_.read_mode;
  conns_[conn] = std::move(c);
}

void Node::OnConnectionClosed(ConnId conn) {
  auto it = conns_.find(conn);
  if (it == conns_.end()) return;
  tree_->watches().RemoveWatcher(conn);
  Conn& c = *it->second;
  if (c.session_id != 0) {
    auto sc = session_conn_.find(c.session_id);
    if (sc != session_conn_.end() && sc->second == conn) session_conn_.erase(sc);
  }
  // Its writes in flight stay in session_writes_ until they commit (their replies dropped).
  stats_.outstanding -= static_cast<int64_t>(c.queue.size() + c.linear.size());
  conns_.erase(it);
}

void Node::OnFrame(ConnId conn, std::string_view frame, Now now) {
  Conn* c = FindConn(conn);
  if (!c || c->closing) return;
  ++stats_.packets_received;
  ++c->stats.packets_received;
  if (!c->handshaken) {
    if (c->connecting) {
      RejectConnect(*c, "request before the session was established");
      return;
    }
    HandleConnect(*c, frame, now);
    if (peer_) Drive(now);
    return;
  }
  jute::InArchive a(frame);
  jute::RequestHeader h;
  if (!h.Read(a)) {
    c->closing = true;
    CAUCUS_LOG(Warn) << "closing connection " << c->remote << ": frame of " << frame.size()
                     << " bytes is too short for a request header";
    responder_.Close(conn, "malformed request header");
    return;
  }
  HandleRequest(*c, h, frame.substr(8), now);
  if (peer_) Drive(now);
}

void Node::HandleConnect(Conn& c, std::string_view frame, Now now) {
  jute::InArchive a(frame);
  jute::ConnectRequest req;
  if (!req.Read(a)) {
    RejectConnect(c, "malformed ConnectRequest");
    return;
  }
  if (peer_ && !peer_->serving()) {
    // As ZooKeeper: a server without an established leader takes no clients; the client
    // library moves on to another server of its connect string.
    RejectConnect(c, "this server is not serving: the ensemble has no leader it follows");
    return;
  }
  if (req.last_zxid_seen > tree_->last_processed_zxid()) {
    // The client has seen a newer state than ours (it talked to a server ahead of us).
    RejectConnect(c, "client has seen a zxid ahead of this server; it must try another server");
    return;
  }
  int32_t timeout = std::clamp(req.timeout_ms, options_.min_session_timeout_ms,
                               options_.max_session_timeout_ms);
  c.timeout_ms = timeout;
  if (req.session_id == 0) {
    int64_t id = NextSessionId(now);
    c.connecting = true;
    c.session_id = id;
    session_conn_[id] = c.id;
    if (peer_ && !IsLeader()) {
      if (!peer_->SendToLeader(EncodePeerPayload(ForwardedSession{id, timeout}))) {
        RejectConnect(c, "no connection to the leader");
      }
      return;
    }
    Propose(preparer_->CreateSession(Context(id, 0, now, &c.auth), timeout), now);
    return;
  }
  // Any connect naming a session closes that session's current connection, even when the
  // password turns out wrong (ZooKeeper does the same).
  auto old = session_conn_.find(req.session_id);
  if (old != session_conn_.end() && old->second != c.id) {
    if (Conn* oc = FindConn(old->second)) {
      oc->closing = true;
      oc->session_id = 0;
      tree_->watches().RemoveWatcher(oc->id);
      responder_.Close(oc->id, "session moved to a new connection");
    }
    session_conn_.erase(old);
  }
  const session::Session* s = sessions_.Find(req.session_id);
  if (!s || s->closing || s->passwd != req.passwd) {
    // ZooKeeper's answer for an expired or unknown session: timeout 0, then close.
    jute::ConnectResponse resp;
    resp.passwd.assign(16, '\0');
    std::string out;
    jute::OutArchive w(out);
    size_t at = w.BeginLength();
    resp.Write(w);
    w.PatchLength(at);
    SendRaw(c.id, std::move(out));
    c.closing = true;
    responder_.Close(c.id, "session expired or invalid password");
    return;
  }
  session_conn_[req.session_id] = c.id;
  c.session_id = req.session_id;
  sessions_.SetTimeout(req.session_id, timeout);
  sessions_.Touch(req.session_id, now.mono_ms);
  if (peer_) touched_.push_back(req.session_id);
  FinishConnect(c, *s, timeout);
}

void Node::FinishConnect(Conn& c, const session::Session& s, int32_t timeout_ms) {
  jute::ConnectResponse resp;
  resp.timeout_ms = timeout_ms;
  resp.session_id = s.id;
  resp.passwd = s.passwd;
  std::string out;
  jute::OutArchive w(out);
  size_t at = w.BeginLength();
  resp.Write(w);
  w.PatchLength(at);
  c.handshaken = true;
  c.connecting = false;
  SendRaw(c.id, std::move(out));
  CAUCUS_LOG(Debug) << "session 0x" << std::hex << s.id << std::dec << " established for "
                    << c.remote << " timeout " << timeout_ms << " ms";
}

void Node::RejectConnect(Conn& c, std::string_view reason) {
  CAUCUS_LOG(Info) << "refusing connection from " << c.remote << ": " << reason;
  c.closing = true;
  responder_.Close(c.id, reason);
}

void Node::HandleRequest(Conn& c, const jute::RequestHeader& h, std::string_view body, Now now) {
  if (h.type == static_cast<int32_t>(OpCode::kCaucusSetReadMode) ||
      h.type == static_cast<int32_t>(OpCode::kCaucusRead)) {
    HandleReadModeExtension(c, h, body, now);
    return;
  }
  HandleClientRequest(c, h, body, now, std::nullopt);
}

void Node::HandleClientRequest(Conn& c, const jute::RequestHeader& h, std::string_view body,
                               Now now, std::optional<ReadMode> mode) {
  bool internal_op = h.type == static_cast<int32_t>(OpCode::kCreateSession) ||
                     h.type == static_cast<int32_t>(OpCode::kDeleteContainer);
  if (!jute::IsKnownClientOp(h.type) && !internal_op) {
    CAUCUS_LOG(Warn) << "closing connection " << c.remote << ": unknown opcode " << h.type;
    SendRaw(c.id, MakeReply(h.xid, -1, Error::kUnimplemented, {}));
    c.closing = true;
    responder_.Close(c.id, "unknown opcode");
    return;
  }
  sessions_.Touch(c.session_id, now.mono_ms);
  if (peer_) touched_.push_back(c.session_id);
  Queued q;
  q.received_mono_ms = now.mono_ms;
  q.mode = mode;
  if (peer_ && !IsLeader()) q.raw_body.assign(body);
  auto req = internal_op ? std::nullopt : jute::DecodeRequest(h, body);
  if (req) {
    q.req = std::move(*req);
  } else {
    // ZooKeeper answers an undecodable body with MarshallingError and keeps the connection;
    // the internal ops a client may not send get BadArguments / MarshallingError likewise.
    CAUCUS_LOG(Warn) << "malformed request from " << c.remote << ": opcode " << h.type << ", "
                     << body.size() << " body bytes";
    q.req.xid = h.xid;
    q.req.op = static_cast<OpCode>(h.type);
    q.bad = h.type == static_cast<int32_t>(OpCode::kDeleteContainer) ? Error::kBadArguments
                                                                       : Error::kMarshallingError;
  }
  if (q.req.op == OpCode::kAuth && q.bad == Error::kOk) {
    // Auth is handled on arrival, outside the request order, as ZooKeeper does.
    HandleAuth(c, q.req);
    return;
  }
  c.queue.push_back(std::move(q));
  ++stats_.outstanding;
  Pump(c, now);
}

void Node::HandleAuth(Conn& c, const jute::Request& req) {
  const auto& p = std::get<jute::AuthPacket>(req.body);
  auto ids = auth::Authenticate(p.scheme, p.auth, options_.super_digest);
  if (!ids) {
    CAUCUS_LOG(Warn) << "authentication failed for " << c.remote << " with scheme '" << p.scheme
                     << "'";
    SendRaw(c.id, MakeReply(jute::kAuthXid, 0, Error::kAuthFailed, {}));
    c.closing = true;
    responder_.Close(c.id, "authentication failed");
    return;
  }
  for (auto& id : *ids) {
    if (std::find(c.auth.begin(), c.auth.end(), id) == c.auth.end()) c.auth.push_back(id);
  }
  SendRaw(c.id, MakeReply(jute::kAuthXid, 0, Error::kOk, {}));
}

// Runs queued requests in order: writes are submitted as they come (pipelined); a read waits
// until every earlier write of this session has been applied (session FIFO order), including
// writes sent on a previous connection of the session before the client reconnected.
void Node::Pump(Conn& c, Now now) {
  ConnId id = c.id;
  while (true) {
    Conn* cur = FindConn(id);
    if (!cur || cur->closing || cur->queue.empty()) return;
    bool write = txn::IsWriteOp(cur->queue.front().req.op);
    if (!write && HasWritesInFlight(cur->session_id)) return;  // leave it queued, untouched
    // A write must not overtake an earlier read that is still waiting: the read would see it.
    if (write && !cur->linear.empty()) return;
    // Without a leader, writes wait here (bounded: CloseHeldWrites); reads go on.
    if (write && peer_ && !peer_->serving()) return;
    Queued q = std::move(cur->queue.front());
    cur->queue.pop_front();
    if (!write && (!cur->linear.empty() || NeedsTicket(*cur, q))) {
      EnqueueLinear(*cur, std::move(q), now);
    } else if (write) {
      SubmitWrite(*cur, q, now);
    } else {
      ExecuteRead(*cur, q, now);
    }
  }
}

void Node::SubmitWrite(Conn& c, Queued& q, Now now) {
  if (peer_ && !IsLeader()) {
    ForwardWrite(c, q, now);
    return;
  }
  if (q.req.op == OpCode::kCloseSession) sessions_.SetClosing(c.session_id);
  session_writes_[c.session_id].push_back(InFlightWrite::Of(q, c.id));
  ++c.writes_in_flight;
  txn::RequestContext ctx = Context(c.session_id, q.req.xid, now, &c.auth);
  if (q.bad != Error::kOk) {
    Propose(preparer_->Failed(ctx, q.req.op, q.bad), now);
  } else if (q.req.op == OpCode::kCloseSession) {
    Propose(preparer_->CloseSession(ctx), now);
  } else {
    Propose(preparer_->Prepare(std::move(q.req), ctx), now);
  }
}

txn::RequestContext Node::Context(int64_t session, int32_t cxid, Now now,
                                  const auth::AuthIds* ids) {
  txn::RequestContext ctx;
  ctx.session_id = session;
  ctx.cxid = cxid;
  ctx.zxid = next_zxid_;
  next_zxid_ = NextZxid();
  ctx.time_ms = now.wall_ms;
  ctx.auth = ids;
  return ctx;
}

void Node::Propose(txn::Txn txn, Now now) {
  if (peer_) {
    int64_t zxid = peer_->Propose(std::make_shared<const std::string>(env_->EncodeTxn(txn)));
    if (zxid == 0) {
      FailProposal(txn, now);  // no longer an established leader
      return;
    }
    CAUCUS_ASSERT(zxid == txn.zxid);
    proposed_.push_back(std::move(txn));
    return;
  }
  if (!log_) {
    Commit(txn, now);  // in-memory mode
    return;
  }
  log_->Append(txn, log_generation_);
  proposed_.push_back(std::move(txn));
}

void Node::OnLogDurable(uint64_t generation, int64_t zxid, Now now) {
  if (peer_) {
    peer_->OnPersisted(generation, zxid);
    Drive(now);
    return;
  }
  if (generation != log_generation_) return;  // a failed generation's late news
  while (!proposed_.empty() && proposed_.front().zxid <= zxid) {
    txn::Txn t = std::move(proposed_.front());
    proposed_.pop_front();
    Commit(t, now);
  }
}

// The log could not make a batch durable (disk full, I/O error). Nothing after the last
// durable zxid is in the log, so every proposal still waiting fails: its client gets an error,
// the pending changes it made are dropped, and its zxid is reused by the next write.
void Node::OnLogFailed(uint64_t generation, std::string_view message, Now now) {
  if (peer_) {
    ++stats_.log_write_failures;
    CAUCUS_LOG(Error) << "transaction log write failed, leaving the quorum to re-sync: "
                      << message;
    peer_->OnLogFailed();
    Drive(now);
    return;
  }
  if (generation != log_generation_) return;
  ++log_generation_;
  ++stats_.log_write_failures;
  stats_.failed_writes += static_cast<int64_t>(proposed_.size());
  CAUCUS_LOG(Error) << "transaction log write failed, failing " << proposed_.size()
                    << " pending writes: " << message;
  std::deque<txn::Txn> failed;
  failed.swap(proposed_);
  pending_.Clear();
  next_zxid_ = tree_->last_processed_zxid();
  next_zxid_ = NextZxid();
  for (const auto& t : failed) FailProposal(t, now);
}

void Node::FailProposal(const txn::Txn& t, Now now) {
  if (t.type == OpCode::kCloseSession) sessions_.Reopen(t.session_id, now.mono_ms);
  if (t.type == OpCode::kCreateSession) {
    auto sc = session_conn_.find(t.session_id);
    Conn* c = sc == session_conn_.end() ? nullptr : FindConn(sc->second);
    if (!c) return;
    session_conn_.erase(sc);
    RejectConnect(*c, "could not make the new session durable");
    return;
  }
  auto w = TakeInFlight(t);
  if (!w) return;
  if (Conn* c = ReplyConn(*w, t.session_id)) {
    SendReply(*c, w->xid, Error::kSystemError, {}, now, w->received_mono_ms, OpName(w->op));
  } else {
    --stats_.outstanding;  // nobody to answer
  }
  PumpSession(t.session_id, now);
}

std::optional<Node::InFlightWrite> Node::TakeInFlight(const txn::Txn& t) {
  auto it = session_writes_.find(t.session_id);
  if (it == session_writes_.end()) return std::nullopt;
  // In an ensemble the session may have moved here from another server with writes still in
  // flight there: those commits are not ours to answer.
  if (peer_ && it->second.front().xid != t.cxid) return std::nullopt;
  InFlightWrite w = std::move(it->second.front());
  it->second.pop_front();
  if (it->second.empty()) session_writes_.erase(it);
  // Writes commit (or fail) in zxid order, and a session's writes were submitted in order.
  CAUCUS_ASSERT(w.xid == t.cxid);
  if (Conn* c = FindConn(w.conn)) --c->writes_in_flight;
  return w;
}

Node::Conn* Node::ReplyConn(const InFlightWrite& w, int64_t session_id) {
  Conn* c = FindConn(w.conn);
  if (!c || c->closing || c->session_id != session_id) return nullptr;
  return c;
}

void Node::PumpSession(int64_t session_id, Now now) {
  auto sc = session_conn_.find(session_id);
  if (sc == session_conn_.end()) return;
  if (Conn* c = FindConn(sc->second)) Pump(*c, now);
}

bool Node::HasWritesInFlight(int64_t session_id) const {
  return session_writes_.count(session_id) != 0;  // entries are erased when emptied
}

void Node::RestoreSession(int64_t id, int32_t timeout_ms, Now now) {
  sessions_.Add(id, timeout_ms, SessionPassword(id), now.mono_ms);
}

namespace {
// A transaction's size in the log, near enough to pace snapshots by (the header, and each
// op's path and data; ACLs and the encoding's framing are small).
int64_t ApproxLogBytes(const txn::Txn& t) {
  int64_t n = 32;
  for (const auto& op : t.ops) {
    n += 16 + static_cast<int64_t>(op.path.size() + (op.data ? op.data->size() : 0));
  }
  return n;
}
}  // namespace

void Node::Commit(const txn::Txn& txn, Now now) {
  txn::ApplyResult r = txn::Apply(txn, *tree_);
  pending_.OnApplied(txn.zxid);
  ++txns_since_snapshot_;
  txn_bytes_since_snapshot_ += ApproxLogBytes(txn);
  // Watch events go out before the reply that reveals the new state (ZooKeeper's guarantee).
  DeliverWatches();
  if (txn.type == OpCode::kCreateSession) {
    std::string pw = SessionPassword(txn.session_id);
    sessions_.Add(txn.session_id, txn.ops[0].timeout_ms, pw, now.mono_ms);
    auto sc = session_conn_.find(txn.session_id);
    Conn* c = sc == session_conn_.end() ? nullptr : FindConn(sc->second);
    if (c && !c->closing) FinishConnect(*c, *sessions_.Find(txn.session_id), c->timeout_ms);
    return;
  }
  if (txn.type == OpCode::kCloseSession) sessions_.Remove(txn.session_id);
  ReplyToWrite(txn, r, now);
}

void Node::ReplyToWrite(const txn::Txn& txn, const txn::ApplyResult& r, Now now) {
  auto w = TakeInFlight(txn);
  if (!w) {
    // Server-issued (expiry, container reaping). An expiry decided by the leader closes the
    // session's connection wherever it is, as the leader's own ExpireSession does locally.
    if (txn.type == OpCode::kCloseSession) CloseSessionConn(txn.session_id);
    return;
  }
  Conn* c = ReplyConn(*w, txn.session_id);
  // ZooKeeper 3.8 never answers a successful check outside a multi (its reply fails to
  // serialize); clients only send check inside multi, and we keep the wire identical.
  if (c && txn.type == OpCode::kCheck && peer_ && !IsLeader()) {
    // A ZooKeeper follower closes the connection here (the reply cannot be serialized).
    c->closing = true;
    responder_.Close(c->id, "check outside multi");
  }
  if (!c || txn.type == OpCode::kCheck) {
    --stats_.outstanding;
    if (txn.type == OpCode::kCloseSession) CloseSessionConn(txn.session_id);
    PumpSession(txn.session_id, now);
    return;
  }
  std::string body;
  jute::OutArchive a(body);
  Error err = r.err;
  if (txn.type == OpCode::kMulti) {
    for (const auto& op : r.ops) WriteMultiResult(a, op);
    jute::MultiHeader{-1, true, -1}.Write(a);
    err = Error::kOk;
  } else if (err == Error::kOk) {
    const txn::OpResult& op = r.ops.at(0);
    switch (txn.type) {
      case OpCode::kCreate: a.String(op.path); break;
      case OpCode::kCreate2:
      case OpCode::kCreateTTL:
      case OpCode::kCreateContainer:
        a.String(op.path);
        op.stat.Write(a);
        break;
      case OpCode::kSetData:
      case OpCode::kSetACL: op.stat.Write(a); break;
      default: break;
    }
  }
  SendReply(*c, w->xid, err, body, now, w->received_mono_ms, OpName(w->op));
  if (txn.type == OpCode::kCloseSession) {
    CloseSessionConn(txn.session_id);
    return;
  }
  Pump(*c, now);
}

void Node::CloseSessionConn(int64_t session_id) {
  auto sc = session_conn_.find(session_id);
  if (sc == session_conn_.end()) return;
  if (Conn* c = FindConn(sc->second)) {
    c->session_id = 0;
    c->closing = true;
    responder_.Close(c->id, "session closed by client");
  }
  session_conn_.erase(sc);
}

const char* Node::OpNameOf(OpCode op) { return OpName(op); }

void Node::SendWatchEvents(const std::vector<datatree::FiredWatch>& fired) {
  for (const auto& f : fired) {
    std::string out;
    jute::OutArchive a(out);
    size_t at = a.BeginLength();
    jute::ReplyHeader{jute::kNotificationXid, -1, 0}.Write(a);
    jute::WatcherEvent{static_cast<int32_t>(f.type),
                       static_cast<int32_t>(jute::KeeperState::kSyncConnected), f.path}
        .Write(a);
    a.PatchLength(at);
    SendRaw(f.watcher, std::move(out));
  }
}

void Node::SendRaw(ConnId conn, std::string frame) {
  if (Conn* c = FindConn(conn)) {
    ++c->stats.packets_sent;
    ++stats_.packets_sent;
  }
  responder_.Send(conn, std::move(frame));
}

void Node::SendReply(Conn& c, int32_t xid, Error err, const std::string& body, Now now,
                     int64_t received_mono_ms, std::string_view op, bool body_on_error) {
  int64_t zxid = tree_->last_processed_zxid();
  int64_t latency = std::max<int64_t>(0, now.mono_ms - received_mono_ms);
  ConnStats& s = c.stats;
  s.last_zxid = zxid;
  s.last_op = std::string(op);
  s.last_cxid = xid;
  s.last_latency_ms = latency;
  s.min_latency_ms = s.min_latency_ms < 0 ? latency : std::min(s.min_latency_ms, latency);
  s.max_latency_ms = std::max(s.max_latency_ms, latency);
  s.total_latency_ms += latency;
  ++s.completed;
  stats_.min_latency_ms =
      stats_.min_latency_ms < 0 ? latency : std::min(stats_.min_latency_ms, latency);
  stats_.max_latency_ms = std::max(stats_.max_latency_ms, latency);
  stats_.total_latency_ms += latency;
  ++stats_.completed;
  --stats_.outstanding;
  bool with_body = err == Error::kOk || body_on_error;
  SendRaw(c.id, MakeReply(xid, zxid, err, with_body ? body : std::string()));
}

std::string Node::SessionPassword(int64_t session_id) const {
  std::string pw(16, '\0');
  uint64_t a = Mix64(options_.secret ^ static_cast<uint64_t>(session_id));
  uint64_t b = Mix64(a ^ 0x9e3779b97f4a7c15ull);
  for (int i = 0; i < 8; ++i) {
    pw[static_cast<size_t>(i)] = static_cast<char>(a >> (8 * i));
    pw[static_cast<size_t>(8 + i)] = static_cast<char>(b >> (8 * i));
  }
  return pw;
}

// ZooKeeper's SessionTrackerImpl.initializeNextSessionId: the server id in the top byte and a
// millisecond time below it, so ids from different servers and restarts do not collide.
int64_t Node::NextSessionId(Now now) {
  if (next_session_id_ == 0) {
    uint64_t t = (static_cast<uint64_t>(now.wall_ms) << 24) >> 8;
    next_session_id_ = static_cast<int64_t>(t | (static_cast<uint64_t>(options_.server_id) << 56));
  }
  return next_session_id_++;
}

void Node::Tick(Now now) {
  // Only the serving leader expires sessions and reaps containers (its txns order them).
  if (peer_ && !(IsLeader() && peer_->serving())) return;
  for (int64_t id : sessions_.TakeExpired(now.mono_ms)) ExpireSession(id, now);
  if (now.mono_ms >= next_reap_mono_ms_) {
    next_reap_mono_ms_ = now.mono_ms + options_.container_check_interval_ms;
    ReapContainers(now);
  }
  if (peer_) Drive(now);
}

void Node::ExpireSession(int64_t session_id, Now now) {
  CAUCUS_LOG(Info) << "session 0x" << std::hex << session_id << std::dec << " expired";
  auto sc = session_conn_.find(session_id);
  if (sc != session_conn_.end()) {
    if (Conn* c = FindConn(sc->second)) {
      c->closing = true;
      c->session_id = 0;
      responder_.Close(c->id, "session expired");
    }
    session_conn_.erase(sc);
  }
  txn::Txn t = preparer_->CloseSession(Context(session_id, 0, now, &server_auth_));
  Propose(std::move(t), now);
}

void Node::ReapContainers(Now now) {
  int64_t budget = std::max<int64_t>(
      1, static_cast<int64_t>(options_.container_max_per_minute) *
             options_.container_check_interval_ms / 60000);
  std::vector<std::string> victims;
  for (const auto& path : tree_->containers()) {
    const datatree::Znode* n = tree_->Find(path);
    if (!n || n->has_children()) continue;
    bool used = n->cversion > 0;
    int64_t never_used_ms = options_.container_max_never_used_interval_ms;
    if (used || (never_used_ms > 0 && now.wall_ms - n->mtime > never_used_ms)) {
      victims.push_back(path);
    }
  }
  for (const auto& path : tree_->ttls()) {
    const datatree::Znode* n = tree_->Find(path);
    if (!n || n->has_children()) continue;
    if (now.wall_ms - n->mtime > datatree::TtlOfOwner(n->ephemeral_owner)) victims.push_back(path);
  }
  for (const auto& path : victims) {
    if (budget-- <= 0) break;
    // Proposed even when it turned out invalid (an error txn): every zxid taken is logged,
    // which keeps the log contiguous.
    Propose(preparer_->DeleteContainer(Context(0, 0, now, &server_auth_), path), now);
  }
}

std::vector<ConnInfo> Node::Connections() const {
  std::vector<ConnInfo> out;
  for (const auto& [id, c] : conns_) {
    out.push_back(ConnInfo{id, c->remote, c->session_id, c->timeout_ms,
                           c->queue.size() + c->writes_in_flight, c->stats});
  }
  std::sort(out.begin(), out.end(), [](const ConnInfo& a, const ConnInfo& b) { return a.id < b.id; });
  return out;
}

void Node::ResetStats() {
  ServerStats old = stats_;
  stats_ = ServerStats{};
  stats_.outstanding = old.outstanding;
  // Failure counters are not latency statistics: srst keeps them, as a monitor expects.
  stats_.log_write_failures = old.log_write_failures;
  stats_.failed_writes = old.failed_writes;
  for (auto& [id, c] : conns_) {
    int64_t est = c->stats.established_wall_ms;
    c->stats = ConnStats{};
    c->stats.established_wall_ms = est;
  }
}

}  // namespace caucus::node
