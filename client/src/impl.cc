#include "client/src/impl.h"

#include <algorithm>
#include <future>

#include "proto/jute/framing.h"
#include "proto/jute/opcodes.h"
#include "proto/jute/records.h"

namespace caucus {

namespace asio = boost::asio;
using asio::ip::tcp;
using std::chrono::milliseconds;

namespace {

constexpr int32_t kMaxFrame = 16 * 1024 * 1024;  // generous jute.maxbuffer for replies

std::string Framed(const std::function<void(jute::OutArchive&)>& body) {
  std::string out;
  jute::OutArchive a(out);
  size_t at = a.BeginLength();
  body(a);
  a.PatchLength(at);
  return out;
}

// The server path a single-path read names (for the sync that precedes it on ZooKeeper).
std::string ReadPath(const jute::Request& r) {
  if (const auto* p = std::get_if<jute::PathWatchRequest>(&r.body)) return p->path;
  if (const auto* p = std::get_if<jute::PathRequest>(&r.body)) return p->path;
  return "/";
}

std::string RequestFrame(const jute::Request& r) {
  return Framed([&](jute::OutArchive& a) {
    jute::RequestHeader{r.xid, static_cast<int32_t>(r.op)}.Write(a);
    jute::EncodeRequestBody(r, a);
  });
}

}  // namespace

Client::Impl::Impl(ClientOptions options)
    : opts_(std::move(options)),
      work_(asio::make_work_guard(io_)),
      resolver_(io_),
      socket_(io_),
      connect_timer_(io_),
      reconnect_timer_(io_),
      tick_timer_(io_),
      close_timer_(io_) {
  auto cs = client::ParseConnectString(opts_.connect_string);
  if (!cs) throw KeeperException(Error::kBadArguments, opts_.connect_string);
  chroot_ = cs->chroot;
  hosts_ = cs->hosts;
  if (opts_.read_consistency != ReadConsistency::kDefault) read_default_ = opts_.read_consistency;
  std::shuffle(hosts_.begin(), hosts_.end(), rng_);  // spread clients over the ensemble
  for (auto& [scheme, auth] : opts_.auth) auth_.push_back({scheme, auth});
  session_id_ = opts_.session_id;
  passwd_ = opts_.session_password;
  if (!opts_.executor) callbacks_ = std::make_unique<client::CallbackQueue>();
}

Client::Impl::~Impl() { Close(); }

void Client::Impl::Start() {
  io_thread_ = std::thread([this] { io_.run(); });
  asio::post(io_, [this] {
    Tick();
    ConnectNext();
  });
}

void Client::Impl::Post(std::function<void()> task) {
  if (opts_.executor) {
    opts_.executor(std::move(task));
  } else {
    callbacks_->Post(std::move(task));
  }
}

// ---------------------------------------------------------------- session state (shared)

SessionState Client::Impl::state() const {
  std::lock_guard lock(mu_);
  return state_;
}
bool Client::Impl::connected() const {
  std::lock_guard lock(mu_);
  return state_ == SessionState::kConnected || state_ == SessionState::kReconnected;
}
int64_t Client::Impl::session_id() const {
  std::lock_guard lock(mu_);
  return session_id_;
}
std::string Client::Impl::session_password() const {
  std::lock_guard lock(mu_);
  return passwd_;
}
milliseconds Client::Impl::negotiated_timeout() const {
  std::lock_guard lock(mu_);
  return milliseconds(timeout_ms_);
}
int64_t Client::Impl::last_zxid_seen() const {
  std::lock_guard lock(mu_);
  return last_zxid_;
}

int Client::Impl::AddListener(SessionListener l) {
  std::lock_guard lock(mu_);
  listeners_[next_listener_] = std::move(l);
  return next_listener_++;
}

void Client::Impl::RemoveListener(int id) {
  std::lock_guard lock(mu_);
  listeners_.erase(id);
}

bool Client::Impl::WaitConnected(milliseconds timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [this] {
    return state_ == SessionState::kConnected || state_ == SessionState::kReconnected;
  });
}

void Client::Impl::SetState(SessionState s) {
  std::vector<SessionListener> ls;
  {
    std::lock_guard lock(mu_);
    state_ = s;
    for (auto& [id, l] : listeners_) ls.push_back(l);
    cv_.notify_all();
  }
  for (auto& l : ls) Post([l, s] { l(s); });
}

// ---------------------------------------------------------------- connecting

void Client::Impl::ConnectNext() {
  if (phase_ == Phase::kClosing || phase_ == Phase::kDead) return;
  if (SteadyClock::now() < partition_until_) {  // simulated partition: stay offline
    phase_ = Phase::kIdle;
    reconnect_timer_.expires_at(partition_until_);
    reconnect_timer_.async_wait([this](boost::system::error_code ec) {
      if (!ec && phase_ == Phase::kIdle) ConnectNext();
    });
    return;
  }
  phase_ = Phase::kConnecting;
  uint64_t gen = ++gen_;
  const auto& hp = hosts_[host_index_ % hosts_.size()];
  host_index_++;
  attempts_in_round_++;
  // ZooKeeper's connectTimeout: the session timeout shared among the hosts.
  auto per_host = std::max<milliseconds>(opts_.session_timeout / static_cast<int>(hosts_.size()),
                                         milliseconds(500));
  connect_timer_.expires_after(per_host);
  connect_timer_.async_wait([this, gen](boost::system::error_code ec) {
    if (!ec && gen == gen_ && phase_ == Phase::kConnecting) ConnectionLost(gen, "connect timeout");
  });
  resolver_.async_resolve(
      hp.host, std::to_string(hp.port),
      [this, gen](boost::system::error_code ec, tcp::resolver::results_type results) {
        if (gen != gen_) return;
        if (ec) return ConnectionLost(gen, "resolve failed");
        asio::async_connect(socket_, results,
                            [this, gen](boost::system::error_code ec2, const tcp::endpoint&) {
                              if (gen != gen_) return;
                              if (ec2) return ConnectionLost(gen, "connect failed");
                              OnConnected(gen);
                            });
      });
}

void Client::Impl::OnConnected(uint64_t gen) {
  boost::system::error_code ignored;
  socket_.set_option(tcp::no_delay(true), ignored);
  jute::ConnectRequest req;
  {
    std::lock_guard lock(mu_);
    req.last_zxid_seen = last_zxid_;  // a server behind this zxid must refuse us
    req.session_id = session_id_;
    req.passwd = passwd_.empty() ? std::string(16, '\0') : passwd_;
  }
  req.timeout_ms = static_cast<int32_t>(opts_.session_timeout.count());
  req.read_only = opts_.can_be_read_only;
  req.has_read_only = true;
  Send({Framed([&](jute::OutArchive& a) { req.Write(a); }), 0, {}});
  ReadFrame(gen, [this, gen](std::string_view body) { OnHandshake(gen, body); });
}

void Client::Impl::OnHandshake(uint64_t gen, std::string_view body) {
  connect_timer_.cancel();
  jute::ConnectResponse resp;
  jute::InArchive in(body);
  if (!resp.Read(in)) return ConnectionLost(gen, "bad ConnectResponse");
  if (resp.timeout_ms <= 0) return SessionExpired();
  SessionEstablished(resp);
  ReadLoop(gen);
}

void Client::Impl::SessionEstablished(const jute::ConnectResponse& resp) {
  phase_ = Phase::kConnected;
  attempts_in_round_ = 0;
  last_recv_ = last_send_ = SteadyClock::now();
  bool same_session;
  {
    std::lock_guard lock(mu_);
    same_session = ever_connected_ && session_id_ == resp.session_id;
    session_id_ = resp.session_id;
    passwd_ = resp.passwd;
    timeout_ms_ = resp.timeout_ms;
    ever_connected_ = true;
  }
  SendSessionSetup();
  conn_mode_ = ReadConsistency::kLocal;
  if (ReadConsistency d = read_consistency(); d != ReadConsistency::kLocal && read_modes_ >= 0) {
    SendReadMode(d);
  }
  while (!outgoing_.empty()) {
    SendCall(std::move(outgoing_.front()));
    outgoing_.pop_front();
  }
  SetState(same_session ? SessionState::kReconnected : SessionState::kConnected);
}

// Auth first, then watches: the server must know who we are before it re-checks the ACLs of
// the watched nodes.
void Client::Impl::SendSessionSetup() {
  for (const auto& a : auth_) {
    jute::Request r{jute::kAuthXid, jute::OpCode::kAuth, jute::AuthPacket{0, a.scheme, a.auth}};
    auth_pending_.push_back(nullptr);
    Send({RequestFrame(r), static_cast<int32_t>(jute::OpCode::kAuth), {}});
  }
  if (watches_.empty()) return;
  jute::SetWatches2 sw;
  {
    std::lock_guard lock(mu_);
    sw.relative_zxid = last_zxid_;
  }
  auto server_paths = [this](client::WatchKind k) {
    auto paths = watches_.Paths(k);
    for (auto& p : paths) p = ToServer(p);
    return paths;
  };
  sw.data_watches = server_paths(client::WatchKind::kData);
  sw.exist_watches = server_paths(client::WatchKind::kExist);
  sw.child_watches = server_paths(client::WatchKind::kChild);
  sw.persistent_watches = server_paths(client::WatchKind::kPersistent);
  sw.persistent_recursive_watches = server_paths(client::WatchKind::kPersistentRecursive);
  jute::Request r{jute::kSetWatchesXid, jute::OpCode::kSetWatches2, std::move(sw)};
  Send({RequestFrame(r), static_cast<int32_t>(jute::OpCode::kSetWatches2), {}});
}

void Client::Impl::SessionExpired() {
  connect_timer_.cancel();
  boost::system::error_code ignored;
  socket_.close(ignored);
  ++gen_;
  FailAll(pending_, Error::kSessionExpired);
  FailAll(outgoing_, Error::kSessionExpired);
  for (auto& w : watches_.TakeAll()) {
    Post([w] { w(WatchEvent{EventType::kNone, KeeperState::kExpired, ""}); });
  }
  {
    std::lock_guard lock(mu_);
    session_id_ = 0;
    passwd_.clear();
    last_zxid_ = 0;  // a fresh session may start on a server that lost our history
    ever_connected_ = false;
  }
  phase_ = Phase::kIdle;
  SetState(SessionState::kExpired);
  if (!opts_.renew_session_on_expiry) {
    phase_ = Phase::kDead;
    return;
  }
  ScheduleReconnect(false);
}

void Client::Impl::ConnectionLost(uint64_t gen, const char* /*why*/) {
  if (gen != gen_ || phase_ == Phase::kClosing || phase_ == Phase::kDead) return;
  bool was_connected = phase_ == Phase::kConnected;
  ++gen_;
  boost::system::error_code ignored;
  connect_timer_.cancel();
  socket_.close(ignored);
  write_queue_.clear();
  writing_ = false;
  FailAll(pending_, Error::kConnectionLoss);
  while (!auth_pending_.empty()) {
    if (auth_pending_.front()) {
      auto done = std::move(auth_pending_.front());
      Post([done] { done(Error::kConnectionLoss); });
    }
    auth_pending_.pop_front();
  }
  if (was_connected) {
    disconnected_at_ = SteadyClock::now();
    SetState(SessionState::kSuspended);
  }
  phase_ = Phase::kIdle;
  // After a full round of failed hosts, back off (ZooKeeper sleeps up to a second).
  ScheduleReconnect(attempts_in_round_ >= hosts_.size());
}

void Client::Impl::ScheduleReconnect(bool backoff) {
  if (backoff) attempts_in_round_ = 0;
  auto delay = backoff ? milliseconds(std::uniform_int_distribution<int>(50, 1000)(rng_))
                       : milliseconds(0);
  reconnect_timer_.expires_after(delay);
  reconnect_timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec && phase_ == Phase::kIdle) ConnectNext();
  });
}

void Client::Impl::DropConnection() {
  asio::post(io_, [this] { ConnectionLost(gen_, "dropped by user"); });
}

void Client::Impl::SimulatePartition(milliseconds d) {
  asio::post(io_, [this, d] {
    partition_until_ = SteadyClock::now() + d;
    ConnectionLost(gen_, "simulated partition");
  });
}

// ---------------------------------------------------------------- reading

void Client::Impl::ReadFrame(uint64_t gen, std::function<void(std::string_view)> then) {
  asio::async_read(
      socket_, asio::buffer(len_buf_),
      [this, gen, then = std::move(then)](boost::system::error_code ec, size_t) mutable {
        if (gen != gen_) return;
        if (ec) return ConnectionLost(gen, "read failed");
        auto f = jute::NextFrame(std::string_view(len_buf_.data(), 4), kMaxFrame);
        if (f.status == jute::FrameStatus::kBadLength) return ConnectionLost(gen, "bad length");
        read_buf_.resize(static_cast<size_t>(f.length));
        asio::async_read(socket_, asio::buffer(read_buf_),
                         [this, gen, then = std::move(then)](boost::system::error_code ec2,
                                                             size_t) {
                           if (gen != gen_) return;
                           if (ec2) return ConnectionLost(gen, "read failed");
                           last_recv_ = SteadyClock::now();
                           then(read_buf_);
                         });
      });
}

void Client::Impl::ReadLoop(uint64_t gen) {
  ReadFrame(gen, [this, gen](std::string_view frame) {
    OnFrame(frame);
    if (gen == gen_) ReadLoop(gen);
  });
}

void Client::Impl::OnFrame(std::string_view frame) {
  jute::InArchive in(frame);
  jute::ReplyHeader h;
  if (!h.Read(in)) return ConnectionLost(gen_, "short reply");
  std::string_view body = frame.substr(16);
  if (h.xid == jute::kPingXid || h.xid == jute::kSetWatchesXid) return;
  if (h.xid == jute::kNotificationXid) return OnNotification(body);
  if (h.xid == jute::kAuthXid) {
    auto done = auth_pending_.empty() ? nullptr : std::move(auth_pending_.front());
    if (!auth_pending_.empty()) auth_pending_.pop_front();
    auto err = static_cast<Error>(h.err);
    if (done) Post([done, err] { done(err); });
    if (err == Error::kAuthFailed) {
      // The server closes the connection after a failed auth; the client gives up.
      SetState(SessionState::kAuthFailed);
      phase_ = Phase::kDead;
      ++gen_;
      boost::system::error_code ignored;
      socket_.close(ignored);
      FailAll(pending_, Error::kAuthFailed);
      FailAll(outgoing_, Error::kAuthFailed);
    }
    return;
  }
  if (pending_.empty() || pending_.front().req.xid != h.xid)
    return ConnectionLost(gen_, "reply out of order");
  Call call = std::move(pending_.front());
  pending_.pop_front();
  if (h.zxid > 0) {
    std::lock_guard lock(mu_);
    last_zxid_ = std::max(last_zxid_, h.zxid);
  }
  auto err = static_cast<Error>(h.err);
  // Register the watch before delivering, as ZooKeeper does, so no event can be missed.
  using client::WatchKind;
  if (call.watch_kind == WatchKind::kExist) {
    if (err == Error::kOk) watches_.Add(WatchKind::kData, call.path, std::move(call.watcher));
    if (err == Error::kNoNode) watches_.Add(WatchKind::kExist, call.path, std::move(call.watcher));
  } else if (err == Error::kOk) {
    watches_.Add(call.watch_kind, call.path, std::move(call.watcher));
  }
  call.on_reply(err, body);
}

void Client::Impl::OnNotification(std::string_view body) {
  jute::WatcherEvent ev;
  jute::InArchive in(body);
  if (!ev.Read(in)) return ConnectionLost(gen_, "bad notification");
  WatchEvent e{static_cast<EventType>(ev.type), static_cast<KeeperState>(ev.state),
               FromServer(ev.path)};
  for (auto& w : watches_.Trigger(e.type, e.path)) Post([w, e] { w(e); });
}

// ---------------------------------------------------------------- writing

void Client::Impl::Submit(Call call) {
  {
    std::lock_guard lock(mu_);
    if (closed_) {
      auto cb = std::move(call.on_reply);
      Post([cb] { cb(Error::kClosing, {}); });
      return;
    }
  }
  asio::post(io_, [this, call = std::move(call)]() mutable {
    if (phase_ == Phase::kDead || phase_ == Phase::kClosing) {
      Error e = phase_ == Phase::kDead ? Error::kSessionExpired : Error::kClosing;
      if (state() == SessionState::kAuthFailed) e = Error::kAuthFailed;
      return call.on_reply(e, {});
    }
    if (phase_ != Phase::kConnected) return outgoing_.push_back(std::move(call));
    SendCall(std::move(call));
  });
}

void Client::Impl::SendCall(Call call) {
  if (jute::IsDataRead(call.req.op) && SendConsistentRead(call)) return;
  call.req.xid = next_xid_++;
  if (next_xid_ < 0) next_xid_ = 1;  // wrap-around: stay clear of the reserved xids
  Frame f{RequestFrame(call.req), static_cast<int32_t>(call.req.op), call.path};
  pending_.push_back(std::move(call));
  Send(std::move(f));
}

// True if it sent `call` itself; false if the plain request (already preceded by whatever it
// needs) is what to send.
bool Client::Impl::SendConsistentRead(Call& call) {
  ReadConsistency want =
      call.consistency == ReadConsistency::kDefault ? read_consistency() : call.consistency;
  if (want == conn_mode_) return false;  // the connection's mode serves it
  if (read_modes_ >= 0) {
    Call original = call;  // for a server without the extension: sent again, the other way
    call.req.xid = next_xid_++;
    if (next_xid_ < 0) next_xid_ = 1;
    std::string frame = Framed([&](jute::OutArchive& a) {
      jute::RequestHeader{call.req.xid, static_cast<int32_t>(jute::OpCode::kCaucusRead)}.Write(a);
      a.Int(static_cast<int32_t>(want));
      a.Int(static_cast<int32_t>(call.req.op));
      jute::EncodeRequestBody(call.req, a);
    });
    call.on_reply = [this, inner = std::move(call.on_reply), original = std::move(original)](
                        Error e, std::string_view body) mutable {
      if (e != Error::kUnimplemented) return inner(e, body);
      // ZooKeeper: it closes this connection; the read goes again after the reconnect.
      read_modes_ = -1;
      outgoing_.push_front(std::move(original));
      asio::post(io_, [this, g = gen_] { ConnectionLost(g, "server lacks Caucus read modes"); });
    };
    Frame f{std::move(frame), static_cast<int32_t>(call.req.op), call.path};
    pending_.push_back(std::move(call));
    Send(std::move(f));
    return true;
  }
  if (want == ReadConsistency::kLocal) return false;
  // A server without read modes: sync the path first, ZooKeeper's recipe for a fresher read.
  Call sync;
  sync.req.op = jute::OpCode::kSync;
  sync.req.body = jute::PathRequest{ReadPath(call.req)};
  sync.on_reply = [](Error, std::string_view) {};
  SendCall(std::move(sync));
  return false;
}

// The connection's read mode (opcode 5001), for every later read of the connection.
void Client::Impl::SendReadMode(ReadConsistency c) {
  Call call;
  call.req.op = jute::OpCode::kCaucusSetReadMode;
  call.req.xid = next_xid_++;
  if (next_xid_ < 0) next_xid_ = 1;
  std::string frame = Framed([&](jute::OutArchive& a) {
    jute::RequestHeader{call.req.xid, static_cast<int32_t>(call.req.op)}.Write(a);
    a.Int(static_cast<int32_t>(c));
  });
  call.on_reply = [this](Error e, std::string_view) {
    if (e == Error::kOk) {
      read_modes_ = 1;
    } else if (e == Error::kUnimplemented) {
      read_modes_ = -1;  // ZooKeeper closes the connection; reconnect without the extension
      conn_mode_ = ReadConsistency::kLocal;
      asio::post(io_, [this, g = gen_] { ConnectionLost(g, "server lacks Caucus read modes"); });
    }
  };
  conn_mode_ = c;  // requests are answered in order: every later read is in this mode
  Frame f{std::move(frame), static_cast<int32_t>(call.req.op), {}};
  pending_.push_back(std::move(call));
  Send(std::move(f));
}

void Client::Impl::SetReadConsistency(ReadConsistency c) {
  if (c == ReadConsistency::kDefault) c = ReadConsistency::kLocal;
  {
    std::lock_guard lock(mu_);
    read_default_ = c;
  }
  asio::post(io_, [this, c] {
    if (phase_ == Phase::kConnected && read_modes_ >= 0 && c != conn_mode_) SendReadMode(c);
  });
}

ReadConsistency Client::Impl::read_consistency() const {
  std::lock_guard lock(mu_);
  return read_default_;
}

bool Client::Impl::read_modes_supported() const { return read_modes_ >= 0; }

void Client::Impl::Send(Frame f) {
  write_queue_.push_back(std::move(f));
  if (!writing_) WriteNext();
}

void Client::Impl::WriteNext() {
  if (write_queue_.empty()) {
    writing_ = false;
    return;
  }
  writing_ = true;
  uint64_t gen = gen_;
  asio::async_write(socket_, asio::buffer(write_queue_.front().bytes),
                    [this, gen](boost::system::error_code ec, size_t) {
                      if (gen != gen_) return;
                      if (ec) return ConnectionLost(gen, "write failed");
                      last_send_ = SteadyClock::now();
                      Frame done = std::move(write_queue_.front());
                      write_queue_.pop_front();
                      if (opts_.drop_after_send && done.op != 0 &&
                          opts_.drop_after_send(done.op, done.path))
                        return ConnectionLost(gen, "dropped by test hook");
                      WriteNext();
                    });
}

// ---------------------------------------------------------------- timers

// One periodic tick drives pings, the read timeout and the expiry of queued calls.
void Client::Impl::Tick() {
  if (phase_ == Phase::kDead || phase_ == Phase::kClosing) return;
  auto now = SteadyClock::now();
  if (phase_ == Phase::kConnected) {
    milliseconds t(timeout_ms_);
    if (now - last_recv_ > t * 2 / 3) {
      ConnectionLost(gen_, "read timeout");  // the server is gone or the network is
    } else if (now - last_send_ >= t / 3) {
      jute::Request ping{jute::kPingXid, jute::OpCode::kPing, {}};
      Send({RequestFrame(ping), 0, {}});
      last_send_ = now;
    }
  } else {
    ExpireQueued();
    if (SessionCertainlyExpired(now)) SessionExpired();
  }
  auto period = std::clamp<milliseconds>(milliseconds(timeout_ms_ ? timeout_ms_ : 3000) / 10,
                                         milliseconds(20), milliseconds(500));
  tick_timer_.expires_after(period);
  tick_timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) Tick();
  });
}

// Disconnected for longer than the session timeout: the server has expired the session (or
// lost it, e.g. a restarted in-memory server that refuses our lastZxidSeen forever). Like
// Curator, declare it expired locally so that lock holders learn it and a new session starts.
bool Client::Impl::SessionCertainlyExpired(SteadyClock::time_point now) const {
  std::lock_guard lock(mu_);
  return ever_connected_ && state_ == SessionState::kSuspended &&
         now - disconnected_at_ > milliseconds(timeout_ms_);
}

// Calls that waited a whole session timeout for a connection fail rather than hang.
void Client::Impl::ExpireQueued() {
  auto now = SteadyClock::now();
  while (!outgoing_.empty() && now - outgoing_.front().queued_at > opts_.session_timeout) {
    auto call = std::move(outgoing_.front());
    outgoing_.pop_front();
    call.on_reply(Error::kConnectionLoss, {});
  }
}

void Client::Impl::FailAll(std::deque<Call>& q, Error e) {
  std::deque<Call> calls;
  calls.swap(q);
  for (auto& c : calls) c.on_reply(e, {});
}

// ---------------------------------------------------------------- watches, auth

void Client::Impl::RemoveLocalWatches(const std::string& path, WatcherType type) {
  for (auto& [w, ev] : watches_.Remove(path, type)) {
    WatchEvent e{ev, KeeperState::kSyncConnected, path};
    Post([w, e] { w(e); });
  }
}

bool Client::Impl::HasLocalWatch(const std::string& path, WatcherType type) const {
  return watches_.Has(path, type);
}

void Client::Impl::AddAuth(std::string scheme, std::string auth,
                           std::function<void(Error)> done) {
  asio::post(io_, [this, scheme = std::move(scheme), auth = std::move(auth),
                   done = std::move(done)]() mutable {
    auth_.push_back({scheme, auth});  // re-sent after every reconnect
    if (phase_ != Phase::kConnected) {
      // Sent with the session setup once connected; report success then is not tracked.
      return Post([done] { done(Error::kOk); });
    }
    jute::Request r{jute::kAuthXid, jute::OpCode::kAuth, jute::AuthPacket{0, scheme, auth}};
    auth_pending_.push_back(std::move(done));
    Send({RequestFrame(r), static_cast<int32_t>(jute::OpCode::kAuth), {}});
  });
}

// ---------------------------------------------------------------- closing

void Client::Impl::Close() {
  {
    std::lock_guard lock(mu_);
    if (closed_) return;
    closed_ = true;
  }
  if (io_thread_.joinable()) {
    std::promise<void> done;
    auto fut = done.get_future();
    asio::post(io_, [this, &done] {
      on_closed_ = [&done] { done.set_value(); };
      if (phase_ != Phase::kConnected) return FinishClose();
      phase_ = Phase::kClosing;
      // closeSession ends the session now instead of after the timeout, so our ephemerals
      // (locks, leadership) are released immediately.
      Call c;
      c.req = jute::Request{0, jute::OpCode::kCloseSession, {}};
      c.on_reply = [this](Error, std::string_view) { FinishClose(); };
      SendCall(std::move(c));
      close_timer_.expires_after(milliseconds(2000));
      close_timer_.async_wait([this](boost::system::error_code ec) {
        if (!ec) FinishClose();
      });
    });
    fut.wait();
    work_.reset();
    io_.stop();
    io_thread_.join();
  }
  if (callbacks_) callbacks_->Stop();
}

void Client::Impl::FinishClose() {
  if (!on_closed_) return;  // already finished
  phase_ = Phase::kDead;
  ++gen_;
  boost::system::error_code ignored;
  socket_.close(ignored);
  for (auto* t : {&connect_timer_, &reconnect_timer_, &tick_timer_, &close_timer_}) t->cancel();
  FailAll(pending_, Error::kClosing);
  FailAll(outgoing_, Error::kClosing);
  watches_.TakeAll();
  SetState(SessionState::kClosed);
  auto done = std::move(on_closed_);
  on_closed_ = nullptr;
  done();
}

}  // namespace caucus
