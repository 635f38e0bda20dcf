#include "tests/client/test_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

namespace caucus::testing {
namespace {

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

// Sends a four-letter word and returns the answer ("" if the port is closed, or if no
// answer came within a second: a starting JVM may accept a connection and not answer it).
std::string FourLetter(int port, const char* word) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  timeval tv{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  std::string out;
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 && write(fd, word, 4) == 4) {
    char buf[64];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
    if (n < 0) out.clear();  // timed out: treat as no answer
  }
  close(fd);
  return out;
}

bool IsZooKeeper() {
  const char* t = std::getenv("CAUCUS_COMPAT_TARGET");
  return t && std::string(t) == "zookeeper";
}

}  // namespace

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
  pid_t parent = getpid();
  pid_ = fork();
  if (pid_ == 0) {
    // The server must not outlive the test binary, however that ends (SIGKILL from a test
    // timeout included). The signal follows the forking *thread*: Start runs on the main
    // thread (see ServerEnvironment). The getppid check closes the race with an early death.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    if (zookeeper_) {
      execlp("java", "java", "-Dznode.container.checkIntervalMs=1000",
             "-Dznode.container.maxNeverUsedIntervalMs=0", "-Dzookeeper.extendedTypesEnabled=true",
             "-cp", "/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar",
             "org.apache.zookeeper.server.quorum.QuorumPeerMain", cfg.c_str(), nullptr);
    } else {
      const char* bin = std::getenv("CAUCUSD");
      if (!bin) bin = CAUCUSD_PATH;
      execl(bin, bin, cfg.c_str(), nullptr);
    }
    _exit(127);
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);  // slow JVM
  while (std::chrono::steady_clock::now() < deadline) {
    if (FourLetter(port_, "ruok") == "imok") return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  throw std::runtime_error("server did not start; see " + log);
}

void TestServer::Stop() {
  if (pid_ <= 0) return;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    // It died on its own (a crash, an assertion): say so, or the tests' failures look like
    // client bugs.
    std::ifstream in(dir_ + "/server.log");
    std::stringstream tail;
    tail << in.rdbuf();
    std::string text = tail.str();
    if (text.size() > 2000) text = text.substr(text.size() - 2000);
    std::fprintf(stderr, "\n*** the test server (pid %d) exited on its own (status 0x%x); "
                 "end of %s/server.log:\n%s\n", static_cast<int>(pid_), status, dir_.c_str(),
                 text.c_str());
    pid_ = -1;
    return;
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
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
