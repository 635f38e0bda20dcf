// A leader-elected worker: three candidates; the leader does one unit of work stamped with
// its epoch (a fencing token), then resigns so the next candidate leads. Exits 0 once all
// three have led, each with a higher epoch than the last.
// Usage: example_leader_election host:port[,host:port...][/chroot]
#include <caucus/client.h>
#include <caucus/recipes/leader_latch.h>

#include <chrono>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s connect-string\n", argv[0]);
    return 2;
  }
  caucus::ClientOptions opts;
  opts.connect_string = argv[1];
  const std::string dir = "/example-election-" + std::to_string(::getpid());
  std::vector<std::unique_ptr<caucus::Client>> clients;
  std::vector<std::unique_ptr<caucus::recipes::LeaderLatch>> latches;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(std::make_unique<caucus::Client>(opts));
    latches.push_back(std::make_unique<caucus::recipes::LeaderLatch>(
        *clients.back(), dir, "worker-" + std::to_string(i)));
    latches.back()->OnGain([i](int64_t epoch) {
      std::printf("worker-%d leads with epoch %lld\n", i, static_cast<long long>(epoch));
    });
    latches.back()->Start();
  }
  int64_t last_epoch = 0;
  for (int round = 0; round < 3; ++round) {
    caucus::recipes::LeaderLatch* leader = nullptr;
    for (int tries = 0; !leader && tries < 100; ++tries) {
      for (auto& l : latches)
        if (l && l->AwaitLeadership(std::chrono::milliseconds(100))) leader = l.get();
    }
    if (!leader || leader->epoch() <= last_epoch) return 1;
    last_epoch = leader->epoch();
    std::printf("  work done under epoch %lld\n", static_cast<long long>(last_epoch));
    for (auto& l : latches)
      if (l.get() == leader) l.reset();  // resign: the next candidate takes over
  }
  return 0;
}
