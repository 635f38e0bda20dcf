// EnsemblePlan: this server's place in the ensemble, from zoo.cfg's server.N lines and the
// myid file in dataDir (as ZooKeeper reads them), in the terms the core and transport need.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "server/config/server_config.h"
#include "server/net/peer_transport.h"
#include "server/zab/options.h"

namespace caucus::runtime {

// ZAB's tick (a timer wake-up on an idle server costs nothing worth counting). Limits from zoo.cfg (initLimit, syncLimit, in tickTime units) are converted to
// this finer tick so that a lost leader is noticed as soon as ZooKeeper would notice it.
constexpr int kPeerTickMs = 25;

struct EnsemblePlan {
  zab::PeerOptions peer;
  net::PeerAddress self;
  std::vector<net::PeerAddress> others;
  config::ServerSpec self_spec;
  // Session passwords must verify on every member, so the secret they derive from is the
  // same ensemble-wide (ZooKeeper uses one fixed constant for all servers).
  uint64_t secret = 0;
};

// What ZooKeeper publishes in /zookeeper/config for this membership (its dynamic config
// format: server.N=host:quorumPort:electionPort:role[;clientAddress:clientPort], version=0).
std::string MembershipConfig(const config::ServerConfig& c);

// nullopt with `error` set when myid is missing or names no server.N line.
std::optional<EnsemblePlan> PlanEnsemble(const config::ServerConfig& c, std::string* error);

}  // namespace caucus::runtime
