// Client: one ZooKeeper session to Caucus or to any Apache ZooKeeper 3.5+ ensemble.
//
//   caucus::Client zk({.connect_string = "h1:2181,h2:2181/app"});
//   zk.Create("/config", "v1");
//   auto [data, stat] = zk.GetData("/config", [](const caucus::WatchEvent& e) { ... });
//
// Every operation comes in two forms:
//  * blocking: returns the value, throws KeeperException (exists() returns nullopt for NoNode);
//  * asynchronous (`...Async`): takes a Callback<T> that receives Result<T>.
// caucus/async.h adds Boost.Asio completion tokens (futures, coroutines) on top of the latter.
//
// Threading: a Client is thread-safe; any thread may call any method. One internal I/O
// thread owns the socket. Async callbacks, watch events and session-state listeners run on
// the callback executor (a dedicated thread by default, or ClientOptions::executor), one at
// a time and in the order the server sent them, never on the I/O thread. Blocking calls
// wait on the calling thread and may be made from callbacks.
//
// Sessions: the client reconnects by itself (hosts in random order) and keeps the session
// (id + password); it re-sends auth and re-registers watches (setWatches with the last zxid
// seen). Calls in flight when the connection drops fail with kConnectionLoss; calls made while
// disconnected wait for the connection. If the session expires, listeners see kExpired and,
// unless renew_session_on_expiry is false, a new session is established (kConnected).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "caucus/error.h"
#include "caucus/transaction.h"
#include "caucus/types.h"

namespace caucus {

template <class T>
using Callback = std::function<void(Result<T>)>;

// Runs tasks in submission order; the client posts callbacks through it.
using Executor = std::function<void(std::function<void()>)>;

struct ClientOptions {
  // "host:port[,host:port...][/chroot]".
  std::string connect_string = "127.0.0.1:2181";
  std::chrono::milliseconds session_timeout{10000};
  // Where callbacks and watch events run. Must run tasks one at a time, in order (e.g. an
  // Asio strand). Empty: a dedicated callback thread owned by the Client.
  Executor executor;
  // (scheme, auth) pairs sent after every (re)connect, e.g. {"digest", "user:password"}.
  std::vector<std::pair<std::string, std::string>> auth;
  bool can_be_read_only = false;
  // The consistency of reads (getData, exists, getChildren, getACL) that do not ask for one.
  // Caucus serves kQuorum/kLeader through its protocol extension (docs/protocol-extensions.md).
  // A server without it (ZooKeeper) answers the extension Unimplemented and closes the
  // connection once; the client then remembers that, reconnects with the same session, and
  // serves non-local reads as sync + read (the strongest ZooKeeper offers; not linearizable).
  ReadConsistency read_consistency = ReadConsistency::kLocal;
  // After kExpired, open a fresh session automatically (kazoo's behaviour). If false the
  // client stays expired and every call fails with kSessionExpired.
  bool renew_session_on_expiry = true;
  // Resume an existing session (id and password from another Client's session_id() and
  // session_password()), as ZooKeeper's constructor with sessionId/sessionPasswd does.
  int64_t session_id = 0;
  std::string session_password;
  // How long the blocking constructor waits for the first session; zero: don't wait.
  std::chrono::milliseconds connect_wait{15000};
  // Testing only: called on the I/O thread after each request is written; returning true drops
  // the connection at once, so the reply is lost (simulates a connection loss mid-request).
  std::function<bool(int32_t opcode, const std::string& path)> drop_after_send;
};

class Client {
 public:
  // Starts connecting. Waits up to options.connect_wait for the first session and throws
  // KeeperException(kConnectionLoss) if none was established by then (the Client keeps trying
  // only if connect_wait is zero).
  explicit Client(ClientOptions options);
  ~Client();  // Close()s
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Ends the session (ephemerals go away at once) and stops all threads. Idempotent.
  void Close();

  // --- Session ---------------------------------------------------------------------------
  SessionState state() const;
  bool connected() const;
  int64_t session_id() const;
  std::string session_password() const;
  std::chrono::milliseconds negotiated_timeout() const;
  int64_t last_zxid_seen() const;
  // Listener for session-state changes; returns an id for RemoveSessionListener.
  // Listeners and watchers may be called until the Client is destroyed (the destructor
  // closes the session and reports kClosed): whatever they capture must outlive the Client.
  int AddSessionListener(SessionListener listener);
  void RemoveSessionListener(int id);
  // Waits until connected; false on timeout.
  bool WaitConnected(std::chrono::milliseconds timeout);
  // Testing/operations: drops the TCP connection now; the client reconnects as after a fault.
  void DropConnection();
  // Testing/chaos: drops the connection and stays offline for `d`, as a network partition
  // or a long pause would. Longer than the session timeout, it makes the session expire.
  void SimulatePartition(std::chrono::milliseconds d);

  // --- Read consistency (see ClientOptions::read_consistency) ----------------------------
  void SetReadConsistency(ReadConsistency c);
  ReadConsistency read_consistency() const;
  // False once a server answered the read-mode extension Unimplemented (ZooKeeper): from then
  // on, non-local reads are sync + read.
  bool read_modes_supported() const;
  // Reads in consistency `c`, whatever the default: zk.Reads(ReadConsistency::kQuorum).GetData(p).
  class ReadView Reads(ReadConsistency c);

  // --- Blocking API -----------------------------------------------------------------------
  std::string Create(const std::string& path, const std::string& data = {},
                     CreateMode mode = CreateMode::kPersistent, const AclList& acl = OpenAclUnsafe(),
                     int64_t ttl_ms = -1);
  CreateResult CreateWithStat(const std::string& path, const std::string& data = {},
                              CreateMode mode = CreateMode::kPersistent,
                              const AclList& acl = OpenAclUnsafe(), int64_t ttl_ms = -1);
  // Creates every missing ancestor of path (and path itself) as `mode` with empty data.
  void CreateParents(const std::string& path, CreateMode mode = CreateMode::kPersistent);
  void Delete(const std::string& path, int32_t version = -1);
  // nullopt if the node does not exist; the watch is then set for its creation.
  std::optional<Stat> Exists(const std::string& path, Watcher watch = {});
  DataResult GetData(const std::string& path, Watcher watch = {});
  Stat SetData(const std::string& path, const std::string& data, int32_t version = -1);
  std::vector<std::string> GetChildren(const std::string& path, Watcher watch = {});
  ChildrenResult GetChildrenWithStat(const std::string& path, Watcher watch = {});
  AclResult GetAcl(const std::string& path);
  Stat SetAcl(const std::string& path, const AclList& acl, int32_t version = -1);
  void Sync(const std::string& path);
  // Throws TransactionFailed when the transaction did not apply.
  std::vector<OpResult> Commit(const Transaction& txn);
  std::vector<ReadResult> MultiRead(const ReadBatch& batch);
  void AddWatch(const std::string& path, AddWatchMode mode, Watcher watch);
  // Removes this client's watches of `type` on path, on the server and locally (each removed
  // watcher receives a k...WatchRemoved event). local=true removes them even if offline.
  void RemoveWatches(const std::string& path, WatcherType type, bool local = false);
  void CheckWatches(const std::string& path, WatcherType type);
  std::vector<std::string> GetEphemerals(const std::string& prefix = "/");
  int32_t GetAllChildrenNumber(const std::string& path);
  std::vector<ClientInfo> WhoAmI();
  void AddAuth(const std::string& scheme, const std::string& auth);

  // --- Asynchronous API -------------------------------------------------------------------
  void CreateAsync(const std::string& path, const std::string& data, CreateMode mode,
                   const AclList& acl, int64_t ttl_ms, Callback<CreateResult> cb);
  void DeleteAsync(const std::string& path, int32_t version, Callback<void> cb);
  // An absent node is Result<optional<Stat>>{nullopt}, not an error.
  void ExistsAsync(const std::string& path, Watcher watch, Callback<std::optional<Stat>> cb);
  void GetDataAsync(const std::string& path, Watcher watch, Callback<DataResult> cb);
  void SetDataAsync(const std::string& path, const std::string& data, int32_t version,
                    Callback<Stat> cb);
  void GetChildrenAsync(const std::string& path, Watcher watch, Callback<ChildrenResult> cb);
  void GetAclAsync(const std::string& path, Callback<AclResult> cb);
  void SetAclAsync(const std::string& path, const AclList& acl, int32_t version,
                   Callback<Stat> cb);
  void SyncAsync(const std::string& path, Callback<void> cb);
  // On failure the Result's error is the transaction's error; per-op codes are in
  // TransactionFailed from the blocking form.
  void CommitAsync(const Transaction& txn, Callback<std::vector<OpResult>> cb);
  void MultiReadAsync(const ReadBatch& batch, Callback<std::vector<ReadResult>> cb);
  void AddWatchAsync(const std::string& path, AddWatchMode mode, Watcher watch,
                     Callback<void> cb);
  void RemoveWatchesAsync(const std::string& path, WatcherType type, bool local,
                          Callback<void> cb);
  void CheckWatchesAsync(const std::string& path, WatcherType type, Callback<void> cb);
  void GetEphemeralsAsync(const std::string& prefix, Callback<std::vector<std::string>> cb);
  void GetAllChildrenNumberAsync(const std::string& path, Callback<int32_t> cb);
  void WhoAmIAsync(Callback<std::vector<ClientInfo>> cb);
  void AddAuthAsync(const std::string& scheme, const std::string& auth, Callback<void> cb);

  class Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

// The reads of a Client, in one consistency (Client::Reads). Cheap to copy; valid while the
// Client is.
class ReadView {
 public:
  std::optional<Stat> Exists(const std::string& path, Watcher watch = {});
  DataResult GetData(const std::string& path, Watcher watch = {});
  std::vector<std::string> GetChildren(const std::string& path, Watcher watch = {});
  ChildrenResult GetChildrenWithStat(const std::string& path, Watcher watch = {});
  AclResult GetAcl(const std::string& path);
  void ExistsAsync(const std::string& path, Watcher watch, Callback<std::optional<Stat>> cb);
  void GetDataAsync(const std::string& path, Watcher watch, Callback<DataResult> cb);
  void GetChildrenAsync(const std::string& path, Watcher watch, Callback<ChildrenResult> cb);
  ReadConsistency consistency() const { return consistency_; }

 private:
  friend class Client;
  ReadView(std::shared_ptr<Client::Impl> impl, ReadConsistency c)
      : impl_(std::move(impl)), consistency_(c) {}
  std::shared_ptr<Client::Impl> impl_;
  ReadConsistency consistency_;
};

}  // namespace caucus
