#include "server/runtime/ensemble_plan.h"

#include <algorithm>
#include <fstream>
#include <functional>
#include <sstream>

#include <unistd.h>
#include <ctime>

namespace caucus::runtime {
namespace {

std::optional<int64_t> ReadMyId(const std::string& data_dir) {
  std::ifstream in(data_dir + "/myid");
  int64_t id = 0;
  if (!(in >> id) || id < 1) return std::nullopt;
  return id;
}

uint64_t EnsembleSecret(const config::ServerConfig& c) {
  std::ostringstream key;
  key << "caucus-ensemble";
  for (const auto& s : c.servers) {
    key << ";" << s.id << "=" << s.host << ":" << s.quorum_port << ":" << s.election_port;
  }
  return std::hash<std::string>{}(key.str()) ^ 0x9e3779b97f4a7c15ull;
}

int32_t ToPeerTicks(int32_t limit, int32_t tick_ms) {
  return std::max<int32_t>(4, static_cast<int32_t>(int64_t{limit} * tick_ms / kPeerTickMs));
}

}  // namespace

std::string MembershipConfig(const config::ServerConfig& c) {
  std::ostringstream o;
  for (const auto& s : c.servers) {
    bool observer = s.observer;
    o << "server." << s.id << "=" << s.host << ":" << s.quorum_port << ":" << s.election_port
      << ":" << (observer ? "observer" : "participant");
    if (s.client_port != 0) {
      o << ";" << (s.client_address.empty() ? "0.0.0.0" : s.client_address) << ":"
        << s.client_port;
    }
    o << "\n";
  }
  o << "version=0";
  return o.str();
}

std::optional<EnsemblePlan> PlanEnsemble(const config::ServerConfig& c, std::string* error) {
  auto my_id = ReadMyId(c.data_dir);
  if (!my_id) {
    *error = "an ensemble member needs its id in " + c.data_dir +
             "/myid (a positive integer matching one server.N line)";
    return std::nullopt;
  }
  EnsemblePlan plan;
  plan.peer.id = *my_id;
  bool found = false;
  for (const auto& s : c.servers) {
    bool observer = s.observer || (s.id == *my_id && c.peer_type_observer);
    (observer ? plan.peer.observers : plan.peer.voters).push_back(s.id);
    net::PeerAddress a{s.id, s.host, s.quorum_port, s.election_port};
    if (s.id == *my_id) {
      plan.self = a;
      plan.self_spec = s;
      found = true;
    } else {
      plan.others.push_back(a);
    }
  }
  if (!found) {
    std::ostringstream e;
    e << "myid is " << *my_id << " but zoo.cfg has no server." << *my_id << " line";
    *error = e.str();
    return std::nullopt;
  }
  if (plan.peer.voters.empty()) {
    *error = "the ensemble has no voting member (every server.N is an observer)";
    return std::nullopt;
  }
  plan.peer.init_limit_ticks = ToPeerTicks(c.init_limit, c.tick_time_ms);
  plan.peer.sync_limit_ticks = ToPeerTicks(c.sync_limit, c.tick_time_ms);
  // ZooKeeper waits 200 ms (finalizeWait) for a better vote before deciding; two ticks
  // (50-75 ms) are plenty on a LAN, and a premature decision costs only a retry. The
  // simulator's sweeps fix the ratio: one tick made split elections repeat.
  plan.peer.finalize_ticks = 2;
  plan.peer.vote_resend_ticks = 200 / kPeerTickMs;
  plan.peer.log_window_entries = static_cast<size_t>(c.commit_log_count);
  plan.peer.incarnation = static_cast<uint32_t>(::time(nullptr)) * 31u +
                          static_cast<uint32_t>(::getpid());
  plan.secret = EnsembleSecret(c);
  return plan;
}

}  // namespace caucus::runtime
