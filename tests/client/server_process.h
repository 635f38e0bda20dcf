// Process helpers shared by TestServer (one server) and TestEnsemble (three members): free
// ports, four-letter words, and starting/stopping a caucusd (or ZooKeeper) child process.
//
// Kept apart from test_server.cc so that a binary using only the ensemble does not also get
// the single shared server (test_server.cc registers a global test environment).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace caucus::testing {

// A loopback TCP port that was free a moment ago.
int FreePort();
// `n` distinct such ports.
std::vector<int> FreePorts(int n);

// Sends a four-letter word and returns the answer ("" if the port is closed, or if no
// answer came within a second: a starting JVM may accept a connection and not answer it).
std::string FourLetter(int port, const char* word);

// CAUCUS_COMPAT_TARGET=zookeeper: run Debian's Apache ZooKeeper 3.8 instead of caucusd.
bool IsZooKeeper();

// Forks and execs the server on `cfg` (caucusd: $CAUCUSD or the built one), its output
// appended to `log`. The child gets PR_SET_PDEATHSIG(SIGKILL): it dies with the calling
// *thread*, so call this from the test's main thread.
pid_t SpawnServer(bool zookeeper, const std::string& cfg, const std::string& log);

// SIGKILLs and reaps `pid`. If it had already exited on its own (a crash, an assertion),
// prints the end of `log` first, or the tests' failures would look like client bugs.
void KillServer(pid_t pid, const std::string& log);

}  // namespace caucus::testing
