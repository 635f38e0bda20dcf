// Node: the standalone server's core. Owns the data tree, sessions, pending changes and
// per-connection protocol state, and runs every client request through
//   decode -> (write) Prepare -> Txn with a zxid -> commit -> Apply -> reply
//             (read)  wait for the connection's earlier writes -> execute -> reply
// which is ZooKeeper's PrepRequestProcessor / SyncRequestProcessor / FinalRequestProcessor
// chain, as plain calls on one thread.
//
// Pure: no sockets, threads or clocks. Time comes in with every call (Now), bytes come in as
// frames and leave through the Responder. Commit is currently immediate (in-memory); the
// durable log and replication slot in between Propose and Commit.
// Not thread-safe: every call must come from the one core thread.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "proto/jute/records.h"
#include "proto/jute/requests.h"
#include "server/auth/auth.h"
#include "server/datatree/data_tree.h"
#include "server/node/ensemble_env.h"
#include "server/node/node_options.h"
#include "server/node/responder.h"
#include "server/node/txn_log.h"
#include "server/session/session_tracker.h"
#include "server/txn/pending_changes.h"
#include "server/txn/prepare.h"
#include "server/txn/txn.h"
#include "server/zab/peer.h"

namespace caucus::node {

struct Now {
  int64_t wall_ms = 0;  // for ctime/mtime and TTLs (wall clock, as ZooKeeper)
  int64_t mono_ms = 0;  // for session expiry
};

// Per-connection figures for `cons`/`stat`.
struct ConnStats {
  int64_t established_wall_ms = 0;
  int64_t packets_received = 0;
  int64_t packets_sent = 0;
  int64_t last_zxid = 0;
  std::string last_op = "NA";
  int64_t last_cxid = -1;
  int64_t last_latency_ms = 0;
  int64_t min_latency_ms = -1;
  int64_t max_latency_ms = 0;
  int64_t total_latency_ms = 0;
  int64_t completed = 0;
};

struct ConnInfo {
  ConnId id = 0;
  std::string remote;
  int64_t session_id = 0;
  int32_t timeout_ms = 0;
  size_t queued = 0;
  ConnStats stats;
};

struct ServerStats {
  int64_t packets_received = 0;
  int64_t packets_sent = 0;
  int64_t min_latency_ms = -1;
  int64_t max_latency_ms = 0;
  int64_t total_latency_ms = 0;
  int64_t completed = 0;
  int64_t outstanding = 0;
  int64_t log_write_failures = 0;  // batches the durable log could not write
  int64_t failed_writes = 0;       // client writes answered SystemError because of that
};

class Node : public zab::StateSource {
 public:
  // `log` (optional) makes writes durable before they are applied; without it a write is
  // applied as soon as it is prepared (in-memory mode). `tree` is the recovered state (a
  // fresh tree when null); its last_processed_zxid continues the zxid sequence.
  Node(NodeOptions options, Responder& responder, TxnLog* log = nullptr,
       std::unique_ptr<datatree::DataTree> tree = nullptr);
  // A member of an ensemble: writes are ordered by ZAB (`peer`), durable through `env`.
  Node(NodeOptions options, Responder& responder, EnsembleEnv& env, zab::PeerOptions peer,
       zab::PersistentState state, std::unique_ptr<datatree::DataTree> tree);
  ~Node() override;
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // A TCP connection was accepted from `remote_ip` ("1.2.3.4" or an IPv6 literal).
  void OnConnectionOpened(ConnId conn, std::string remote_ip, std::string remote, Now now);
  // One complete frame (without its length prefix) arrived on `conn`.
  void OnFrame(ConnId conn, std::string_view frame, Now now);
  // The connection is gone (closed by either side); its watches go with it.
  void OnConnectionClosed(ConnId conn);
  // Periodic work: session expiry, container/TTL reaping.
  void Tick(Now now);

  // --- Ensemble inputs (from the peer transport and the replication timer) ---
  void OnPeerNotification(zab::ServerId from, const zab::Notification& n, Now now);
  void OnPeerMessage(zab::ServerId from, zab::ChannelId ch, const zab::Message& m, Now now);
  void OnPeerChannelClosed(zab::ChannelId ch, Now now);
  void PeerTick(Now now);
  const zab::Peer* peer() const { return peer_.get(); }
  // zab::StateSource: the state for a learner's SNAP.
  zab::StateSnapshot TakeSnapshot() override;

  // --- From the durable log (see TxnLog) ---
  void OnLogDurable(uint64_t generation, int64_t zxid, Now now);
  void OnLogFailed(uint64_t generation, std::string_view message, Now now);
  // A session recovered from disk; its timeout starts again from `now`, as in ZooKeeper.
  void RestoreSession(int64_t id, int32_t timeout_ms, Now now);
  // Transactions applied since the counter was last reset (the snapshot trigger).
  int64_t txns_since_snapshot() const { return txns_since_snapshot_; }
  // About how many bytes those transactions took in the log.
  int64_t txn_bytes_since_snapshot() const { return txn_bytes_since_snapshot_; }
  void ResetSnapshotCounter() { txns_since_snapshot_ = txn_bytes_since_snapshot_ = 0; }
  // Whether a write is waiting for the log (for tests and the `mntr` command).
  size_t proposals_in_flight() const { return proposed_.size(); }

  // --- Introspection for the admin commands ---
  const datatree::DataTree& tree() const { return *tree_; }
  const session::SessionTracker& sessions() const { return sessions_; }
  std::vector<ConnInfo> Connections() const;
  const ServerStats& stats() const { return stats_; }
  void ResetStats();
  int64_t last_zxid() const { return tree_->last_processed_zxid(); }
  const NodeOptions& options() const { return options_; }

 private:
  struct Conn;
  struct Queued {
    jute::Request req;
    int64_t received_mono_ms = 0;
    // Set when the body could not be decoded (or the op is not for clients): the request is
    // answered with this error, in order.
    jute::Error bad = jute::Error::kOk;
    std::string raw_body;  // ensemble learners: the body as received, to forward as is
    // Ensemble reads: the per-call mode (kCaucusRead), or the mode to set
    // (kCaucusSetReadMode); otherwise the connection's mode applies.
    std::optional<ReadMode> mode;
  };
  // A read held until a quorum round (or the leader's read index) says which zxid it must
  // see, then until this server has applied that far. Reads are answered in the order they
  // came on the connection, local ones queued behind it included.
  struct LinearRead {
    Queued q;
    uint64_t ticket = 0;  // the round or read index it waits on; 0 = the next one
    int64_t target = -1;  // known once the ticket completes
  };
  // The linearizable reads of one mode that share one quorum round (or one read index):
  // concurrent reads cost one round between them.
  struct ReadBatch {
    std::map<uint64_t, std::vector<ConnId>> inflight;  // ticket -> connections with reads on it
    std::vector<ConnId> next;  // connections with reads for the next ticket
  };
  // A client write submitted to Propose and not yet committed (or failed). Kept per session,
  // not per connection: a client that loses its connection reconnects the same session on a
  // new one while the old connection's writes are still in flight, and those writes must
  // still be answered in order (to the old connection, if it is still there) and must still
  // hold back the session's later reads (session FIFO, as ZooKeeper orders per session).
  // What answering a write needs of its request (not its body: that can be large).
  struct InFlightWrite {
    int32_t xid = 0;
    jute::OpCode op{};
    int64_t received_mono_ms = 0;
    ConnId conn = 0;  // the connection the request arrived on
    static InFlightWrite Of(const Queued& q, ConnId conn) {
      return InFlightWrite{q.req.xid, q.req.op, q.received_mono_ms, conn};
    }
  };

  Conn* FindConn(ConnId id);
  void HandleConnect(Conn& c, std::string_view frame, Now now);
  void FinishConnect(Conn& c, const session::Session& s, int32_t timeout_ms);
  void RejectConnect(Conn& c, std::string_view reason);
  void HandleRequest(Conn& c, const jute::RequestHeader& h, std::string_view body, Now now);
  void HandleClientRequest(Conn& c, const jute::RequestHeader& h, std::string_view body, Now now,
                           std::optional<ReadMode> mode);
  void HandleReadModeExtension(Conn& c, const jute::RequestHeader& h, std::string_view body,
                               Now now);
  void HandleAuth(Conn& c, const jute::Request& req);
  void Pump(Conn& c, Now now);
  void ExecuteRead(Conn& c, const Queued& q, Now now);
  void SubmitWrite(Conn& c, Queued& q, Now now);  // spends q.req
  void Propose(txn::Txn txn, Now now);
  void FailProposal(const txn::Txn& txn, Now now);
  void Commit(const txn::Txn& txn, Now now);
  void ReplyToWrite(const txn::Txn& txn, const txn::ApplyResult& r, Now now);
  // Removes the in-flight entry of a client write that was committed or failed (nullopt when
  // the txn is not one: createSession, server-issued txns).
  std::optional<InFlightWrite> TakeInFlight(const txn::Txn& txn);
  // The connection to answer `w` on: the one it arrived on, if that is still open and bound
  // to the session; otherwise nullptr, and the reply is dropped (ZooKeeper drops it with the
  // closed connection; the client saw ConnectionLoss for it).
  Conn* ReplyConn(const InFlightWrite& w, int64_t session_id);
  // Resumes the session's current connection: its reads may have waited for these writes.
  void PumpSession(int64_t session_id, Now now);
  // After a committed closeSession: closes the session's connection, if it still has one.
  void CloseSessionConn(int64_t session_id);
  bool HasWritesInFlight(int64_t session_id) const;
  void DeliverWatches() { SendWatchEvents(tree_->TakeFiredWatches()); }
  void SendWatchEvents(const std::vector<datatree::FiredWatch>& fired);
  static const char* OpNameOf(jute::OpCode op);
  void ExpireSession(int64_t session_id, Now now);
  void ReapContainers(Now now);

  void SendReply(Conn& c, int32_t xid, jute::Error err, const std::string& body, Now now,
                 int64_t received_mono_ms, std::string_view op, bool body_on_error = false);
  void SendRaw(ConnId conn, std::string frame);
  int64_t NextZxid();
  std::string SessionPassword(int64_t session_id) const;
  int64_t NextSessionId(Now now);
  txn::RequestContext Context(int64_t session, int32_t cxid, Now now,
                              const auth::AuthIds* ids);

  // --- Linearizable reads (linear_reads.cc) ---
  bool NeedsTicket(const Conn& c, const Queued& q) const;
  void EnqueueLinear(Conn& c, Queued q, Now now);
  uint64_t StartTicket(ReadMode mode);
  void OnTicketDone(ReadMode mode, uint64_t ticket, bool ok, int64_t target, Now now);
  void ServeLinear(Conn& c, Now now);
  void ServeAwaiting(Now now);
  void FailBatch(ReadBatch& b, std::string_view why);
  void OnReadRound(const zab::ReadRoundDone& done, Now now);
  void LeaderReadIndex(zab::ServerId from, int64_t id);
  void OnReadIndexReply(int64_t id, bool ok, int64_t zxid, Now now);
  ReadBatch& BatchOf(ReadMode mode) { return mode == ReadMode::kLeader ? leader_batch_ : quorum_batch_; }

  // --- Ensemble (node_ensemble.cc) ---
  bool IsLeader() const;
  void Drive(Now now);
  void ActOnReady(zab::Ready& rd, Now now);
  void CommitEntry(const zab::Entry& e, Now now);
  void OnRole(const zab::RoleChange& role, Now now);
  void DropClients(std::string_view why);
  void CloseClient(Conn& c, std::string_view why);
  void ReplaceState(InstalledState state, Now now);
  void HandlePeerPayload(zab::ServerId from, std::string_view bytes, Now now);
  void LeaderOrderForwarded(const struct ForwardedRequest& r, Now now);
  void ForwardWrite(Conn& c, const Queued& q, Now now);
  void LoseLeader(Now now);
  void CloseHeldWrites(Now now);
  std::shared_ptr<const std::string> EpochStartEntry(int64_t zxid) override;

  NodeOptions options_;
  Responder& responder_;
  std::unique_ptr<datatree::DataTree> tree_;
  TxnLog* log_;
  std::deque<txn::Txn> proposed_;  // appended to the log, waiting to be durable
  uint64_t log_generation_ = 0;
  int64_t txns_since_snapshot_ = 0;
  int64_t txn_bytes_since_snapshot_ = 0;
  txn::PendingChanges pending_;
  std::unique_ptr<txn::Preparer> preparer_;
  session::SessionTracker sessions_;
  std::unordered_map<ConnId, std::unique_ptr<Conn>> conns_;
  std::unordered_map<int64_t, ConnId> session_conn_;
  // Per session: its submitted client writes in zxid order (commit order).
  std::unordered_map<int64_t, std::deque<InFlightWrite>> session_writes_;
  int64_t next_zxid_ = 1;
  int64_t next_session_id_ = 0;
  int64_t next_reap_mono_ms_ = 0;
  ServerStats stats_;
  auth::AuthIds server_auth_;  // the identity of server-internal requests (reaper)

  EnsembleEnv* env_ = nullptr;
  std::unique_ptr<zab::Peer> peer_;  // null for a standalone server
  bool was_serving_ = false;
  std::vector<int64_t> touched_;     // learner: sessions to touch on the leader
  int64_t leaderless_since_ms_ = -1;  // mono time the leader was lost (-1: we have one)

  ReadBatch quorum_batch_;
  ReadBatch leader_batch_;
  std::vector<ConnId> awaiting_apply_;  // connections whose next read waits for an apply
  int64_t next_index_id_ = 1;           // learner: ids of read-index requests to the leader
  // Leader: the read-index request (from a learner, or 0 for our own) each round confirms.
  struct IndexWaiter {
    zab::ServerId from = 0;
    int64_t id = 0;
  };
  std::map<uint64_t, IndexWaiter> index_rounds_;
};

}  // namespace caucus::node
