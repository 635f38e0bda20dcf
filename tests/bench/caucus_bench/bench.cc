// caucus-bench: a load generator for servers speaking the ZooKeeper client protocol.
//
// Design: T I/O threads, each with its own io_context and its own sessions (round-robin), so
// no locks on the request path. A session keeps up to --outstanding requests in flight; new
// requests are appended to one output buffer while the previous write is in flight, so a burst
// of requests costs one write. Replies come back in request order (ZooKeeper's per-session FIFO
// guarantee), which the session checks. Statistics are per thread and merged at the end. The
// main thread only drives the phases: connect, setup, warmup, measure, drain, close.
#include <utility>  // must precede Asio: Boost 1.74 awaitable.hpp lacks it under C++20

#include <boost/asio.hpp>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "proto/jute/archive.h"
#include "proto/jute/errors.h"
#include "proto/jute/framing.h"
#include "proto/jute/opcodes.h"
#include "proto/jute/records.h"
#include "proto/jute/requests.h"
#include "tests/bench/caucus_bench/histogram.h"
#include "tests/bench/caucus_bench/options.h"

namespace caucus::bench {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using jute::OpCode;

constexpr int64_t kNever = std::numeric_limits<int64_t>::max();
constexpr int32_t kMaxFrame = 64 * 1024 * 1024;
constexpr int32_t kBadReply = 1;  // pseudo error code: a reply of the wrong shape

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

double CpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// A counter that worker threads bump and the main thread waits on. Adding is one atomic
// increment; the mutex is taken only when the waited-for target is reached.
class Gauge {
 public:
  void Add(int64_t n = 1) {
    int64_t v = v_.fetch_add(n) + n;
    if (v >= target_.load()) {
      std::lock_guard<std::mutex> l(m_);
      cv_.notify_all();
    }
  }
  int64_t Get() const { return v_.load(); }
  void Reset() { v_.store(0); }
  bool WaitFor(int64_t target, double timeout_s) {
    std::unique_lock<std::mutex> l(m_);
    target_.store(target);
    bool ok = cv_.wait_for(l, std::chrono::duration<double>(timeout_s),
                           [&] { return v_.load() >= target; });
    target_.store(kNever);
    return ok;
  }

 private:
  std::atomic<int64_t> v_{0};
  std::atomic<int64_t> target_{kNever};
  std::mutex m_;
  std::condition_variable cv_;
};

enum Phase : int { kIdle, kSetup, kWarmup, kMeasure, kStop };

// What a request in flight is for.
enum class Kind : uint8_t { kOp, kBaseCreate, kSetupCreate, kArm, kFanWrite, kClose, kMode, kSyncPre };

struct Pending {
  int32_t xid;
  Op op;
  Kind kind;
  bool measured;
  int64_t t_send;
  uint64_t aux;  // create: sequence number of the created znode
};

// Everything the threads share. Written by the main thread before the workers start, or atomic.
struct Shared {
  const Options& opt;
  std::string value;
  std::string keys_dir, created_dir, watch_path, run_tag;
  std::array<uint32_t, kOpCount> cumulative{};
  uint32_t total_weight = 0;

  std::atomic<int> phase{kIdle};
  std::atomic<int64_t> measure_start{kNever};
  std::atomic<int64_t> measure_stop{kNever};
  std::atomic<uint64_t> issued{0};            // measured ops issued (for --ops)
  std::atomic<uint64_t> completed{0};         // measured ops completed (for --ops)
  std::atomic<uint64_t> next_key{0};          // setup
  std::atomic<int64_t> inflight{0};           // all sessions
  std::atomic<int> dead_sessions{0};
  Gauge connected, base_done, setup_done, ops_done, armed, notified, write_acked, closed;
  std::atomic<int64_t> fan_t0{0};
  std::vector<int64_t> arrival;               // fan-out: per watcher, written by its thread
  std::mutex msg_mu;
  std::string first_failure;

  explicit Shared(const Options& o) : opt(o) {}
};

struct Stats {
  std::array<Histogram, kOpCount> hist;
  std::map<int32_t, uint64_t> errors;        // measured ops
  std::map<int32_t, uint64_t> setup_errors;  // setup (NodeExists excluded)
  uint64_t ops = 0;
  int64_t last_completion = 0;
};

class Worker;

class Session {
 public:
  Session(Worker& w, Shared& sh, Stats& st, int id, tcp::endpoint ep, uint64_t seed);

  void Start();
  void Kick();
  void StartBase();
  void Arm();
  void FanWrite();
  void SendClose();
  void Close();
  void MaybePing(int64_t now);

  int id() const { return id_; }
  int64_t last_created_ns() const { return last_created_ns_; }
  uint64_t last_created_seq() const { return last_created_seq_; }
  std::string CreatedPath(uint64_t seq) const {
    return sh_.created_dir + sh_.run_tag + "-" + std::to_string(id_) + "-" + std::to_string(seq);
  }

 private:
  void OnRead(const boost::system::error_code& ec, size_t n);
  void StartRead();
  void Handle(std::string_view payload);
  void OnReply(const Pending& p, int32_t err, int64_t now);
  void SendReadMode();
  void Flush();
  void Fail(const std::string& what);
  size_t Begin(OpCode op, int32_t xid);
  void End(size_t at) { jute::OutArchive(out_).PatchLength(at); }
  void Track(Op op, Kind kind, int32_t xid, int64_t now, uint64_t aux = 0);
  bool IssueSetupCreate();
  bool IssueOp();
  void KeyPath(std::string& out, uint64_t k) const;
  void SendCreate(const std::string& path, Kind kind, Op op, uint64_t aux);

  Shared& sh_;
  Stats& st_;
  const Options& opt_;
  int id_;
  tcp::endpoint ep_;
  tcp::socket sock_;
  std::mt19937_64 rng_;

  bool handshake_done_ = false, dead_ = false, closing_ = false, close_counted_ = false;
  bool writing_ = false;
  std::string out_, wbuf_;
  std::vector<char> in_;
  size_t in_len_ = 0;
  std::deque<Pending> inflight_;
  int32_t next_xid_ = 1;
  int64_t last_send_ns_ = 0;

  uint64_t create_seq_ = 0;
  std::deque<uint64_t> created_;  // for delete, only when the mix deletes
  int64_t last_created_ns_ = 0;
  uint64_t last_created_seq_ = 0;

  // Reused request records: no allocation per request once the strings have grown.
  jute::CreateRequest create_req_;
  jute::SetDataRequest set_req_;
  jute::PathWatchRequest pw_req_;
  jute::DeleteRequest del_req_;
  jute::Request multi_req_;
  std::string path_;
};

class Worker {
 public:
  Worker() : ioc_(1), guard_(asio::make_work_guard(ioc_)), ping_(ioc_) {}
  asio::io_context& ioc() { return ioc_; }
  std::vector<std::unique_ptr<Session>>& sessions() { return sessions_; }
  Stats& stats() { return stats_; }

  void Run() {
    SchedulePing();
    thread_ = std::thread([this] { ioc_.run(); });
  }
  template <typename F>
  void Post(F f) {
    asio::post(ioc_, std::move(f));
  }
  void ForEach(void (Session::*fn)()) {
    Post([this, fn] {
      for (auto& s : sessions_) ((*s).*fn)();
    });
  }
  void Stop() {
    Post([this] {
      ping_.cancel();
      stopping_ = true;
      for (auto& s : sessions_) s->Close();
    });
    guard_.reset();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void SchedulePing() {
    ping_.expires_after(std::chrono::seconds(1));
    ping_.async_wait([this](const boost::system::error_code& ec) {
      if (ec || stopping_) return;
      int64_t now = NowNs();
      for (auto& s : sessions_) s->MaybePing(now);
      SchedulePing();
    });
  }

  asio::io_context ioc_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_;
  asio::steady_timer ping_;
  std::vector<std::unique_ptr<Session>> sessions_;
  Stats stats_;
  std::thread thread_;
  bool stopping_ = false;
};

Session::Session(Worker& w, Shared& sh, Stats& st, int id, tcp::endpoint ep, uint64_t seed)
    : sh_(sh), st_(st), opt_(sh.opt), id_(id), ep_(ep), sock_(w.ioc()), rng_(seed),
      in_(64 * 1024) {
  create_req_.data = sh.value;
  create_req_.acl = {jute::Acl{jute::perms::kAll, jute::Id{"world", "anyone"}}};
  create_req_.flags = 0;
  set_req_.data = sh.value;
  set_req_.version = -1;
  del_req_.version = -1;
  jute::MultiRequest m;
  for (int i = 0; i < opt_.multi_size; ++i) {
    m.ops.push_back(jute::MultiOp{OpCode::kSetData, jute::SetDataRequest{"", sh.value, -1}});
  }
  multi_req_.op = OpCode::kMulti;
  multi_req_.body = std::move(m);
}

void Session::Fail(const std::string& what) {
  if (dead_) return;
  dead_ = true;
  boost::system::error_code ignored;
  sock_.close(ignored);
  if (closing_) {
    if (!close_counted_) {
      close_counted_ = true;
      sh_.closed.Add(1);
    }
    sh_.inflight.fetch_sub(static_cast<int64_t>(inflight_.size()));
    inflight_.clear();
    return;
  }
  {
    std::lock_guard<std::mutex> l(sh_.msg_mu);
    if (sh_.first_failure.empty()) sh_.first_failure = "session " + std::to_string(id_) + ": " + what;
  }
  sh_.dead_sessions.fetch_add(1);
  for (const auto& p : inflight_) {
    if (p.kind == Kind::kOp && p.measured) st_.errors[static_cast<int32_t>(jute::Error::kConnectionLoss)]++;
  }
  sh_.inflight.fetch_sub(static_cast<int64_t>(inflight_.size()));
  inflight_.clear();
  if (!handshake_done_) sh_.connected.Add(1);  // the main thread counts failures separately
}

void Session::Start() {
  sock_.async_connect(ep_, [this](const boost::system::error_code& ec) {
    if (ec) return Fail("connect: " + ec.message());
    sock_.set_option(tcp::no_delay(true));
    jute::ConnectRequest req;
    req.protocol_version = 0;
    req.timeout_ms = opt_.session_timeout_ms;
    req.passwd.assign(16, '\0');
    req.has_read_only = true;
    jute::OutArchive a(out_);
    size_t at = a.BeginLength();
    req.Write(a);
    a.PatchLength(at);
    last_send_ns_ = NowNs();
    Flush();
    StartRead();
  });
}

void Session::StartRead() {
  if (in_len_ == in_.size()) in_.resize(in_.size() * 2);
  sock_.async_read_some(asio::buffer(in_.data() + in_len_, in_.size() - in_len_),
                        [this](const boost::system::error_code& ec, size_t n) { OnRead(ec, n); });
}

void Session::OnRead(const boost::system::error_code& ec, size_t n) {
  if (ec) return Fail(ec == asio::error::eof ? "server closed the connection" : "read: " + ec.message());
  in_len_ += n;
  size_t off = 0;
  while (!dead_) {
    auto fr = jute::NextFrame(std::string_view(in_.data() + off, in_len_ - off), kMaxFrame);
    if (fr.status == jute::FrameStatus::kNeedMore) break;
    if (fr.status == jute::FrameStatus::kBadLength) return Fail("bad frame length");
    Handle(fr.payload);
    off += fr.consumed;
  }
  if (dead_) return;
  if (off > 0) {
    std::copy(in_.begin() + static_cast<ptrdiff_t>(off), in_.begin() + static_cast<ptrdiff_t>(in_len_), in_.begin());
    in_len_ -= off;
  }
  Kick();
  StartRead();
}

void Session::Handle(std::string_view payload) {
  int64_t now = NowNs();
  jute::InArchive a(payload);
  if (!handshake_done_) {
    jute::ConnectResponse resp;
    if (!resp.Read(a) || resp.session_id == 0) return Fail("session refused by the server");
    handshake_done_ = true;
    SendReadMode();
    sh_.connected.Add(1);
    return;
  }
  jute::ReplyHeader h;
  if (!h.Read(a)) return Fail("short reply header");
  if (h.xid == jute::kNotificationXid) {
    jute::WatcherEvent ev;
    if (!ev.Read(a)) return Fail("bad notification");
    if (opt_.fanout && id_ > 0 && ev.type == static_cast<int32_t>(jute::EventType::kNodeDataChanged) &&
        ev.path == sh_.watch_path) {
      sh_.arrival[static_cast<size_t>(id_ - 1)] = now;
      sh_.notified.Add(1);
    }
    return;
  }
  if (h.xid == jute::kPingXid) return;
  if (inflight_.empty() || inflight_.front().xid != h.xid) {
    return Fail("reply xid " + std::to_string(h.xid) + " out of order");
  }
  Pending p = inflight_.front();
  inflight_.pop_front();
  sh_.inflight.fetch_sub(1, std::memory_order_relaxed);
  // Cheap sanity check that the server did the work: a successful getData of a key returns
  // the key's value (all keys hold --value-size bytes) and a 68-byte Stat.
  if (p.kind == Kind::kOp && p.op == Op::kGet && h.err == 0 && a.remaining() != 4 + opt_.value_size + 68) {
    OnReply(p, kBadReply, now);
    return;
  }
  OnReply(p, h.err, now);
}

void Session::OnReply(const Pending& p, int32_t err, int64_t now) {
  switch (p.kind) {
    case Kind::kOp: {
      if (p.op == Op::kCreate && err == 0 && now > last_created_ns_) {
        last_created_ns_ = now;
        last_created_seq_ = p.aux;
      }
      if (!p.measured || now > sh_.measure_stop.load(std::memory_order_relaxed)) return;
      st_.hist[static_cast<size_t>(p.op)].Record(static_cast<uint64_t>(now - p.t_send));
      if (err != 0) st_.errors[err]++;
      st_.ops++;
      st_.last_completion = std::max(st_.last_completion, now);
      if (opt_.ops > 0 && sh_.completed.fetch_add(1) + 1 == opt_.ops) sh_.ops_done.Add(1);
      return;
    }
    case Kind::kBaseCreate:
      if (err != 0 && err != static_cast<int32_t>(jute::Error::kNodeExists)) st_.setup_errors[err]++;
      sh_.base_done.Add(1);
      return;
    case Kind::kSetupCreate:
      if (err != 0 && err != static_cast<int32_t>(jute::Error::kNodeExists)) st_.setup_errors[err]++;
      sh_.setup_done.Add(1);
      return;
    case Kind::kArm:
      if (err != 0) return Fail("getData with watch failed: " + std::string(jute::ErrorName(static_cast<jute::Error>(err))));
      sh_.armed.Add(1);
      return;
    case Kind::kFanWrite:
      st_.hist[static_cast<size_t>(Op::kSet)].Record(static_cast<uint64_t>(now - p.t_send));
      if (err != 0) st_.errors[err]++;
      sh_.write_acked.Add(1);
      return;
    case Kind::kClose:
      Fail("closed");
      return;
    case Kind::kMode:
      if (err != 0) {
        Fail("the server refused read mode '" + opt_.read_consistency + "' (" +
             jute::ErrorName(static_cast<jute::Error>(err)) + "): it lacks Caucus' read modes");
      }
      return;
    case Kind::kSyncPre:
      if (err != 0) st_.errors[err]++;
      return;
  }
}

// quorum/leader: Caucus' per-connection read mode (opcode 5001, docs/protocol-extensions.md),
// sent first, so every read of the session is served in that mode.
void Session::SendReadMode() {
  int32_t mode = opt_.read_consistency == "quorum" ? 1 : opt_.read_consistency == "leader" ? 2 : 0;
  if (mode == 0) return;
  int32_t xid = next_xid_++;
  size_t at = Begin(OpCode::kCaucusSetReadMode, xid);
  jute::OutArchive a(out_);
  a.Int(mode);
  End(at);
  Track(Op::kGet, Kind::kMode, xid, NowNs(), 0);
  Flush();
}

size_t Session::Begin(OpCode op, int32_t xid) {
  jute::OutArchive a(out_);
  size_t at = a.BeginLength();
  jute::RequestHeader{xid, static_cast<int32_t>(op)}.Write(a);
  return at;
}

void Session::Track(Op op, Kind kind, int32_t xid, int64_t now, uint64_t aux) {
  bool measured = kind == Kind::kOp && now >= sh_.measure_start.load(std::memory_order_relaxed);
  inflight_.push_back(Pending{xid, op, kind, measured, now, aux});
  sh_.inflight.fetch_add(1, std::memory_order_relaxed);
  last_send_ns_ = now;
}

void Session::KeyPath(std::string& out, uint64_t k) const {
  out.assign(sh_.keys_dir);
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, k);
  out.append(buf, r.ptr);
}

void Session::SendCreate(const std::string& path, Kind kind, Op op, uint64_t aux) {
  int64_t now = NowNs();
  int32_t xid = next_xid_++;
  size_t at = Begin(OpCode::kCreate, xid);
  create_req_.path = path;
  jute::OutArchive a(out_);
  create_req_.Write(a, false);
  End(at);
  Track(op, kind, xid, now, aux);
}

void Session::StartBase() {
  if (dead_) return;
  const auto& p = opt_.prefix;
  std::vector<std::string> paths;
  // Every ancestor of the prefix, then the benchmark's own folders.
  for (size_t i = 1; i <= p.size(); ++i) {
    if (i == p.size() || p[i] == '/') paths.push_back(p.substr(0, i));
  }
  if (opt_.fanout) {
    paths.push_back(sh_.watch_path);
  } else {
    paths.push_back(p + "/k");
    paths.push_back(p + "/c");
  }
  for (const auto& path : paths) SendCreate(path, Kind::kBaseCreate, Op::kCreate, 0);
  Flush();
}

bool Session::IssueSetupCreate() {
  uint64_t k = sh_.next_key.fetch_add(1, std::memory_order_relaxed);
  if (k >= opt_.keys) return false;
  KeyPath(path_, k);
  SendCreate(path_, Kind::kSetupCreate, Op::kCreate, 0);
  return true;
}

bool Session::IssueOp() {
  int64_t now = NowNs();
  if (opt_.ops > 0 && now >= sh_.measure_start.load(std::memory_order_relaxed) &&
      sh_.issued.fetch_add(1, std::memory_order_relaxed) >= opt_.ops) {
    return false;
  }
  uint32_t r = static_cast<uint32_t>(rng_() % sh_.total_weight);
  Op op = Op::kGet;
  for (int i = 0; i < kOpCount; ++i) {
    if (r < sh_.cumulative[static_cast<size_t>(i)]) {
      op = static_cast<Op>(i);
      break;
    }
  }
  if (op == Op::kDelete && created_.empty()) op = Op::kCreate;
  auto random_key = [&](std::string& out) { KeyPath(out, rng_() % opt_.keys); };
  int32_t xid = next_xid_++;
  jute::OutArchive a(out_);
  uint64_t aux = 0;
  size_t at = 0;
  switch (op) {
    case Op::kCreate: {
      at = Begin(OpCode::kCreate, xid);
      aux = create_seq_++;
      create_req_.path.assign(sh_.created_dir);
      create_req_.path.append(sh_.run_tag);
      create_req_.path.push_back('-');
      create_req_.path.append(std::to_string(id_));
      create_req_.path.push_back('-');
      create_req_.path.append(std::to_string(aux));
      create_req_.Write(a, false);
      if (opt_.mix[static_cast<size_t>(Op::kDelete)] > 0) created_.push_back(aux);
      break;
    }
    case Op::kDelete: {
      at = Begin(OpCode::kDelete, xid);
      del_req_.path = CreatedPath(created_.front());
      created_.pop_front();
      del_req_.Write(a);
      break;
    }
    case Op::kSet:
      at = Begin(OpCode::kSetData, xid);
      random_key(set_req_.path);
      set_req_.Write(a);
      break;
    case Op::kGet:
    case Op::kExists:
    case Op::kChildren:
      random_key(pw_req_.path);
      if (opt_.read_consistency == "sync") {
        // ZooKeeper's recipe for a fresher read: sync the path, then read it (pipelined).
        at = Begin(OpCode::kSync, xid);
        a.String(pw_req_.path);
        End(at);
        Track(op, Kind::kSyncPre, xid, now, 0);
        xid = next_xid_++;
      }
      at = Begin(op == Op::kGet ? OpCode::kGetData : op == Op::kExists ? OpCode::kExists : OpCode::kGetChildren, xid);
      pw_req_.watch = false;
      pw_req_.Write(a);
      break;
    case Op::kMulti: {
      at = Begin(OpCode::kMulti, xid);
      for (auto& mop : std::get<jute::MultiRequest>(multi_req_.body).ops) {
        random_key(std::get<jute::SetDataRequest>(mop.body).path);
      }
      jute::EncodeRequestBody(multi_req_, a);
      break;
    }
    case Op::kCount:
      break;
  }
  End(at);
  Track(op, Kind::kOp, xid, now, aux);
  return true;
}

void Session::Kick() {
  if (!handshake_done_ || dead_ || closing_) return;
  int phase = sh_.phase.load(std::memory_order_relaxed);
  while (static_cast<int>(inflight_.size()) < opt_.outstanding) {
    if (phase == kSetup) {
      if (!IssueSetupCreate()) break;
    } else if (!opt_.fanout && (phase == kWarmup || phase == kMeasure)) {
      if (!IssueOp()) break;
    } else {
      break;
    }
  }
  Flush();
}

void Session::Arm() {
  if (id_ == 0 || dead_) return;
  int32_t xid = next_xid_++;
  size_t at = Begin(OpCode::kGetData, xid);
  pw_req_.path = sh_.watch_path;
  pw_req_.watch = true;
  jute::OutArchive a(out_);
  pw_req_.Write(a);
  End(at);
  Track(Op::kGet, Kind::kArm, xid, NowNs());
  Flush();
}

void Session::FanWrite() {
  if (id_ != 0 || dead_) return;
  int64_t now = NowNs();
  sh_.fan_t0.store(now);
  int32_t xid = next_xid_++;
  size_t at = Begin(OpCode::kSetData, xid);
  set_req_.path = sh_.watch_path;
  jute::OutArchive a(out_);
  set_req_.Write(a);
  End(at);
  Track(Op::kSet, Kind::kFanWrite, xid, now);
  Flush();
}

void Session::SendClose() {
  if (dead_ || !handshake_done_) {
    if (!close_counted_) {
      close_counted_ = true;
      sh_.closed.Add(1);
    }
    return;
  }
  closing_ = true;  // the server closes the connection after its reply
  int32_t xid = next_xid_++;
  size_t at = Begin(OpCode::kCloseSession, xid);
  End(at);
  Track(Op::kGet, Kind::kClose, xid, NowNs());
  Flush();
}

void Session::Close() {
  closing_ = true;
  boost::system::error_code ignored;
  sock_.close(ignored);
}

void Session::MaybePing(int64_t now) {
  if (!handshake_done_ || dead_ || closing_) return;
  if (now - last_send_ns_ < static_cast<int64_t>(opt_.session_timeout_ms) * 1000000 / 3) return;
  size_t at = Begin(OpCode::kPing, jute::kPingXid);
  End(at);
  last_send_ns_ = now;
  Flush();
}

void Session::Flush() {
  if (writing_ || out_.empty() || dead_) return;
  std::swap(out_, wbuf_);
  out_.clear();
  writing_ = true;
  asio::async_write(sock_, asio::buffer(wbuf_), [this](const boost::system::error_code& ec, size_t) {
    writing_ = false;
    if (ec) return Fail("write: " + ec.message());
    Flush();
  });
}

// ---------------------------------------------------------------------------------- report

std::string Num(double v, int decimals = 1) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string LatencyJson(const Histogram& h) {
  auto us = [](uint64_t ns) { return Num(static_cast<double>(ns) / 1000.0); };
  return "{\"count\":" + std::to_string(h.count()) + ",\"mean\":" + Num(h.mean() / 1000.0) +
         ",\"p50\":" + us(h.Percentile(50)) + ",\"p90\":" + us(h.Percentile(90)) +
         ",\"p99\":" + us(h.Percentile(99)) + ",\"p999\":" + us(h.Percentile(99.9)) +
         ",\"max\":" + us(h.max()) + "}";
}

std::string LatencyLine(const char* name, const Histogram& h) {
  auto us = [](uint64_t ns) { return Num(static_cast<double>(ns) / 1000.0); };
  char buf[256];
  std::snprintf(buf, sizeof buf, "  %-10s n=%-9llu p50=%-9s p90=%-9s p99=%-9s p99.9=%-9s max=%s us\n", name,
                static_cast<unsigned long long>(h.count()), us(h.Percentile(50)).c_str(),
                us(h.Percentile(90)).c_str(), us(h.Percentile(99)).c_str(), us(h.Percentile(99.9)).c_str(),
                us(h.max()).c_str());
  return buf;
}

std::string ErrorKey(int32_t code) {
  if (code == kBadReply) return "BADREPLY";
  const char* n = jute::ErrorName(static_cast<jute::Error>(code));
  return n ? std::string(n) : std::to_string(code);
}

std::string ErrorsJson(const std::map<int32_t, uint64_t>& m) {
  std::string out = "{";
  for (const auto& [code, n] : m) {
    if (out.size() > 1) out += ",";
    out += JsonString(ErrorKey(code)) + ":" + std::to_string(n);
  }
  return out + "}";
}

uint64_t Sum(const std::map<int32_t, uint64_t>& m) {
  uint64_t s = 0;
  for (const auto& [c, n] : m) s += n;
  return s;
}

// ---------------------------------------------------------------------------------- main

int Run(const Options& opt) {
  Shared sh(opt);
  sh.value.assign(opt.value_size, 'x');
  for (size_t i = 0; i < sh.value.size(); ++i) sh.value[i] = static_cast<char>('a' + i % 26);
  sh.keys_dir = opt.prefix + "/k/";
  sh.created_dir = opt.prefix + "/c/";
  sh.watch_path = opt.prefix + "/w";
  {
    char tag[16];
    std::snprintf(tag, sizeof tag, "%04x",
                  static_cast<unsigned>((static_cast<uint64_t>(NowNs()) ^ static_cast<uint64_t>(getpid()) * 2654435761u) & 0xffff));
    sh.run_tag = tag;
  }
  uint32_t acc = 0;
  for (int i = 0; i < kOpCount; ++i) {
    acc += opt.mix[static_cast<size_t>(i)];
    sh.cumulative[static_cast<size_t>(i)] = acc;
  }
  sh.total_weight = acc;

  auto log = [&](const std::string& s) {
    if (!opt.quiet) std::fprintf(stderr, "caucus-bench: %s\n", s.c_str());
  };
  auto fatal = [&](const std::string& s) {
    std::string msg = s;
    {
      std::lock_guard<std::mutex> l(sh.msg_mu);
      if (!sh.first_failure.empty()) msg += " (" + sh.first_failure + ")";
    }
    std::fprintf(stderr, "caucus-bench: %s\n", msg.c_str());
    std::printf("{\"tool\":\"caucus-bench\",\"ok\":false,\"error\":%s}\n", JsonString(msg).c_str());
    std::fflush(stdout);
    std::_Exit(1);  // sockets and threads die with the process
  };

  // Resolve the servers.
  std::vector<tcp::endpoint> eps;
  {
    asio::io_context ioc;
    tcp::resolver res(ioc);
    for (const auto& [host, port] : opt.hosts) {
      boost::system::error_code ec;
      auto r = res.resolve(host, std::to_string(port), ec);
      if (ec || r.empty()) fatal("cannot resolve " + host + ": " + ec.message());
      eps.push_back(r.begin()->endpoint());
    }
  }

  int n_sessions = opt.fanout ? opt.watchers + 1 : opt.sessions;
  if (opt.fanout) sh.arrival.assign(static_cast<size_t>(opt.watchers), 0);
  std::vector<std::unique_ptr<Worker>> workers;
  for (int t = 0; t < opt.threads; ++t) workers.push_back(std::make_unique<Worker>());
  std::vector<Session*> all;
  for (int i = 0; i < n_sessions; ++i) {
    auto& w = *workers[static_cast<size_t>(i % opt.threads)];
    w.sessions().push_back(std::make_unique<Session>(w, sh, w.stats(), i, eps[static_cast<size_t>(i) % eps.size()],
                                                     opt.seed * 1000003 + static_cast<uint64_t>(i)));
    all.push_back(w.sessions().back().get());
  }

  int64_t t_begin = NowNs();
  for (auto& w : workers) w->Run();
  // Connect in waves: a burst of thousands of SYNs overflows a small accept backlog (Java's
  // default is 50) and the kernel's SYN retries then take seconds.
  constexpr int kWave = 32;
  for (int first = 0; first < n_sessions; first += kWave) {
    int last = std::min(n_sessions, first + kWave);
    for (int i = first; i < last; ++i) {
      Session* s = all[static_cast<size_t>(i)];
      workers[static_cast<size_t>(i % opt.threads)]->Post([s] { s->Start(); });
    }
    if (!sh.connected.WaitFor(last, 60)) fatal("timed out connecting sessions");
    if (sh.dead_sessions.load() > 0) break;
  }
  if (sh.dead_sessions.load() > 0) fatal(std::to_string(sh.dead_sessions.load()) + " sessions failed to connect");
  double connect_s = static_cast<double>(NowNs() - t_begin) / 1e9;
  log("connected " + std::to_string(n_sessions) + " sessions in " + Num(connect_s, 3) + " s");

  // Setup: the prefix and its folders on session 0 (in order), then the keys on all sessions.
  int64_t t_setup = NowNs();
  double setup_s = 0;
  if (!opt.skip_setup) {
    size_t n_base = 0;
    for (size_t i = 1; i <= opt.prefix.size(); ++i) {
      if (i == opt.prefix.size() || opt.prefix[i] == '/') ++n_base;
    }
    n_base += opt.fanout ? 1 : 2;
    Session* s0 = all[0];
    workers[0]->Post([s0] { s0->StartBase(); });
    if (!sh.base_done.WaitFor(static_cast<int64_t>(n_base), 60)) fatal("setup of the prefix timed out");
    if (!opt.fanout && opt.keys > 0) {
      sh.phase.store(kSetup);
      for (auto& w : workers) w->ForEach(&Session::Kick);
      int64_t last = -1;
      while (!sh.setup_done.WaitFor(static_cast<int64_t>(opt.keys), 30)) {
        int64_t now = sh.setup_done.Get();
        if (now == last || sh.dead_sessions.load() > 0) fatal("setup of the keys stalled");
        last = now;
      }
    }
    setup_s = static_cast<double>(NowNs() - t_setup) / 1e9;
    log("setup done in " + Num(setup_s, 3) + " s");
  }

  double cpu0 = 0, cpu1 = 0;
  int64_t start = 0, end = 0;
  Histogram notify_hist, all_hist;
  uint64_t rounds = 0, missed = 0;

  if (!opt.fanout) {
    if (opt.warmup_s > 0) {
      sh.phase.store(kWarmup);
      for (auto& w : workers) w->ForEach(&Session::Kick);
      std::this_thread::sleep_for(std::chrono::duration<double>(opt.warmup_s));
    }
    cpu0 = CpuSeconds();
    start = NowNs();
    sh.measure_start.store(start);
    int prev = sh.phase.exchange(kMeasure);
    if (prev != kWarmup) {
      for (auto& w : workers) w->ForEach(&Session::Kick);
    }
    if (opt.ops > 0) {
      double limit = opt.duration_s > 0 ? opt.duration_s : 1e9;
      bool done = sh.ops_done.WaitFor(1, limit);
      while (!done && opt.duration_s == 0) {
        if (sh.dead_sessions.load() > 0) fatal("sessions lost during the run");
        done = sh.ops_done.WaitFor(1, 1);
      }
      if (!done) {
        end = NowNs();
        sh.measure_stop.store(end);
      }
    } else {
      std::this_thread::sleep_until(std::chrono::steady_clock::time_point(
          std::chrono::nanoseconds(start + static_cast<int64_t>(opt.duration_s * 1e9))));
      end = NowNs();
      sh.measure_stop.store(end);
    }
    sh.phase.store(kStop);
    cpu1 = CpuSeconds();
    // Drain what is still in flight (not counted when it completes after the stop).
    int64_t drain_deadline = NowNs() + 30'000'000'000;
    while (sh.inflight.load() > 0 && NowNs() < drain_deadline && sh.dead_sessions.load() == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  } else {
    cpu0 = CpuSeconds();
    start = NowNs();
    int64_t deadline = opt.duration_s > 0 ? start + static_cast<int64_t>(opt.duration_s * 1e9) : kNever;
    uint64_t max_rounds = opt.ops > 0 ? opt.ops : std::numeric_limits<uint64_t>::max();
    Session* writer = all[0];
    while (rounds < max_rounds && NowNs() < deadline) {
      sh.armed.Reset();
      for (auto& w : workers) w->ForEach(&Session::Arm);
      if (!sh.armed.WaitFor(opt.watchers, 30)) fatal("arming the watches timed out");
      sh.notified.Reset();
      sh.write_acked.Reset();
      workers[0]->Post([writer] { writer->FanWrite(); });
      bool all_in = sh.notified.WaitFor(opt.watchers, 30);
      if (!sh.write_acked.WaitFor(1, 30)) fatal("the write was not acknowledged");
      if (!all_in) {
        missed += static_cast<uint64_t>(opt.watchers - sh.notified.Get());
        fatal("not every watcher was notified within 30 s");
      }
      int64_t t0 = sh.fan_t0.load();
      int64_t last = t0;
      for (int64_t a : sh.arrival) {
        notify_hist.Record(static_cast<uint64_t>(std::max<int64_t>(0, a - t0)));
        last = std::max(last, a);
      }
      all_hist.Record(static_cast<uint64_t>(last - t0));
      ++rounds;
    }
    end = NowNs();
    cpu1 = CpuSeconds();
  }

  // Close the sessions politely, then stop the threads.
  sh.phase.store(kStop);
  sh.closed.Reset();
  for (auto& w : workers) w->ForEach(&Session::SendClose);
  sh.closed.WaitFor(n_sessions, 5);
  for (auto& w : workers) w->Stop();

  // Merge.
  Stats total;
  Histogram overall;
  for (auto& w : workers) {
    auto& st = w->stats();
    for (int i = 0; i < kOpCount; ++i) total.hist[static_cast<size_t>(i)].Merge(st.hist[static_cast<size_t>(i)]);
    for (auto [c, n] : st.errors) total.errors[c] += n;
    for (auto [c, n] : st.setup_errors) total.setup_errors[c] += n;
    total.ops += st.ops;
    total.last_completion = std::max(total.last_completion, st.last_completion);
  }
  for (const auto& h : total.hist) overall.Merge(h);
  if (!opt.fanout && end == 0) end = total.last_completion;  // --ops reached
  double elapsed = std::max(1e-9, static_cast<double>(end - start) / 1e9);
  double cpu = cpu1 - cpu0;
  std::string last_created;
  {
    Session* best = nullptr;
    for (auto* s : all) {
      if (s->last_created_ns() > 0 && (!best || s->last_created_ns() > best->last_created_ns())) best = s;
    }
    if (best) last_created = best->CreatedPath(best->last_created_seq());
  }
  uint64_t ops = opt.fanout ? rounds : total.ops;
  double ops_per_s = static_cast<double>(ops) / elapsed;
  uint64_t errors = Sum(total.errors);
  long nproc = sysconf(_SC_NPROCESSORS_ONLN);

  // Human-readable summary.
  if (!opt.quiet) {
    std::string s;
    s += "caucus-bench " + opt.connect_string + (opt.fanout ? "  fan-out, " + std::to_string(opt.watchers) + " watchers"
                                                            : "  mix " + opt.mix_string) +
         "  sessions " + std::to_string(n_sessions) + " x outstanding " + std::to_string(opt.outstanding) +
         "  value " + std::to_string(opt.value_size) + " B  threads " + std::to_string(opt.threads) + "\n";
    s += "  " + std::to_string(ops) + (opt.fanout ? " rounds in " : " ops in ") + Num(elapsed, 3) + " s = " +
         Num(ops_per_s, 0) + (opt.fanout ? " rounds/s" : " ops/s") + ", errors " + std::to_string(errors) + "\n";
    if (opt.fanout) {
      s += LatencyLine("notify", notify_hist);
      s += LatencyLine("all", all_hist);
      s += LatencyLine("write-ack", total.hist[static_cast<size_t>(Op::kSet)]);
    } else {
      s += LatencyLine("all", overall);
      for (int i = 0; i < kOpCount; ++i) {
        if (total.hist[static_cast<size_t>(i)].count() > 0) {
          s += LatencyLine(OpName(static_cast<Op>(i)), total.hist[static_cast<size_t>(i)]);
        }
      }
    }
    for (auto [c, n] : total.errors) s += "  error " + ErrorKey(c) + ": " + std::to_string(n) + "\n";
    for (auto [c, n] : total.setup_errors) s += "  setup error " + ErrorKey(c) + ": " + std::to_string(n) + "\n";
    s += "  generator CPU " + Num(cpu / elapsed * 100, 0) + "% of one core (" + std::to_string(nproc) +
         " online)" + (cpu / elapsed > 0.9 ? "  <-- generator may be saturated, add --threads" : "") + "\n";
    if (sh.dead_sessions.load() > 0) s += "  lost sessions: " + std::to_string(sh.dead_sessions.load()) + "\n";
    std::fputs(s.c_str(), stdout);
  }

  // The JSON line.
  std::ostringstream j;
  j << "{\"tool\":\"caucus-bench\",\"ok\":" << (sh.dead_sessions.load() == 0 ? "true" : "false")
    << ",\"connect\":" << JsonString(opt.connect_string) << ",\"mode\":\"" << (opt.fanout ? "fanout" : "mix") << "\""
    << ",\"mix\":" << JsonString(opt.fanout ? "" : opt.mix_string) << ",\"sessions\":" << n_sessions
    << ",\"outstanding\":" << opt.outstanding << ",\"threads\":" << opt.threads
    << ",\"value_size\":" << opt.value_size << ",\"keys\":" << opt.keys << ",\"prefix\":" << JsonString(opt.prefix)
    << ",\"read_consistency\":" << JsonString(opt.read_consistency) << ",\"warmup_s\":" << Num(opt.warmup_s, 3)
    << ",\"connect_s\":" << Num(connect_s, 3) << ",\"setup_s\":" << Num(setup_s, 3)
    << ",\"elapsed_s\":" << Num(elapsed, 3) << ",\"ops\":" << ops << ",\"ops_per_s\":" << Num(ops_per_s, 1)
    << ",\"errors\":" << errors << ",\"errors_by_code\":" << ErrorsJson(total.errors)
    << ",\"setup_errors\":" << ErrorsJson(total.setup_errors) << ",\"lost_sessions\":" << sh.dead_sessions.load();
  if (opt.fanout) {
    j << ",\"fanout\":{\"watchers\":" << opt.watchers << ",\"rounds\":" << rounds << ",\"missed\":" << missed
      << ",\"notify_us\":" << LatencyJson(notify_hist) << ",\"all_us\":" << LatencyJson(all_hist)
      << ",\"write_ack_us\":" << LatencyJson(total.hist[static_cast<size_t>(Op::kSet)]) << "}";
    j << ",\"latency_us\":" << LatencyJson(all_hist);
  } else {
    j << ",\"latency_us\":" << LatencyJson(overall) << ",\"per_op\":{";
    bool first = true;
    for (int i = 0; i < kOpCount; ++i) {
      const auto& h = total.hist[static_cast<size_t>(i)];
      if (h.count() == 0) continue;
      if (!first) j << ",";
      first = false;
      j << "\"" << OpName(static_cast<Op>(i)) << "\":{\"ops\":" << h.count()
        << ",\"ops_per_s\":" << Num(static_cast<double>(h.count()) / elapsed, 1) << ",\"latency_us\":" << LatencyJson(h)
        << "}";
    }
    j << "}";
  }
  j << ",\"last_created\":" << JsonString(last_created) << ",\"cpu\":{\"seconds\":" << Num(cpu, 3)
    << ",\"cores\":" << Num(cpu / elapsed, 3) << ",\"percent_of_one_core\":" << Num(cpu / elapsed * 100, 1)
    << ",\"nproc\":" << nproc << "}}";
  std::printf("%s\n", j.str().c_str());
  std::fflush(stdout);
  if (!sh.first_failure.empty() && sh.dead_sessions.load() > 0) {
    std::fprintf(stderr, "caucus-bench: %s\n", sh.first_failure.c_str());
  }
  return sh.dead_sessions.load() == 0 ? 0 : 1;
}

}  // namespace
}  // namespace caucus::bench

int main(int argc, char** argv) {
  int code = 0;
  auto opt = caucus::bench::ParseOptions(argc, argv, code);
  if (!opt) return code;
  return caucus::bench::Run(*opt);
}
