#include "server/runtime/server.h"

#include <utility>  // must precede Asio: Boost 1.74 awaitable.hpp lacks it under C++20

#include <boost/asio.hpp>
#include <chrono>
#include <filesystem>

#include "server/admin/four_letter_words.h"
#include "server/base/log.h"
#include "server/net/client_server.h"
#include "server/node/node.h"
#include "server/runtime/clock.h"
#include "server/runtime/ensemble_host.h"
#include "server/runtime/ensemble_plan.h"
#include "server/net/peer_transport.h"
#include "server/runtime/snapshotter.h"
#include "server/storage/log_writer.h"
#include "server/storage/recovery.h"
#include "server/storage/wal_check.h"

namespace caucus::runtime {
namespace {

namespace asio = boost::asio;

node::NodeOptions OptionsFrom(const config::ServerConfig& c, uint64_t secret, int64_t server_id) {
  node::NodeOptions o;
  o.server_id = server_id;
  o.tick_ms = c.tick_time_ms;
  o.min_session_timeout_ms = c.EffectiveMinSessionTimeoutMs();
  o.max_session_timeout_ms = c.EffectiveMaxSessionTimeoutMs();
  o.super_digest = c.super_digest;
  o.extended_types_enabled = c.extended_types_enabled;
  o.reconfig_enabled = c.reconfig_enabled;
  o.container_check_interval_ms = c.container_check_interval_ms;
  o.container_max_per_minute = c.container_max_per_minute;
  o.container_max_never_used_interval_ms = c.container_max_never_used_interval_ms;
  o.secret = secret;
  o.read_mode = c.read_consistency == "quorum"   ? node::ReadMode::kQuorum
                : c.read_consistency == "leader" ? node::ReadMode::kLeader
                                                 : node::ReadMode::kLocal;
  // As long as a ZooKeeper follower waits for its leader before it gives up on it.
  o.leaderless_write_wait_ms = int64_t{c.sync_limit} * c.tick_time_ms;
  return o;
}

// What ZAB restarts from: the durable epochs and the log after the snapshot (already applied
// by recovery). Empty on success, else why not.
std::string LoadPeerState(storage::SqliteLog& log, int64_t snapshot_zxid,
                          zab::PersistentState* out) {
  for (auto [key, field] : {std::pair{"acceptedEpoch", &out->epochs.accepted},
                            std::pair{"currentEpoch", &out->epochs.current},
                            std::pair{"readFloor", &out->epochs.read_floor}}) {
    std::string v;
    base::Status s = log.GetMeta(key, &v);
    if (s.ok() && !v.empty()) *field = std::stoll(v);
  }
  out->log_base = snapshot_zxid;
  base::Status s = log.ReadAfter(snapshot_zxid, [out](int64_t zxid, std::string_view payload) {
    out->entries.push_back(zab::Entry{zxid, std::make_shared<const std::string>(payload)});
    return true;
  });
  return s.ok() ? std::string() : "cannot read the log for replication: " + s.message();
}

bool MakeDir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) CAUCUS_LOG(Error) << "cannot create directory '" << dir << "': " << ec.message();
  return !ec;
}

}  // namespace

int RunServer(const config::ServerConfig& config) {
  // Caucus keeps its files in a subdirectory, so a dataDir shared with ZooKeeper's version-2/
  // files is never confused with ours.
  std::string snap_dir = config.data_dir + "/caucus";
  std::string log_dir = (config.data_log_dir.empty() ? config.data_dir : config.data_log_dir) +
                        "/caucus";
  if (!MakeDir(snap_dir) || !MakeDir(log_dir)) return 1;

  std::string wal_finding;
  base::Status s = storage::CheckWal(log_dir + "/log.db-wal", &wal_finding);
  if (!s.ok()) {
    CAUCUS_LOG(Error) << "refusing to start, the data directory cannot be recovered "
                         "consistently: " << s.message();
    return 1;
  }
  if (!wal_finding.empty()) CAUCUS_LOG(Warn) << "recovery: " << wal_finding;
  auto log = storage::SqliteLog::Open(log_dir + "/log.db", &s);
  if (!log) {
    CAUCUS_LOG(Error) << "cannot open the transaction log: " << s.message();
    return 1;
  }
  auto started = std::chrono::steady_clock::now();
  storage::RecoveredState state;
  s = storage::Recover(snap_dir, *log, &state);
  for (const auto& line : state.report) CAUCUS_LOG(Info) << "recovery: " << line;
  if (!s.ok()) {
    CAUCUS_LOG(Error) << "refusing to start, the data directory cannot be recovered "
                         "consistently: " << s.message();
    return 1;
  }
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::steady_clock::now() - started).count();
  CAUCUS_LOG(Info) << "recovered " << state.tree->node_count() << " znodes in " << ms << " ms";

  std::optional<EnsemblePlan> plan;
  config::ServerConfig cfg = config;
  zab::PersistentState peer_state;
  if (config.IsEnsemble()) {
    std::string err;
    plan = PlanEnsemble(config, &err);
    if (!plan) {
      CAUCUS_LOG(Error) << "cannot start as an ensemble member: " << err;
      return 1;
    }
    if (plan->self_spec.client_port != 0) {
      // server.N=...;[address:]port names this member's client port, as in ZooKeeper 3.5+.
      cfg.client_port = plan->self_spec.client_port;
      if (!plan->self_spec.client_address.empty()) {
        cfg.client_port_address = plan->self_spec.client_address;
      }
    }
    if (std::string e = LoadPeerState(*log, state.snapshot_zxid, &peer_state); !e.empty()) {
      CAUCUS_LOG(Error) << "refusing to start: " << e;
      return 1;
    }
    state.secret = plan->secret;
    // As ZooKeeper: the membership is readable at /zookeeper/config (version -1, zxid 0).
    state.tree->SetData("/zookeeper/config", MembershipConfig(config), -1, 0, Clock().wall_ms,
                        nullptr);
  }

  asio::io_context io(1);
  node::Node* core_ptr = nullptr;
  // The storage thread reports on the core thread, where the Node lives.
  storage::LogWriter writer(std::move(log), [&io, &core_ptr](uint64_t gen, int64_t zxid,
                                                              const base::Status& st) {
    asio::post(io, [&core_ptr, gen, zxid, ok = st.ok(), msg = st.message()] {
      if (!core_ptr) return;
      if (ok) {
        core_ptr->OnLogDurable(gen, zxid, Clock());
      } else {
        core_ptr->OnLogFailed(gen, msg, Clock());
      }
    });
  });
  net::ClientServer server(io, cfg);
  std::unique_ptr<EnsembleHost> host;
  std::unique_ptr<net::PeerTransport> transport;
  std::unique_ptr<node::Node> core;
  if (plan) {
    host = std::make_unique<EnsembleHost>(writer, snap_dir, state.secret);
    core = std::make_unique<node::Node>(OptionsFrom(cfg, state.secret, plan->peer.id), server,
                                        *host, plan->peer, std::move(peer_state),
                                        std::move(state.tree));
    transport = std::make_unique<net::PeerTransport>(io, plan->self, plan->others, *host);
  } else {
    core = std::make_unique<node::Node>(OptionsFrom(cfg, state.secret, 0), server, &writer,
                                        std::move(state.tree));
  }
  core_ptr = core.get();
  for (const auto& sess : state.sessions) core->RestoreSession(sess.id, sess.timeout_ms, Clock());

  Snapshotter snapshotter(io, *core, writer, snap_dir, config.snap_count,
                          config.autopurge_snap_retain_count, state.secret);
  if (host) host->Bind(core.get(), transport.get(), &snapshotter);
  asio::steady_timer snap_timer(io);
  std::function<void()> schedule = [&] {
    snap_timer.expires_after(std::chrono::milliseconds(100));
    snap_timer.async_wait([&](boost::system::error_code ec) {
      if (ec) return;
      snapshotter.MaybeStart();
      schedule();
    });
  };
  schedule();
  asio::steady_timer peer_timer(io);
  std::function<void()> peer_tick = [&] {
    peer_timer.expires_after(std::chrono::milliseconds(kPeerTickMs));
    peer_timer.async_wait([&](boost::system::error_code ec) {
      if (ec) return;
      core->PeerTick(Clock());
      peer_tick();
    });
  };
  if (transport) {
    if (std::string err = transport->Start(); !err.empty()) {
      CAUCUS_LOG(Error) << err;
      return 1;
    }
    peer_tick();
  }

  if (std::string err = server.Start(*core, Clock().wall_ms); !err.empty()) {
    CAUCUS_LOG(Error) << err;
    return 1;
  }
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code ec, int sig) {
    if (ec) return;
    CAUCUS_LOG(Info) << "signal " << sig << " received, shutting down";
    server.Stop();
    if (transport) transport->Stop();
    snap_timer.cancel();
    peer_timer.cancel();
    io.stop();
  });
  CAUCUS_LOG(Info) << "caucusd " << admin::FullVersion() << " serving clients on "
                   << cfg.client_port_address << ":" << server.port() << " ("
                   << (plan ? "ensemble member " + std::to_string(plan->peer.id)
                            : std::string("standalone"))
                   << ", dataDir " << config.data_dir << ")";
  io.run();
  core_ptr = nullptr;
  writer.Stop();
  return 0;
}

}  // namespace caucus::runtime
