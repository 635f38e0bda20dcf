// A lock-protected critical section: 4 workers, each with its own session, increment a
// counter znode 10 times under an exclusive lock; the counter must end at exactly 40.
// Usage: example_lock host:port[,host:port...][/chroot]
#include <caucus/client.h>
#include <caucus/recipes/lock.h>

#include <unistd.h>

#include <cstdio>
#include <string>
#include <thread>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s connect-string\n", argv[0]);
    return 2;
  }
  caucus::ClientOptions opts;
  opts.connect_string = argv[1];
  const std::string counter = "/example-lock-counter-" + std::to_string(::getpid());
  caucus::Client admin(opts);
  admin.Create(counter, "0");

  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&] {
      caucus::Client client(opts);
      caucus::recipes::Lock lock(client, "/example-locks/counter");
      for (int i = 0; i < 10; ++i) {
        caucus::recipes::LockGuard guard(lock);  // released at the end of each iteration
        int v = std::stoi(client.GetData(counter).data);
        client.SetData(counter, std::to_string(v + 1));
      }
    });
  }
  for (auto& t : workers) t.join();
  std::string total = admin.GetData(counter).data;
  admin.Delete(counter);
  std::printf("counter = %s (expected 40)\n", total.c_str());
  return total == "40" ? 0 : 1;
}
