#include "server/admin/four_letter_words.h"

#include <dirent.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>

namespace caucus::admin {
namespace {

std::string Hex(int64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string Avg(int64_t total, int64_t count) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", count ? static_cast<double>(total) / count : 0.0);
  // ZooKeeper prints a double; trim trailing zeros but keep one decimal.
  std::string s(buf);
  while (s.size() > 3 && s.back() == '0' && s[s.size() - 2] != '.') s.pop_back();
  return s;
}

int64_t DirSize(const std::string& path) {
  int64_t total = 0;
  DIR* d = opendir(path.c_str());
  if (!d) return 0;
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    std::string full = path + "/" + name;
    struct stat st{};
    if (lstat(full.c_str(), &st) != 0) continue;
    total += S_ISDIR(st.st_mode) ? DirSize(full) : static_cast<int64_t>(st.st_size);
  }
  closedir(d);
  return total;
}

int64_t OpenFds() {
  int64_t n = 0;
  if (DIR* d = opendir("/proc/self/fd")) {
    while (readdir(d)) ++n;
    closedir(d);
    n -= 3;  // ".", ".." and the directory handle itself
  }
  return n;
}

// ZooKeeper's names: standalone, leader, follower, observer; a member without an
// established leader is reported as ZooKeeper's "looking" would be (srvr fails there).
const char* ServerMode(const node::Node& n) {
  const zab::Peer* p = n.peer();
  if (!p) return "standalone";
  switch (p->state()) {
    case zab::PeerState::kLeading: return "leader";
    case zab::PeerState::kFollowing: return "follower";
    case zab::PeerState::kObserving: return "observer";
    case zab::PeerState::kLooking: break;
  }
  return "looking";
}

std::string ServerStatsText(const AdminContext& ctx) {
  const auto& s = ctx.node->stats();
  std::ostringstream o;
  o << "Latency min/avg/max: " << (s.min_latency_ms < 0 ? 0 : s.min_latency_ms) << "/"
    << Avg(s.total_latency_ms, s.completed) << "/" << s.max_latency_ms << "\n";
  o << "Received: " << s.packets_received << "\n";
  o << "Sent: " << s.packets_sent << "\n";
  o << "Connections: " << ctx.alive_connections << "\n";
  o << "Outstanding: " << s.outstanding << "\n";
  o << "Zxid: 0x" << Hex(ctx.node->last_zxid()) << "\n";
  o << "Mode: " << ServerMode(*ctx.node) << "\n";
  return o.str();
}

void ConnectionLine(std::ostringstream& o, const node::ConnInfo& c, bool brief) {
  o << " " << c.remote << "[1](queued=" << c.queued << ",recved=" << c.stats.packets_received
    << ",sent=" << c.stats.packets_sent;
  if (!brief && c.session_id != 0) {
    const auto& s = c.stats;
    o << ",sid=0x" << Hex(c.session_id) << ",lop=" << s.last_op
      << ",est=" << s.established_wall_ms << ",to=" << c.timeout_ms;
    if (s.last_cxid >= 0) o << ",lcxid=0x" << Hex(s.last_cxid);
    o << ",lzxid=0x" << Hex(s.last_zxid) << ",lresp=" << s.established_wall_ms
      << ",llat=" << s.last_latency_ms << ",minlat=" << (s.min_latency_ms < 0 ? 0 : s.min_latency_ms)
      << ",avglat=" << (s.completed ? s.total_latency_ms / s.completed : 0)
      << ",maxlat=" << s.max_latency_ms;
  }
  o << ")\n";
}

std::string Srvr(const AdminContext& ctx, bool with_clients) {
  std::ostringstream o;
  o << "Zookeeper version: " << FullVersion() << "\n";
  if (with_clients) {
    o << "Clients:\n";
    for (const auto& c : ctx.node->Connections()) ConnectionLine(o, c, true);
    o << "\n";
  }
  o << ServerStatsText(ctx);
  o << "Node count: " << ctx.node->tree().node_count() << "\n";
  return o.str();
}

std::string Cons(const AdminContext& ctx) {
  std::ostringstream o;
  for (const auto& c : ctx.node->Connections()) ConnectionLine(o, c, false);
  o << "\n";
  return o.str();
}

std::string Conf(const AdminContext& ctx) {
  const auto& c = *ctx.config;
  std::ostringstream o;
  o << "clientPort=" << c.client_port << "\n";
  o << "secureClientPort=-1\n";
  o << "dataDir=" << c.data_dir << "\n";
  o << "dataDirSize=" << DirSize(c.data_dir) << "\n";
  std::string log_dir = c.data_log_dir.empty() ? c.data_dir : c.data_log_dir;
  o << "dataLogDir=" << log_dir << "\n";
  o << "dataLogSize=" << DirSize(log_dir) << "\n";
  o << "tickTime=" << c.tick_time_ms << "\n";
  o << "maxClientCnxns=" << c.max_client_cnxns << "\n";
  o << "minSessionTimeout=" << c.EffectiveMinSessionTimeoutMs() << "\n";
  o << "maxSessionTimeout=" << c.EffectiveMaxSessionTimeoutMs() << "\n";
  o << "clientPortListenBacklog=-1\n";
  o << "serverId=0\n";
  return o.str();
}

std::string Envi() {
  std::ostringstream o;
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  char cwd[4096] = {0};
  if (!getcwd(cwd, sizeof cwd - 1)) cwd[0] = 0;
  struct utsname u{};
  uname(&u);
  const char* user = getenv("USER");
  const char* home = getenv("HOME");
  o << "Environment:\n";
  o << "zookeeper.version=" << FullVersion() << "\n";
  o << "host.name=" << host << "\n";
  o << "caucus.version=0.1.0\n";
  o << "os.name=" << u.sysname << "\n";
  o << "os.arch=" << u.machine << "\n";
  o << "os.version=" << u.release << "\n";
  o << "user.name=" << (user ? user : "") << "\n";
  o << "user.home=" << (home ? home : "") << "\n";
  o << "user.dir=" << cwd << "\n";
  return o.str();
}

std::string Wchs(const AdminContext& ctx) {
  const auto& w = ctx.node->tree().watches();
  std::ostringstream o;
  o << w.WatcherCount() << " connections watching " << w.PathCount() << " paths\n";
  o << "Total watches:" << w.WatchCount() << "\n";
  return o.str();
}

std::string WatchesBy(const AdminContext& ctx, bool by_path) {
  std::map<std::string, std::set<std::string>> groups;
  std::map<uint64_t, int64_t> session_of;
  for (const auto& c : ctx.node->Connections()) session_of[c.id] = c.session_id;
  for (const auto& [watcher, path] : ctx.node->tree().watches().Dump()) {
    std::string sid = "0x" + Hex(session_of.count(watcher) ? session_of[watcher] : 0);
    if (by_path) {
      groups[path].insert(sid);
    } else {
      groups[sid].insert(path);
    }
  }
  std::ostringstream o;
  if (groups.empty()) return "\n";
  for (const auto& [k, vs] : groups) {
    o << k << "\n";
    for (const auto& v : vs) o << "\t" << v << "\n";
  }
  return o.str();
}

std::string Dump(const AdminContext& ctx) {
  std::ostringstream o;
  const auto& sessions = ctx.node->sessions().sessions();
  o << "SessionTracker dump:\nGlobal Sessions(" << sessions.size() << "):\n";
  std::map<int64_t, int32_t> sorted;
  for (const auto& [id, s] : sessions) sorted[id] = s.timeout_ms;
  for (const auto& [id, to] : sorted) o << "0x" << Hex(id) << "\t" << to << "ms\n";
  o << "ephemeral nodes dump:\n";
  std::ostringstream body;
  int n = 0;
  for (const auto& [id, to] : sorted) {
    auto es = ctx.node->tree().EphemeralsOf(id);
    if (es.empty()) continue;
    ++n;
    body << "0x" << Hex(id) << ":\n";
    for (const auto& p : es) body << "\t" << p << "\n";
  }
  o << "Sessions with Ephemerals (" << n << "):\n" << body.str();
  o << "Connections with Ephemerals (" << n << "):\n";
  return o.str();
}

std::string Mntr(const AdminContext& ctx) {
  const auto& s = ctx.node->stats();
  const auto& tree = ctx.node->tree();
  struct rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  std::ostringstream o;
  auto kv = [&o](const char* k, const auto& v) { o << k << "\t" << v << "\n"; };
  kv("zk_version", FullVersion());
  kv("zk_server_state", ServerMode(*ctx.node));
  if (const zab::Peer* p = ctx.node->peer()) {
    // ZooKeeper prints zk_synced_followers on the leader only; every key starts with zk_.
    if (p->state() == zab::PeerState::kLeading) kv("zk_synced_followers", p->synced_learners());
    kv("zk_caucus_epoch", p->epoch());
    kv("zk_caucus_committed_zxid", "0x" + Hex(p->committed()));
    kv("zk_caucus_read_rounds_in_flight", p->read_rounds_in_flight());
  }
  kv("zk_avg_latency", Avg(s.total_latency_ms, s.completed));
  kv("zk_max_latency", s.max_latency_ms);
  kv("zk_min_latency", s.min_latency_ms < 0 ? 0 : s.min_latency_ms);
  kv("zk_packets_received", s.packets_received);
  kv("zk_packets_sent", s.packets_sent);
  kv("zk_num_alive_connections", ctx.alive_connections);
  kv("zk_outstanding_requests", s.outstanding);
  kv("zk_znode_count", tree.node_count());
  kv("zk_watch_count", tree.watches().WatchCount());
  kv("zk_ephemerals_count", tree.EphemeralCount());
  kv("zk_approximate_data_size", tree.approximate_data_size());
  kv("zk_open_file_descriptor_count", OpenFds());
  kv("zk_max_file_descriptor_count", static_cast<int64_t>(rl.rlim_cur));
  kv("zk_uptime", ctx.now_wall_ms - ctx.start_wall_ms);
  kv("zk_global_sessions", ctx.node->sessions().size());
  kv("zk_last_zxid", "0x" + Hex(ctx.node->last_zxid()));
  kv("zk_log_write_failures", s.log_write_failures);
  kv("zk_log_failed_requests", s.failed_writes);
  kv("zk_log_pending_requests", ctx.node->proposals_in_flight());
  return o.str();
}

}  // namespace

std::string FullVersion() {
  return std::string(kCompatVersion) + "-caucus-0.1.0, built on " __DATE__ " " __TIME__ " UTC";
}

bool IsFourLetterWord(const std::string& word) {
  static const std::set<std::string> kWords = {"conf", "cons", "crst", "dirs", "dump", "envi",
                                               "gtmk", "ruok", "stmk", "srvr", "srst", "stat",
                                               "wchc", "wchp", "wchs", "mntr", "isro", "hash"};
  return kWords.count(word) > 0;
}

std::string NotWhitelisted(const std::string& word) {
  return word + " is not executed because it is not in the whitelist.\n";
}

std::string RunFourLetterWord(const std::string& word, const AdminContext& ctx,
                              node::Node* mutable_node) {
  if (word == "ruok") return "imok";
  if (word == "srvr") return Srvr(ctx, false);
  if (word == "stat") return Srvr(ctx, true);
  if (word == "mntr") return Mntr(ctx);
  if (word == "conf") return Conf(ctx);
  if (word == "cons") return Cons(ctx);
  if (word == "envi") return Envi();
  if (word == "wchs") return Wchs(ctx);
  if (word == "wchc") return WatchesBy(ctx, false);
  if (word == "wchp") return WatchesBy(ctx, true);
  if (word == "dump") return Dump(ctx);
  if (word == "isro") return "rw";
  if (word == "gtmk") return "0\n";
  if (word == "stmk") return "0\n";
  if (word == "hash") return "";
  if (word == "dirs") {
    std::string log_dir =
        ctx.config->data_log_dir.empty() ? ctx.config->data_dir : ctx.config->data_log_dir;
    return "datadir_size: " + std::to_string(DirSize(ctx.config->data_dir)) +
           "\nlogdir_size: " + std::to_string(DirSize(log_dir)) + "\n";
  }
  if (word == "crst") {
    if (mutable_node) mutable_node->ResetStats();
    return "Connection stats reset.\n";
  }
  if (word == "srst") {
    if (mutable_node) mutable_node->ResetStats();
    return "Server stats reset.\n";
  }
  return "";
}

}  // namespace caucus::admin
