#include "tests/client/test_server.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <thread>

#include "tests/client/server_process.h"

namespace caucus::testing {

TestServer::TestServer() : zookeeper_(IsZooKeeper()), port_(FreePort()) {
  char tmpl[] = "/tmp/caucus-client-test-XXXXXX";
  dir_ = mkdtemp(tmpl);
  std::ofstream cfg(dir_ + "/zoo.cfg");
  // The settings of tests/compat/conftest.py, so both servers behave alike.
  cfg << "tickTime=2000\nminSessionTimeout=1000\nmaxSessionTimeout=40000\ninitLimit=10\n"
      << "syncLimit=5\ndataDir=" << dir_ << "/data\nclientPort=" << port_
      << "\nclientPortAddress=127.0.0.1\n4lw.commands.whitelist=*\nextendedTypesEnabled=true\n"
      << "admin.enableServer=false\nznode.container.checkIntervalMs=1000\n"
      << "znode.container.maxNeverUsedIntervalMs=0\n";
}

TestServer::~TestServer() { Stop(); }

void TestServer::Start() {
  std::string cfg = dir_ + "/zoo.cfg";
  std::string log = dir_ + "/server.log";
  pid_ = SpawnServer(zookeeper_, cfg, log);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);  // slow JVM
  while (std::chrono::steady_clock::now() < deadline) {
    if (FourLetter(port_, "ruok") == "imok") return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  throw std::runtime_error("server did not start; see " + log);
}

void TestServer::Stop() {
  if (pid_ <= 0) return;
  KillServer(pid_, dir_ + "/server.log");
  pid_ = -1;
}

namespace {

// Starts the server on the main thread before the first test (see Start), and only when
// tests run (not for --gtest_list_tests).
class ServerEnvironment : public ::testing::Environment {
 public:
  void SetUp() override { Server(); }
};

[[maybe_unused]] ::testing::Environment* const kServerEnvironment =
    ::testing::AddGlobalTestEnvironment(new ServerEnvironment);

}  // namespace

TestServer& Server() {
  static std::unique_ptr<TestServer> server = [] {
    auto s = std::make_unique<TestServer>();
    s->Start();
    return s;
  }();
  return *server;
}

ClientOptions TestClientOptions(std::chrono::milliseconds session_timeout) {
  ClientOptions o;
  o.connect_string = Server().connect_string();
  o.session_timeout = session_timeout;
  return o;
}

std::string UniquePath(const std::string& prefix) {
  static std::atomic<int> n{0};
  return "/" + prefix + "-" + std::to_string(getpid()) + "-" + std::to_string(n++);
}

}  // namespace caucus::testing
