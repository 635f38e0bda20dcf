// Client::Impl: the session engine. Owns the socket, the I/O thread and the session state
// machine (connect → handshake → connected → suspended → reconnected | expired → closed).
//
// Threading: members under "I/O thread" are touched only by the I/O thread (every public
// entry point posts to it); members under mu_ are shared with user threads. User code never
// runs on the I/O thread: completions, watch events and state changes go through Post().
#pragma once

#include <utility>  // before boost/asio.hpp: Boost 1.74 awaitable.hpp needs it in C++20

#include <boost/asio.hpp>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "caucus/client.h"
#include "client/src/callback_queue.h"
#include "client/src/connect_string.h"
#include "client/src/watch_registry.h"
#include "proto/jute/requests.h"

namespace caucus {

using SteadyClock = std::chrono::steady_clock;

// One request on its way to the server.
struct Call {
  jute::Request req;            // xid is assigned when it is written
  std::string path;             // client path, for watch registration and the test hook
  client::WatchKind watch_kind = client::WatchKind::kNone;
  Watcher watcher;
  ReadConsistency consistency = ReadConsistency::kDefault;  // reads only
  // Runs on the I/O thread with the reply's error and body (empty on local failures).
  std::function<void(Error, std::string_view body)> on_reply;
  SteadyClock::time_point queued_at = SteadyClock::now();
};

class Client::Impl {
 public:
  explicit Impl(ClientOptions options);
  ~Impl();
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  void Start();
  void Close();
  // Thread-safe: queues a call for the I/O thread.
  void Submit(Call call);
  // Thread-safe: runs `task` on the callback executor.
  void Post(std::function<void()> task);
  void AddAuth(std::string scheme, std::string auth, std::function<void(Error)> done);
  void DropConnection();
  void SimulatePartition(std::chrono::milliseconds d);
  const ClientOptions& opts() const { return opts_; }
  void SetReadConsistency(ReadConsistency c);
  ReadConsistency read_consistency() const;
  bool read_modes_supported() const;

  // Called on the I/O thread by removeWatches completions.
  void RemoveLocalWatches(const std::string& path, WatcherType type);
  bool HasLocalWatch(const std::string& path, WatcherType type) const;

  std::string ToServer(const std::string& path) const { return client::AddChroot(chroot_, path); }
  std::string FromServer(const std::string& path) const {
    return client::StripChroot(chroot_, path);
  }

  SessionState state() const;
  bool connected() const;
  int64_t session_id() const;
  std::string session_password() const;
  std::chrono::milliseconds negotiated_timeout() const;
  int64_t last_zxid_seen() const;
  int AddListener(SessionListener l);
  void RemoveListener(int id);
  bool WaitConnected(std::chrono::milliseconds timeout);

 private:
  enum class Phase { kIdle, kConnecting, kConnected, kClosing, kDead };
  struct Frame {
    std::string bytes;
    int32_t op = 0;
    std::string path;
  };
  struct AuthEntry {
    std::string scheme, auth;
  };

  // Connection lifecycle (I/O thread).
  void ConnectNext();
  void OnConnected(uint64_t gen);
  void OnHandshake(uint64_t gen, std::string_view body);
  void SessionEstablished(const jute::ConnectResponse& resp);
  void SessionExpired();
  void ConnectionLost(uint64_t gen, const char* why);
  void ScheduleReconnect(bool backoff);
  void FinishClose();
  void SetState(SessionState s);

  // Wire (I/O thread).
  void ReadFrame(uint64_t gen, std::function<void(std::string_view)> then);
  void ReadLoop(uint64_t gen);
  void OnFrame(std::string_view frame);
  void OnNotification(std::string_view body);
  void Send(Frame f);
  void WriteNext();
  void SendCall(Call call);
  // Reads in a consistency other than the connection's: the extension's per-call frame, or
  // (server without it) a sync first.
  bool SendConsistentRead(Call& call);
  void SendReadMode(ReadConsistency c);
  void SendSessionSetup();
  void Tick();
  void FailAll(std::deque<Call>& q, Error e);
  void ExpireQueued();
  bool SessionCertainlyExpired(SteadyClock::time_point now) const;

  ClientOptions opts_;
  std::string chroot_;
  std::vector<client::HostPort> hosts_;

  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  boost::asio::ip::tcp::resolver resolver_;
  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer connect_timer_;
  boost::asio::steady_timer reconnect_timer_;
  boost::asio::steady_timer tick_timer_;
  boost::asio::steady_timer close_timer_;
  std::thread io_thread_;
  std::unique_ptr<client::CallbackQueue> callbacks_;  // when no user executor

  // I/O thread.
  Phase phase_ = Phase::kIdle;
  uint64_t gen_ = 0;  // connection generation; handlers of an older connection do nothing
  size_t host_index_ = 0;
  size_t attempts_in_round_ = 0;
  std::deque<Call> outgoing_;  // waiting for a connection
  // Read modes: the default (guarded by mu_), the mode this connection was told, and whether
  // servers have the extension (0 unknown, 1 yes, -1 no: a server answered Unimplemented).
  ReadConsistency read_default_ = ReadConsistency::kLocal;
  ReadConsistency conn_mode_ = ReadConsistency::kLocal;
  std::atomic<int> read_modes_ = 0;
  std::deque<Call> pending_;   // sent, awaiting their reply (replies come in xid order)
  std::deque<std::function<void(Error)>> auth_pending_;  // null entries: re-sent auth
  std::vector<AuthEntry> auth_;
  std::deque<Frame> write_queue_;
  bool writing_ = false;
  std::array<char, 4> len_buf_{};
  std::string read_buf_;
  int32_t next_xid_ = 1;
  client::WatchRegistry watches_;
  SteadyClock::time_point last_recv_, last_send_, disconnected_at_, partition_until_;
  std::mt19937_64 rng_{std::random_device{}()};
  std::function<void()> on_closed_;

  // Shared with user threads.
  mutable std::mutex mu_;
  std::condition_variable cv_;
  SessionState state_ = SessionState::kSuspended;
  bool ever_connected_ = false;  // the current session was established at least once
  bool closed_ = false;
  int64_t session_id_ = 0;
  std::string passwd_;
  int32_t timeout_ms_ = 0;
  int64_t last_zxid_ = 0;
  std::map<int, SessionListener> listeners_;
  int next_listener_ = 1;
};

}  // namespace caucus
