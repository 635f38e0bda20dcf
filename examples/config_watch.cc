// A configuration watcher: watches a config znode with a persistent watch and prints every
// version; a writer publishes three versions. Exits 0 once the watcher has seen the last.
// Usage: example_config_watch host:port[,host:port...][/chroot]
#include <caucus/client.h>

#include <chrono>
#include <condition_variable>
#include <unistd.h>

#include <cstdio>
#include <mutex>
#include <string>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s connect-string\n", argv[0]);
    return 2;
  }
  caucus::ClientOptions opts;
  opts.connect_string = argv[1];
  const std::string path = "/example-config-" + std::to_string(::getpid());
  caucus::Client watcher(opts), writer(opts);
  writer.Create(path, "v0");

  std::mutex mu;
  std::condition_variable cv;
  std::string current = watcher.GetData(path).data;
  // Watch callbacks run on the client's callback thread; blocking calls are allowed there.
  watcher.AddWatch(path, caucus::AddWatchMode::kPersistent, [&](const caucus::WatchEvent& e) {
    if (e.type != caucus::EventType::kNodeDataChanged) return;
    std::string data = watcher.GetData(path).data;
    std::printf("config changed: %s\n", data.c_str());
    std::lock_guard l(mu);
    current = data;
    cv.notify_all();
  });
  for (const char* v : {"v1", "v2", "v3"}) writer.SetData(path, v);

  std::unique_lock l(mu);
  bool ok = cv.wait_for(l, std::chrono::seconds(10), [&] { return current == "v3"; });
  l.unlock();
  writer.Delete(path);
  return ok ? 0 : 1;
}
