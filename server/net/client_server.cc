#include "server/net/client_server.h"

#include <utility>  // must precede Asio: Boost 1.74 awaitable.hpp lacks it under C++20

#include <boost/asio.hpp>
#include <chrono>
#include <deque>
#include <unordered_map>
#include <vector>

#include "proto/jute/framing.h"
#include "server/admin/four_letter_words.h"
#include "server/base/log.h"
#include "server/node/node.h"

namespace caucus::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

node::Now Clock() {
  using namespace std::chrono;
  return node::Now{
      duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count(),
      duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count()};
}

constexpr size_t kReadChunk = 64 * 1024;
// Stop reading from a client whose replies pile up (it is not reading them).
constexpr size_t kMaxQueuedBytes = 8 * 1024 * 1024;

}  // namespace

class ClientServer::Impl {
 public:
  struct Connection {
    node::ConnId id = 0;
    tcp::socket socket;
    std::string ip;
    std::string inbuf;
    size_t in_offset = 0;
    std::vector<char> chunk = std::vector<char>(kReadChunk);
    std::deque<std::string> outq;      // frames waiting
    std::vector<std::string> writing;  // frames being written
    size_t queued_bytes = 0;
    bool reading = false;
    bool read_paused = false;
    bool close_after_flush = false;
    bool flush_pending = false;  // in to_flush_
    bool closed = false;
    bool first_bytes = true;
    explicit Connection(tcp::socket s) : socket(std::move(s)) {}
  };

  Impl(asio::io_context& io, const config::ServerConfig& config)
      : io_(io), config_(config), acceptor_(io), tick_(io) {}

  std::string Start(node::Node& node, int64_t start_wall_ms) {
    node_ = &node;
    start_wall_ms_ = start_wall_ms;
    boost::system::error_code ec;
    auto addr = asio::ip::make_address(config_.client_port_address, ec);
    if (ec) return "invalid clientPortAddress '" + config_.client_port_address + "'";
    tcp::endpoint ep(addr, static_cast<uint16_t>(config_.client_port));
    acceptor_.open(ep.protocol(), ec);
    if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return "cannot listen on " + config_.client_port_address + ":" +
             std::to_string(config_.client_port) + ": " + ec.message();
    }
    Accept();
    ScheduleTick();
    return {};
  }

  void Stop() {
    boost::system::error_code ec;
    acceptor_.close(ec);
    tick_.cancel();
    std::vector<node::ConnId> ids;
    for (auto& [id, c] : conns_) ids.push_back(id);
    for (auto id : ids) Shutdown(id);
  }

  int port() const {
    boost::system::error_code ec;
    auto ep = acceptor_.local_endpoint(ec);
    return ec ? -1 : ep.port();
  }

  void Send(node::ConnId id, std::string frame) {
    auto it = conns_.find(id);
    if (it == conns_.end() || it->second->closed) return;
    Connection& c = *it->second;
    c.queued_bytes += frame.size();
    c.outq.push_back(std::move(frame));
    if (c.writing.empty() && !c.flush_pending) {
      // Written after the current handler returns: the core answers a whole group commit in
      // one turn, and a connection's replies of that turn then go out in one system call.
      c.flush_pending = true;
      to_flush_.push_back(id);
      if (!flush_posted_) {
        flush_posted_ = true;
        asio::post(io_, [this] { FlushAll(); });
      }
    }
  }

  void FlushAll() {
    flush_posted_ = false;
    std::vector<node::ConnId> ids;
    ids.swap(to_flush_);
    for (node::ConnId id : ids) {
      auto it = conns_.find(id);
      if (it == conns_.end()) continue;
      it->second->flush_pending = false;
      if (it->second->writing.empty()) StartWrite(*it->second);
    }
  }

  void Close(node::ConnId id, std::string_view reason) {
    auto it = conns_.find(id);
    if (it == conns_.end() || it->second->closed) return;
    CAUCUS_LOG(Debug) << "closing connection " << id << ": " << reason;
    Connection& c = *it->second;
    c.close_after_flush = true;
    // Never re-enter the core from inside one of its calls: finish the close on a later turn.
    if (c.writing.empty() && c.outq.empty()) asio::post(io_, [this, id] { Shutdown(id); });
  }

 private:
  void Accept() {
    acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) OnAccept(std::move(socket));
      Accept();
    });
  }

  void OnAccept(tcp::socket socket) {
    boost::system::error_code ec;
    auto remote = socket.remote_endpoint(ec);
    if (ec) return;
    std::string ip = remote.address().to_string();
    if (config_.max_client_cnxns > 0 && per_ip_[ip] >= config_.max_client_cnxns) {
      CAUCUS_LOG(Warn) << "Too many connections from /" << ip << " - max is "
                       << config_.max_client_cnxns;
      socket.close(ec);
      return;
    }
    socket.set_option(tcp::no_delay(true), ec);
    ++per_ip_[ip];
    node::ConnId id = next_id_++;
    auto conn = std::make_unique<Connection>(std::move(socket));
    conn->id = id;
    conn->ip = ip;
    Connection& c = *conn;
    conns_.emplace(id, std::move(conn));
    node_->OnConnectionOpened(id, ip, "/" + ip + ":" + std::to_string(remote.port()), Clock());
    StartRead(c);
  }

  void StartRead(Connection& c) {
    if (c.reading || c.closed || c.close_after_flush) return;
    if (c.queued_bytes > kMaxQueuedBytes) {
      c.read_paused = true;
      return;
    }
    c.reading = true;
    node::ConnId id = c.id;
    c.socket.async_read_some(asio::buffer(c.chunk),
                             [this, id](boost::system::error_code ec, size_t n) {
                               OnRead(id, ec, n);
                             });
  }

  void OnRead(node::ConnId id, boost::system::error_code ec, size_t n) {
    auto it = conns_.find(id);
    if (it == conns_.end()) return;
    Connection& c = *it->second;
    c.reading = false;
    if (ec) {
      if (ec != asio::error::eof && ec != asio::error::operation_aborted &&
          ec != asio::error::connection_reset) {
        CAUCUS_LOG(Debug) << "read error on connection " << id << ": " << ec.message();
      }
      Shutdown(id);
      return;
    }
    c.inbuf.append(c.chunk.data(), n);
    if (!ProcessInput(c)) return;  // connection is being closed
    StartRead(c);
  }

  // Returns false when the connection must stop reading.
  bool ProcessInput(Connection& c) {
    node::ConnId id = c.id;
    if (c.first_bytes && c.inbuf.size() >= 4) {
      c.first_bytes = false;
      std::string word = jute::FourLetterWord(std::string_view(c.inbuf).substr(0, 4));
      if (!word.empty() && admin::IsFourLetterWord(word)) {
        AnswerFourLetterWord(c, word);
        return false;
      }
    }
    while (true) {
      auto it = conns_.find(id);
      if (it == conns_.end() || c.close_after_flush || c.closed) return false;
      std::string_view rest = std::string_view(c.inbuf).substr(c.in_offset);
      jute::FrameResult f = jute::NextFrame(rest, config_.jute_max_buffer);
      if (f.status == jute::FrameStatus::kNeedMore) break;
      if (f.status == jute::FrameStatus::kBadLength) {
        CAUCUS_LOG(Warn) << "closing connection from /" << c.ip << ": frame length " << f.length
                         << " is outside [0, jute.maxbuffer=" << config_.jute_max_buffer << "]";
        Close(id, "bad frame length");
        return false;
      }
      c.in_offset += f.consumed;
      node_->OnFrame(id, f.payload, Clock());
    }
    if (c.in_offset > 0) {
      c.inbuf.erase(0, c.in_offset);
      c.in_offset = 0;
    }
    return true;
  }

  void AnswerFourLetterWord(Connection& c, const std::string& word) {
    std::string answer;
    if (!config_.FourLetterWordAllowed(word)) {
      answer = admin::NotWhitelisted(word);
    } else {
      admin::AdminContext ctx{node_, &config_, start_wall_ms_, Clock().wall_ms, conns_.size()};
      answer = admin::RunFourLetterWord(word, ctx, node_);
    }
    Send(c.id, std::move(answer));
    Close(c.id, "four-letter word answered");
  }

  void StartWrite(Connection& c) {
    if (c.closed || c.outq.empty()) return;
    std::vector<asio::const_buffer> bufs;
    while (!c.outq.empty() && c.writing.size() < 256) {
      c.writing.push_back(std::move(c.outq.front()));
      c.outq.pop_front();
    }
    bufs.reserve(c.writing.size());
    for (const auto& f : c.writing) bufs.emplace_back(asio::buffer(f));
    node::ConnId id = c.id;
    asio::async_write(c.socket, bufs, [this, id](boost::system::error_code ec, size_t) {
      OnWritten(id, ec);
    });
  }

  void OnWritten(node::ConnId id, boost::system::error_code ec) {
    auto it = conns_.find(id);
    if (it == conns_.end()) return;
    Connection& c = *it->second;
    for (const auto& f : c.writing) c.queued_bytes -= f.size();
    c.writing.clear();
    if (ec) {
      Shutdown(id);
      return;
    }
    if (!c.outq.empty()) {
      StartWrite(c);
      return;
    }
    if (c.close_after_flush) {
      Shutdown(id);
      return;
    }
    if (c.read_paused) {
      c.read_paused = false;
      StartRead(c);
    }
  }

  void Shutdown(node::ConnId id) {
    auto it = conns_.find(id);
    if (it == conns_.end()) return;
    Connection& c = *it->second;
    if (!c.closed) {
      c.closed = true;
      boost::system::error_code ec;
      c.socket.shutdown(tcp::socket::shutdown_both, ec);
      c.socket.close(ec);
      if (--per_ip_[c.ip] <= 0) per_ip_.erase(c.ip);
      node_->OnConnectionClosed(id);
    }
    // Pending handlers still reference the id; erase once they have run.
    if (!c.reading && c.writing.empty()) {
      conns_.erase(it);
    } else {
      asio::post(io_, [this, id] { Shutdown(id); });
    }
  }

  void ScheduleTick() {
    tick_.expires_after(std::chrono::milliseconds(50));
    tick_.async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      node_->Tick(Clock());
      ScheduleTick();
    });
  }

  asio::io_context& io_;
  const config::ServerConfig& config_;
  tcp::acceptor acceptor_;
  asio::steady_timer tick_;
  node::Node* node_ = nullptr;
  int64_t start_wall_ms_ = 0;
  node::ConnId next_id_ = 1;
  std::unordered_map<node::ConnId, std::unique_ptr<Connection>> conns_;
  std::vector<node::ConnId> to_flush_;  // connections with replies to start writing
  bool flush_posted_ = false;
  std::unordered_map<std::string, int> per_ip_;
};

ClientServer::ClientServer(asio::io_context& io, const config::ServerConfig& config)
    : impl_(std::make_unique<Impl>(io, config)) {}
ClientServer::~ClientServer() = default;
std::string ClientServer::Start(node::Node& node, int64_t start_wall_ms) {
  return impl_->Start(node, start_wall_ms);
}
void ClientServer::Stop() { impl_->Stop(); }
int ClientServer::port() const { return impl_->port(); }
void ClientServer::Send(node::ConnId conn, std::string frame) { impl_->Send(conn, std::move(frame)); }
void ClientServer::Close(node::ConnId conn, std::string_view reason) { impl_->Close(conn, reason); }

}  // namespace caucus::net
