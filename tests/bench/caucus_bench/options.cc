#include "tests/bench/caucus_bench/options.h"

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace caucus::bench {

const char* OpName(Op op) {
  switch (op) {
    case Op::kCreate: return "create";
    case Op::kSet: return "set";
    case Op::kGet: return "get";
    case Op::kExists: return "exists";
    case Op::kChildren: return "children";
    case Op::kDelete: return "delete";
    case Op::kMulti: return "multi";
    case Op::kCount: break;
  }
  return "?";
}

namespace {

constexpr const char* kUsage = R"(usage: caucus-bench [options]

Load generator for ZooKeeper-protocol servers (Caucus, Apache ZooKeeper).

  --connect H:P[,H:P...]  servers; sessions are spread round-robin     [127.0.0.1:2181]
  --sessions N            client sessions (TCP connections)            [8]
  --outstanding N         pipelined in-flight requests per session     [16]
  --duration S            measure for S seconds (fractions allowed)
  --ops N                 measure N operations (fan-out: N rounds)
                          (both: whichever ends first; neither: --duration 10)
  --warmup S              run the workload S seconds before measuring  [0]
  --mix op=w,...          weights of create,set,get,exists,children,delete,multi
                                                                       [get=1]
                          create: new znode <prefix>/c/<session>-<n>; delete: the
                          oldest znode this session created (a create if none);
                          set/get/exists/children: a uniformly random key
                          (children lists a key, a leaf); multi: --multi-size
                          setData ops on random keys in one transaction
  --value-size B          bytes of data for create/set and of the keys [100]
  --keys N                key-space size: <prefix>/k/0..N-1, created in a
                          pipelined setup phase (NodeExists is fine)  [1000]
  --prefix P              root of everything the benchmark creates     [/bench]
  --skip-setup            assume the keys exist
  --multi-size N          operations per multi                         [2]
  --threads T             the generator's own I/O threads              [1]
  --read-consistency M    local|quorum|leader|sync. quorum and leader set
                          Caucus' per-connection read mode (extension opcode
                          5001; ZooKeeper refuses it); sync sends a sync of
                          the path before every read (ZooKeeper's recipe for
                          a fresher read); local: plain reads      [local]
  --session-timeout MS    requested session timeout                    [30000]
  --seed N                random seed                                  [1]
  --fanout --watchers N   watch fan-out: N sessions each set a data watch on
                          <prefix>/w, one more session writes it; per round,
                          latency from the write's send to each notification
                          and until all N arrived
  --quiet                 print only the JSON line
  --help

The last line of output is one JSON object with every figure. Latencies are in
microseconds, measured from the request being queued for sending to its reply being parsed.
)";

bool ParseU64(std::string_view s, uint64_t& v) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  return r.ec == std::errc() && r.ptr == s.data() + s.size() && !s.empty();
}

bool ParseDouble(const std::string& s, double& v) {
  char* end = nullptr;
  v = std::strtod(s.c_str(), &end);
  return !s.empty() && end == s.c_str() + s.size() && v >= 0;
}

bool ParseHosts(const std::string& s, Options& o) {
  o.hosts.clear();
  size_t start = 0;
  while (start <= s.size()) {
    size_t comma = s.find(',', start);
    std::string_view item(s.data() + start, (comma == std::string::npos ? s.size() : comma) - start);
    size_t colon = item.rfind(':');
    if (colon == std::string_view::npos || colon == 0) return false;
    uint64_t port = 0;
    if (!ParseU64(item.substr(colon + 1), port) || port == 0 || port > 65535) return false;
    std::string host(item.substr(0, colon));
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    o.hosts.emplace_back(host, static_cast<uint16_t>(port));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return !o.hosts.empty();
}

bool ParseMix(const std::string& s, Options& o) {
  o.mix.fill(0);
  size_t start = 0;
  while (start < s.size()) {
    size_t comma = s.find(',', start);
    std::string_view item(s.data() + start, (comma == std::string::npos ? s.size() : comma) - start);
    size_t eq = item.find('=');
    if (eq == std::string_view::npos) return false;
    std::string_view name = item.substr(0, eq);
    uint64_t w = 0;
    if (!ParseU64(item.substr(eq + 1), w) || w > 1000000) return false;
    bool found = false;
    for (int i = 0; i < kOpCount; ++i) {
      if (name == OpName(static_cast<Op>(i))) {
        o.mix[static_cast<size_t>(i)] = static_cast<uint32_t>(w);
        found = true;
      }
    }
    if (!found) return false;
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  uint64_t total = 0;
  for (auto w : o.mix) total += w;
  return total > 0;
}

}  // namespace

std::optional<Options> ParseOptions(int argc, char** argv, int& exit_code) {
  Options o;
  ParseHosts("127.0.0.1:2181", o);
  o.connect_string = "127.0.0.1:2181";
  ParseMix("get=1", o);
  o.mix_string = "get=1";
  exit_code = 2;
  auto fail = [&](const std::string& msg) -> std::optional<Options> {
    std::fprintf(stderr, "caucus-bench: %s (see --help)\n", msg.c_str());
    return std::nullopt;
  };
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string val;
    bool has_val = false;
    if (auto eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      val = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      has_val = true;
    }
    auto need = [&]() -> bool {
      if (has_val) return true;
      if (i + 1 >= argc) return false;
      val = argv[++i];
      return true;
    };
    uint64_t u = 0;
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      exit_code = 0;
      return std::nullopt;
    } else if (arg == "--fanout") {
      o.fanout = true;
    } else if (arg == "--skip-setup") {
      o.skip_setup = true;
    } else if (arg == "--quiet") {
      o.quiet = true;
    } else if (!need()) {
      return fail("missing value for " + arg);
    } else if (arg == "--connect") {
      if (!ParseHosts(val, o)) return fail("bad --connect '" + val + "'");
      o.connect_string = val;
    } else if (arg == "--sessions") {
      if (!ParseU64(val, u) || u == 0 || u > 100000) return fail("bad --sessions");
      o.sessions = static_cast<int>(u);
    } else if (arg == "--outstanding") {
      if (!ParseU64(val, u) || u == 0 || u > 100000) return fail("bad --outstanding");
      o.outstanding = static_cast<int>(u);
    } else if (arg == "--duration") {
      if (!ParseDouble(val, o.duration_s) || o.duration_s <= 0) return fail("bad --duration");
    } else if (arg == "--ops") {
      if (!ParseU64(val, o.ops) || o.ops == 0) return fail("bad --ops");
    } else if (arg == "--warmup") {
      if (!ParseDouble(val, o.warmup_s)) return fail("bad --warmup");
    } else if (arg == "--mix") {
      if (!ParseMix(val, o)) return fail("bad --mix '" + val + "'");
      o.mix_string = val;
    } else if (arg == "--value-size") {
      if (!ParseU64(val, u) || u > 64 * 1024 * 1024) return fail("bad --value-size");
      o.value_size = u;
    } else if (arg == "--keys") {
      if (!ParseU64(val, o.keys)) return fail("bad --keys");
    } else if (arg == "--prefix") {
      if (val.size() < 2 || val[0] != '/' || val.back() == '/') return fail("bad --prefix");
      o.prefix = val;
    } else if (arg == "--multi-size") {
      if (!ParseU64(val, u) || u == 0 || u > 1000) return fail("bad --multi-size");
      o.multi_size = static_cast<int>(u);
    } else if (arg == "--threads") {
      if (!ParseU64(val, u) || u == 0 || u > 256) return fail("bad --threads");
      o.threads = static_cast<int>(u);
    } else if (arg == "--read-consistency") {
      if (val != "local" && val != "quorum" && val != "leader" && val != "sync") {
        return fail("bad --read-consistency (local|quorum|leader|sync)");
      }
      o.read_consistency = val;
    } else if (arg == "--session-timeout") {
      if (!ParseU64(val, u) || u == 0 || u > 3600000) return fail("bad --session-timeout");
      o.session_timeout_ms = static_cast<int>(u);
    } else if (arg == "--seed") {
      if (!ParseU64(val, o.seed)) return fail("bad --seed");
    } else if (arg == "--watchers") {
      if (!ParseU64(val, u) || u == 0 || u > 100000) return fail("bad --watchers");
      o.watchers = static_cast<int>(u);
    } else {
      return fail("unknown option " + arg);
    }
  }
  if (o.fanout && o.watchers == 0) return fail("--fanout needs --watchers N");
  if (!o.fanout && o.watchers != 0) return fail("--watchers needs --fanout");
  if (o.duration_s == 0 && o.ops == 0) o.duration_s = 10;
  bool needs_keys = false;
  for (Op op : {Op::kSet, Op::kGet, Op::kExists, Op::kChildren, Op::kMulti}) {
    if (o.mix[static_cast<size_t>(op)] > 0) needs_keys = true;
  }
  if (!o.fanout && needs_keys && o.keys == 0) return fail("the mix reads or writes keys: --keys must be > 0");
  exit_code = 0;
  return o;
}

}  // namespace caucus::bench
