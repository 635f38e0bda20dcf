// caucus_sim: runs the ZAB simulation for one seed or a range of seeds.
//   caucus_sim --seed N [--voters 3|5] [--observers K] [--verbose]   replay one schedule
//   caucus_sim --seeds FROM:TO [--voters 3|5]                         sweep
//   --local-reads   answer reads from local state (ZooKeeper's reads): the linearizability
//                   checker is expected to fail some seeds
//   --no-reads      writes only
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "tests/sim/sim_world.h"

int main(int argc, char** argv) {
  caucus::sim::SimConfig c;
  uint64_t from = 1, to = 1;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--seed") {
      from = to = std::stoull(next());
    } else if (a == "--seeds") {
      std::string v = next();
      auto colon = v.find(':');
      from = std::stoull(v.substr(0, colon));
      to = colon == std::string::npos ? from : std::stoull(v.substr(colon + 1));
    } else if (a == "--voters") {
      c.voters = std::stoi(next());
    } else if (a == "--observers") {
      c.observers = std::stoi(next());
    } else if (a == "--verbose") {
      c.verbose = true;
    } else if (a == "--local-reads") {
      c.local_reads = true;
    } else if (a == "--no-reads") {
      c.reads = false;
    } else {
      std::fprintf(stderr, "usage: caucus_sim (--seed N | --seeds A:B) [--voters N] "
                           "[--observers N] [--local-reads | --no-reads] [--verbose]\n");
      return 2;
    }
  }
  int failures = 0;
  for (uint64_t s = from; s <= to; ++s) {
    c.seed = s;
    caucus::sim::SimResult r = caucus::sim::RunSimulation(c);
    if (!r.ok) {
      ++failures;
      std::printf("seed %llu FAILED: %s\n  replay: caucus_sim --seed %llu --voters %d "
                  "--observers %d --verbose\n",
                  static_cast<unsigned long long>(s), r.failure.c_str(),
                  static_cast<unsigned long long>(s), c.voters, c.observers);
    } else if (from == to) {
      std::printf("seed %llu ok: %lld acked writes, %lld reads (%s), %lld epochs, %lld crashes, "
                  "%lld partitions\n",
                  static_cast<unsigned long long>(s), static_cast<long long>(r.acked_writes),
                  static_cast<long long>(r.reads), r.linearizability.c_str(),
                  static_cast<long long>(r.elections), static_cast<long long>(r.crashes),
                  static_cast<long long>(r.partitions));
    }
  }
  if (from != to) {
    std::printf("%llu seeds, %d failed\n", static_cast<unsigned long long>(to - from + 1),
                failures);
  }
  return failures == 0 ? 0 : 1;
}
