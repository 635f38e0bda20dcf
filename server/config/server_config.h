// ServerConfig: everything an operator can set, parsed from a ZooKeeper-format zoo.cfg.
// A plain value type: parsed once at start-up, then read-only and freely copied.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "server/config/server_spec.h"

namespace caucus::config {

struct ServerConfig {
  // Path of the file the config came from (empty when started with defaults).
  std::string source_path;

  int32_t tick_time_ms = 2000;             // tickTime
  std::string data_dir = "/var/lib/caucus";  // dataDir (default when started without a file:
                                           // see DefaultConfig())
  std::string data_log_dir;                // dataLogDir (empty = same as data_dir)
  int32_t client_port = 2181;              // clientPort
  std::string client_port_address = "0.0.0.0";  // clientPortAddress
  int32_t min_session_timeout_ms = -1;     // minSessionTimeout (-1 = 2 * tickTime)
  int32_t max_session_timeout_ms = -1;     // maxSessionTimeout (-1 = 20 * tickTime)
  int32_t max_client_cnxns = 60;           // maxClientCnxns per client IP (0 = unlimited)
  int32_t jute_max_buffer = 0xfffff;       // jute.maxbuffer (bytes)
  int32_t init_limit = 10;                 // initLimit (ticks)
  int32_t sync_limit = 5;                  // syncLimit (ticks)
  int32_t global_outstanding_limit = 1000; // globalOutstandingLimit
  bool four_lw_all = false;                // 4lw.commands.whitelist=*
  std::vector<std::string> four_lw_whitelist = {"srvr"};  // 4lw.commands.whitelist
  std::string super_digest;                // DigestAuthenticationProvider.superDigest
                                           // ("super:<base64 sha1>")
  bool extended_types_enabled = false;     // extendedTypesEnabled (TTL nodes)
  int64_t container_check_interval_ms = 60000;     // znode.container.checkIntervalMs
  int32_t container_max_per_minute = 10000;        // znode.container.maxPerMinute
  int64_t container_max_never_used_interval_ms = 0;  // znode.container.maxNeverUsedIntervalMs
  bool reconfig_enabled = false;           // reconfigEnabled
  bool standalone_enabled = true;          // standaloneEnabled
  int32_t autopurge_snap_retain_count = 3; // autopurge.snapRetainCount
  int32_t autopurge_purge_interval_h = 0;  // autopurge.purgeInterval
  int32_t snap_count = 100000;             // snapCount
  bool force_sync = true;                  // forceSync
  std::string read_consistency = "local";  // readConsistency=local|quorum|leader (Caucus ext.)
  std::string log_level = "info";
  std::vector<ServerSpec> servers;         // server.N lines, sorted by id
  int32_t commit_log_count = 10000;        // commitLogCount: committed txns a leader keeps in
                                           // memory to DIFF a learner (beyond: SNAP)
  bool peer_type_observer = false;         // peerType=observer          // logLevel=debug|info|warn|error (Caucus extension)

  // Every key/value as read (trimmed; last value of a duplicate key), sorted by key, for the
  // `conf` 4lw and /zookeeper/config; includes keys Caucus does not interpret.
  std::map<std::string, std::string> raw;

  int32_t EffectiveMinSessionTimeoutMs() const {
    return min_session_timeout_ms < 0 ? 2 * tick_time_ms : min_session_timeout_ms;
  }
  int32_t EffectiveMaxSessionTimeoutMs() const {
    return max_session_timeout_ms < 0 ? 20 * tick_time_ms : max_session_timeout_ms;
  }
  // Whether this is an ensemble member rather than a standalone server: as in ZooKeeper, a
  // single server.N line with standaloneEnabled=true still means standalone.
  bool IsEnsemble() const { return servers.size() > 1 || (!servers.empty() && !standalone_enabled); }
  // ZooKeeper's whitelist semantics: everything when four_lw_all, else the listed words;
  // "srvr" is always allowed (zkServer.sh status depends on it). Defined in config_parser.cc.
  bool FourLetterWordAllowed(const std::string& cmd) const;
};

}  // namespace caucus::config
