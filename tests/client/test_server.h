// TestServer: a real server process for the client tests — caucusd (default) or Debian's
// Apache ZooKeeper 3.8 when CAUCUS_COMPAT_TARGET=zookeeper (the switch of tests/compat).
// Both get the same zoo.cfg as the compatibility suite. Stop() kills it with SIGKILL and
// Start() brings it back on the same port, for restart tests.
//
// The server process gets PR_SET_PDEATHSIG(SIGKILL), so it dies with the test binary even
// when that is killed; a server that died on its own is reported (with its log) at Stop().
//
// Not thread-safe; owned by the test's main thread: Start() must run on it (the death signal
// follows the thread that forked), which the global test environment ensures.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>

#include "caucus/client.h"

namespace caucus::testing {

class TestServer {
 public:
  TestServer();
  ~TestServer();
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  void Start();  // waits until the server answers "ruok"
  void Stop();   // SIGKILL, then wait
  bool is_zookeeper() const { return zookeeper_; }
  int port() const { return port_; }
  std::string connect_string() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  bool zookeeper_;
  int port_;
  std::string dir_;
  pid_t pid_ = -1;
};

// The one server of a test binary (started on first use, stopped at exit).
TestServer& Server();

// Client options for the shared server with the given session timeout.
ClientOptions TestClientOptions(std::chrono::milliseconds session_timeout =
                                    std::chrono::milliseconds(4000));

// A unique path per call ("/<prefix>-<n>"), so that tests sharing a server don't collide.
std::string UniquePath(const std::string& prefix);

}  // namespace caucus::testing
