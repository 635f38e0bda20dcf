#include "server/net/peer_transport.h"

#include <utility>  // must precede Asio: Boost 1.74 awaitable.hpp lacks it under C++20

#include <boost/asio.hpp>
#include <chrono>
#include <concepts>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "proto/jute/framing.h"
#include "server/base/log.h"
#include "server/zab/wire_codec.h"

namespace caucus::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

namespace {

// Hellos and notifications are a few dozen bytes; anything bigger before the hello is noise.
constexpr int32_t kMaxSmallFrame = 4 * 1024;
// SYNC carries a whole snapshot in one frame.
constexpr int32_t kMaxChannelFrame = 256 * 1024 * 1024;
constexpr size_t kReadChunk = 64 * 1024;
// Bounds how often a vote triggers a connect to a peer that is down.
constexpr auto kReconnectInterval = std::chrono::milliseconds(200);
// A dial (resolve + connect) or an inbound hello that takes longer is abandoned; without it a
// black-holed peer would hold the election connection in "connecting" for minutes.
constexpr auto kHandshakeTimeout = std::chrono::seconds(5);
// A peer that does not read its votes gets no more: newer votes supersede older ones anyway.
constexpr size_t kMaxElectionQueue = 64 * 1024;
// A learner that stops reading would otherwise grow the leader's memory without bound; failing
// the channel makes it resynchronise on a new one.
constexpr size_t kMaxChannelQueue = size_t{1} << 30;

std::string LengthPrefix(size_t n) {
  return {static_cast<char>((n >> 24) & 0xff), static_cast<char>((n >> 16) & 0xff),
          static_cast<char>((n >> 8) & 0xff), static_cast<char>(n & 0xff)};
}

std::string UnknownServer(zab::ServerId id) {
  return "hello from unknown server " + std::to_string(id);
}

enum class Kind { kElectionOut, kElectionIn, kChannelOut, kChannelIn };

const char* KindName(Kind k) {
  switch (k) {
    case Kind::kElectionOut: return "election connection to";
    case Kind::kElectionIn: return "election connection from";
    case Kind::kChannelOut: return "channel to";
    case Kind::kChannelIn: return "channel from";
  }
  return "?";
}

// One TCP connection of either kind. Shared with the pending Asio handlers, which keep its
// buffers alive until they run.
struct Conn {
  Conn(asio::io_context& io, Kind k) : kind(k), socket(io), deadline(io) {}
  Kind kind;
  tcp::socket socket;
  asio::steady_timer deadline;  // for the dial or the inbound hello
  zab::ServerId peer = 0;       // dialed, or named by the inbound hello
  zab::ChannelId channel = 0;
  std::string where;        // "host:port" for log lines
  bool connected = false;   // writes may start
  bool registered = false;  // a channel (or election sender) known to this side
  bool closed = false;
  bool reading = false;
  std::string inbuf;
  size_t in_offset = 0;
  std::vector<char> chunk = std::vector<char>(kReadChunk);
  std::deque<std::string> outq;      // buffers waiting (length prefixes and payloads)
  std::vector<std::string> writing;  // buffers being written
  size_t queued_bytes = 0;
};
using ConnPtr = std::shared_ptr<Conn>;

}  // namespace

class PeerTransport::Impl {
 public:
  Impl(asio::io_context& io, PeerAddress self, std::vector<PeerAddress> peers, Handler& handler)
      : io_(io), self_(std::move(self)), handler_(handler), quorum_acceptor_(io),
        election_acceptor_(io) {
    for (auto& p : peers) {
      if (p.id != self_.id) peers_.emplace(p.id, std::move(p));
    }
  }

  ~Impl() { Stop(); }

  std::string Start() {
    std::string err = Listen(quorum_acceptor_, self_.quorum_port);
    if (err.empty()) err = Listen(election_acceptor_, self_.election_port);
    if (!err.empty()) return err;
    Accept(quorum_acceptor_, Kind::kChannelIn);
    Accept(election_acceptor_, Kind::kElectionIn);
    return {};
  }

  void Stop() {
    stopped_ = true;
    error_code ec;
    quorum_acceptor_.close(ec);
    election_acceptor_.close(ec);
    // Copy first: Drop() edits conns_.
    std::vector<ConnPtr> all(conns_.begin(), conns_.end());
    for (auto& c : all) Drop(c);
    channels_.clear();
    election_.clear();
  }

  void SendVote(zab::ServerId to, const zab::Notification& n) {
    if (stopped_) return;
    if (!peers_.count(to)) {
      CAUCUS_LOG(Warn) << "vote for unknown server " << to << " dropped";
      return;
    }
    ElectionPeer& e = election_[to];
    std::string frame = zab::EncodeNotification(n);
    if (e.conn && e.conn->connected) {
      if (e.conn->queued_bytes <= kMaxElectionQueue) Enqueue(e.conn, std::move(frame));
      return;
    }
    e.pending = std::move(frame);  // only the latest vote matters
    if (!e.conn) ConnectElection(to);
  }

  void Open(zab::ChannelId channel, zab::ServerId to) {
    if (stopped_) return;
    if (channels_.count(channel)) {
      CAUCUS_LOG(Warn) << "channel " << channel << " is already open; second Open ignored";
      return;
    }
    auto c = NewConn(Kind::kChannelOut);
    c->peer = to;
    c->channel = channel;
    c->registered = true;
    channels_[channel] = c;
    Enqueue(c, zab::EncodeHello({self_.id, channel}));
    auto it = peers_.find(to);
    if (it == peers_.end()) {
      // Never re-enter the core from inside one of its calls: report on a later turn.
      FailLater(c, "unknown server");
      return;
    }
    Dial(c, it->second.host, it->second.quorum_port);
  }

  void Send(zab::ChannelId channel, const zab::Message& m) {
    auto it = channels_.find(channel);
    if (it == channels_.end() || it->second->closed) return;
    ConnPtr c = it->second;
    if (c->queued_bytes > kMaxChannelQueue) {
      FailLater(c, "peer is not reading (" + std::to_string(c->queued_bytes) + " bytes queued)");
      return;
    }
    Enqueue(c, zab::EncodeMessage(m));
  }

  void Close(zab::ChannelId channel) {
    auto it = channels_.find(channel);
    if (it == channels_.end()) return;
    ConnPtr c = it->second;
    channels_.erase(it);
    CAUCUS_LOG(Debug) << "closing channel " << channel;
    Drop(c);
  }

 private:
  // The sending side of the election connection to one peer.
  struct ElectionPeer {
    ConnPtr conn;                        // dialing or connected
    std::optional<std::string> pending;  // the latest vote, sent once connected
    std::chrono::steady_clock::time_point last_attempt{};
    std::unique_ptr<asio::steady_timer> retry;
    bool failing = false;  // logs one line per outage, not one per attempt
  };

  // Wraps an Asio completion handler so that it does nothing once the transport is destroyed
  // (handlers of closed sockets still run later, on the io_context).
  template <typename F>
  auto Guarded(F f) {
    // Constrained, so that Asio's overload selection (e.g. async_connect's) still sees the
    // wrapped handler's signature.
    return [alive = std::weak_ptr<char>(alive_),
            f = std::move(f)]<typename... A>(A&&... args) mutable
      requires std::invocable<F&, A...>
    {
      if (!alive.expired()) f(std::forward<A>(args)...);
    };
  }

  std::string Listen(tcp::acceptor& acceptor, int port) {
    error_code ec;
    asio::ip::address addr;
    if (self_.host.empty()) {
      addr = asio::ip::address_v4::any();
    } else {
      // Start-up only, so a blocking lookup is acceptable here.
      tcp::resolver resolver(io_);
      auto results = resolver.resolve(self_.host, std::to_string(port), ec);
      if (ec || results.empty()) return "cannot resolve '" + self_.host + "': " + ec.message();
      addr = results.begin()->endpoint().address();
    }
    tcp::endpoint ep(addr, static_cast<uint16_t>(port));
    acceptor.open(ep.protocol(), ec);
    if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor.bind(ep, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return "cannot listen on " + self_.host + ":" + std::to_string(port) + ": " + ec.message();
    }
    return {};
  }

  void Accept(tcp::acceptor& acceptor, Kind kind) {
    acceptor.async_accept(Guarded([this, &acceptor, kind](error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || stopped_) return;
      if (ec) {
        CAUCUS_LOG(Warn) << "accept failed on the " << KindName(kind) << " port: " << ec.message();
      } else {
        OnAccept(std::move(socket), kind);
      }
      Accept(acceptor, kind);
    }));
  }

  void OnAccept(tcp::socket socket, Kind kind) {
    auto c = NewConn(kind);
    c->socket = std::move(socket);
    error_code ec;
    auto remote = c->socket.remote_endpoint(ec);
    c->where = ec ? "?" : remote.address().to_string() + ":" + std::to_string(remote.port());
    c->socket.set_option(tcp::no_delay(true), ec);
    c->connected = true;
    ArmDeadline(c);
    StartRead(c);
  }

  ConnPtr NewConn(Kind kind) {
    auto c = std::make_shared<Conn>(io_, kind);
    conns_.insert(c);
    return c;
  }

  // --- Dialing ---

  void ConnectElection(zab::ServerId to) {
    ElectionPeer& e = election_[to];
    if (e.conn || stopped_) return;
    auto now = std::chrono::steady_clock::now();
    if (now < e.last_attempt + kReconnectInterval) {
      RetryElectionAt(to, e, e.last_attempt + kReconnectInterval);
      return;
    }
    e.last_attempt = now;
    const PeerAddress& addr = peers_.at(to);
    auto c = NewConn(Kind::kElectionOut);
    c->peer = to;
    e.conn = c;
    Enqueue(c, zab::EncodeElectionHello(self_.id));
    Dial(c, addr.host, addr.election_port);
  }

  void RetryElectionAt(zab::ServerId to, ElectionPeer& e,
                       std::chrono::steady_clock::time_point when) {
    if (!e.retry) e.retry = std::make_unique<asio::steady_timer>(io_);
    if (e.retry->expiry() == when) return;  // already armed
    e.retry->expires_at(when);
    e.retry->async_wait(Guarded([this, to](error_code ec) {
      if (ec || stopped_) return;
      auto it = election_.find(to);
      if (it != election_.end() && it->second.pending) ConnectElection(to);
    }));
  }

  void Dial(const ConnPtr& c, const std::string& host, int port) {
    c->where = host + ":" + std::to_string(port);
    ArmDeadline(c);
    auto resolver = std::make_shared<tcp::resolver>(io_);
    resolver->async_resolve(
        host, std::to_string(port),
        Guarded([this, c, resolver](error_code ec, tcp::resolver::results_type results) {
          if (c->closed) return;
          if (ec) {
            Fail(c, "cannot resolve: " + ec.message(), false);
            return;
          }
          asio::async_connect(c->socket, results,
                              Guarded([this, c](error_code ec, const tcp::endpoint&) {
                                OnConnected(c, ec);
                              }));
        }));
  }

  void OnConnected(const ConnPtr& c, error_code ec) {
    if (c->closed) return;
    if (ec) {
      Fail(c, "cannot connect: " + ec.message(), false);
      return;
    }
    c->deadline.cancel();
    c->connected = true;
    c->socket.set_option(tcp::no_delay(true), ec);
    if (c->kind == Kind::kElectionOut) {
      ElectionPeer& e = election_[c->peer];
      if (e.failing) CAUCUS_LOG(Info) << "election connection to server " << c->peer << " is up";
      e.failing = false;
      if (e.pending) Enqueue(c, std::move(*e.pending));
      e.pending.reset();
    }
    StartWrite(c);
    StartRead(c);  // outbound election connections only read to notice the peer leaving
  }

  // Bounds the dial, or the wait for an inbound connection's hello.
  void ArmDeadline(const ConnPtr& c) {
    c->deadline.expires_after(kHandshakeTimeout);
    c->deadline.async_wait(Guarded([this, c](error_code ec) {
      if (ec || c->closed) return;
      bool inbound = c->kind == Kind::kElectionIn || c->kind == Kind::kChannelIn;
      if (inbound ? !c->registered : !c->connected) Fail(c, "handshake timed out", false);
    }));
  }

  // --- Reading ---

  void StartRead(const ConnPtr& c) {
    if (c->closed || c->reading) return;
    c->reading = true;
    c->socket.async_read_some(asio::buffer(c->chunk),
                              Guarded([this, c](error_code ec, size_t n) { OnRead(c, ec, n); }));
  }

  void OnRead(const ConnPtr& c, error_code ec, size_t n) {
    c->reading = false;
    if (c->closed) return;
    if (ec) {
      Fail(c, ec == asio::error::eof ? std::string("closed by the peer") : ec.message(), false);
      return;
    }
    c->inbuf.append(c->chunk.data(), n);
    if (ProcessInput(c)) StartRead(c);
  }

  static int32_t MaxFrame(const Conn& c) {
    bool channel = c.kind == Kind::kChannelOut || c.kind == Kind::kChannelIn;
    return channel && c.registered ? kMaxChannelFrame : kMaxSmallFrame;
  }

  // Delivers every complete frame; returns false once the connection is closed (possibly by
  // the handler itself).
  bool ProcessInput(const ConnPtr& c) {
    while (!c->closed) {
      std::string_view rest = std::string_view(c->inbuf).substr(c->in_offset);
      jute::FrameResult f = jute::NextFrame(rest, MaxFrame(*c));
      if (f.status == jute::FrameStatus::kBadLength) {
        std::string limit = std::to_string(MaxFrame(*c));
        Fail(c, "frame length " + std::to_string(f.length) + " outside [0, " + limit + "]", true);
        return false;
      }
      if (f.status == jute::FrameStatus::kNeedMore) {
        // A large frame (a snapshot) is buffered in one allocation, not by doubling.
        if (f.length > 0) c->inbuf.reserve(c->in_offset + 4 + static_cast<size_t>(f.length));
        break;
      }
      c->in_offset += f.consumed;
      OnFrame(c, f.payload);
    }
    if (c->closed) return false;
    c->inbuf.erase(0, c->in_offset);
    c->in_offset = 0;
    return true;
  }

  void OnFrame(const ConnPtr& c, std::string_view payload) {
    switch (c->kind) {
      case Kind::kElectionOut:
        Fail(c, "unexpected data on an outbound election connection", true);
        return;
      case Kind::kElectionIn:
        if (c->registered) {
          DeliverNotification(c, payload);
        } else {
          OnElectionHello(c, payload);
        }
        return;
      case Kind::kChannelIn:
        if (!c->registered) {
          OnChannelHello(c, payload);
          return;
        }
        [[fallthrough]];
      case Kind::kChannelOut: DeliverMessage(c, payload); return;
    }
  }

  void OnElectionHello(const ConnPtr& c, std::string_view payload) {
    auto from = zab::DecodeElectionHello(payload);
    if (!from || !peers_.count(*from)) {
      Fail(c, from ? UnknownServer(*from) : "malformed hello", true);
      return;
    }
    c->peer = *from;
    c->registered = true;
    c->deadline.cancel();
  }

  void OnChannelHello(const ConnPtr& c, std::string_view payload) {
    auto hello = zab::DecodeHello(payload);
    if (!hello || !peers_.count(hello->from)) {
      Fail(c, hello ? UnknownServer(hello->from) : "malformed hello", true);
      return;
    }
    if (channels_.count(hello->channel)) {
      Fail(c, "channel " + std::to_string(hello->channel) + " is already open", true);
      return;
    }
    c->peer = hello->from;
    c->channel = hello->channel;
    c->registered = true;
    c->deadline.cancel();
    channels_[c->channel] = c;
    CAUCUS_LOG(Info) << "channel " << c->channel << " opened by server " << c->peer << " ("
                     << c->where << ")";
  }

  void DeliverNotification(const ConnPtr& c, std::string_view payload) {
    auto n = zab::DecodeNotification(payload);
    if (!n) {
      Fail(c, "malformed notification", true);
      return;
    }
    handler_.OnNotification(c->peer, *n);
  }

  void DeliverMessage(const ConnPtr& c, std::string_view payload) {
    auto m = zab::DecodeMessage(payload);
    if (!m) {
      Fail(c, "malformed message", true);
      return;
    }
    handler_.OnMessage(c->peer, c->channel, std::move(*m));
  }

  // --- Writing ---

  void Enqueue(const ConnPtr& c, std::string payload) {
    c->queued_bytes += 4 + payload.size();
    // Two buffers rather than one concatenation: a snapshot is not copied again.
    c->outq.push_back(LengthPrefix(payload.size()));
    c->outq.push_back(std::move(payload));
    StartWrite(c);
  }

  void StartWrite(const ConnPtr& c) {
    if (c->closed || !c->connected || !c->writing.empty() || c->outq.empty()) return;
    while (!c->outq.empty() && c->writing.size() < 256) {
      c->writing.push_back(std::move(c->outq.front()));
      c->outq.pop_front();
    }
    std::vector<asio::const_buffer> bufs;
    bufs.reserve(c->writing.size());
    for (const auto& b : c->writing) bufs.emplace_back(asio::buffer(b));
    asio::async_write(c->socket, bufs,
                      Guarded([this, c](error_code ec, size_t) { OnWritten(c, ec); }));
  }

  void OnWritten(const ConnPtr& c, error_code ec) {
    for (const auto& b : c->writing) c->queued_bytes -= b.size();
    c->writing.clear();
    if (c->closed) return;
    if (ec) {
      Fail(c, "write failed: " + ec.message(), false);
      return;
    }
    StartWrite(c);
  }

  // --- Closing ---

  // Closes the socket; the maps that name the connection are the caller's business.
  void Drop(const ConnPtr& c) {
    if (c->closed) return;
    c->closed = true;
    error_code ec;
    c->deadline.cancel();
    c->socket.shutdown(tcp::socket::shutdown_both, ec);
    c->socket.close(ec);
    c->outq.clear();
    conns_.erase(c);
  }

  void Log(const Conn& c, const std::string& why, bool warn) {
    std::string what = std::string(KindName(c.kind)) + " server " + std::to_string(c.peer);
    if (c.kind == Kind::kChannelIn || c.kind == Kind::kChannelOut) {
      what = "channel " + std::to_string(c.channel) + " (" + what + ")";
    }
    if (!c.where.empty()) what += " at " + c.where;
    if (warn) {
      CAUCUS_LOG(Warn) << "closing " << what << ": " << why;
    } else {
      CAUCUS_LOG(Info) << "closing " << what << ": " << why;
    }
  }

  // An error on `c`: close it and tell whoever must know. Runs on an Asio handler, never
  // inside a call from the core, so calling the handler here is safe.
  void Fail(const ConnPtr& c, const std::string& why, bool warn) {
    if (c->closed) return;
    Drop(c);
    switch (c->kind) {
      case Kind::kElectionOut: {
        ElectionPeer& e = election_[c->peer];
        if (e.conn == c) e.conn.reset();
        e.pending.reset();  // best effort: the sender repeats its vote if it still matters
        if (!e.failing || warn) Log(*c, why, warn);
        e.failing = true;
        return;
      }
      case Kind::kElectionIn:
        if (c->registered) {
          Log(*c, why, warn);
        } else {
          CAUCUS_LOG(Warn) << "closing election connection from " << c->where << ": " << why;
        }
        return;
      case Kind::kChannelIn:
      case Kind::kChannelOut:
        if (!c->registered) {
          CAUCUS_LOG(Warn) << "closing channel connection from " << c->where << ": " << why;
          return;
        }
        Log(*c, why, warn);
        NotifyClosed(c);
        return;
    }
  }

  // Like Fail, for errors found inside a call from the core: the handler hears of it later.
  void FailLater(const ConnPtr& c, const std::string& why) {
    Log(*c, why, true);
    Drop(c);
    asio::post(io_, Guarded([this, c] { NotifyClosed(c); }));
  }

  // Reports the channel closed unless the core closed it (or reopened the id) meanwhile.
  void NotifyClosed(const ConnPtr& c) {
    auto it = channels_.find(c->channel);
    if (it == channels_.end() || it->second != c) return;
    channels_.erase(it);
    handler_.OnChannelClosed(c->channel);
  }

  asio::io_context& io_;
  PeerAddress self_;
  std::map<zab::ServerId, PeerAddress> peers_;
  Handler& handler_;
  tcp::acceptor quorum_acceptor_;
  tcp::acceptor election_acceptor_;
  bool stopped_ = false;
  std::unordered_set<ConnPtr> conns_;  // every open connection, for Stop()
  std::unordered_map<zab::ChannelId, ConnPtr> channels_;
  std::map<zab::ServerId, ElectionPeer> election_;
  std::shared_ptr<char> alive_ = std::make_shared<char>();
};

PeerTransport::PeerTransport(asio::io_context& io, PeerAddress self,
                             std::vector<PeerAddress> peers, Handler& handler)
    : impl_(std::make_unique<Impl>(io, std::move(self), std::move(peers), handler)) {}
PeerTransport::~PeerTransport() = default;
std::string PeerTransport::Start() { return impl_->Start(); }
void PeerTransport::Stop() { impl_->Stop(); }
void PeerTransport::SendVote(zab::ServerId to, const zab::Notification& n) {
  impl_->SendVote(to, n);
}
void PeerTransport::Open(zab::ChannelId channel, zab::ServerId to) { impl_->Open(channel, to); }
void PeerTransport::Send(zab::ChannelId channel, const zab::Message& m) { impl_->Send(channel, m); }
void PeerTransport::Close(zab::ChannelId channel) { impl_->Close(channel); }

}  // namespace caucus::net
