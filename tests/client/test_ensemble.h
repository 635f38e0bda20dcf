// TestEnsemble: a 3-member caucusd ensemble on loopback (or Apache ZooKeeper 3.8 with
// CAUCUS_COMPAT_TARGET=zookeeper), for client tests across server faults: each member has its
// own dataDir with a myid file and free client/quorum/election ports; tickTime=200,
// initLimit=10, syncLimit=5, as tests/ensemble/conftest.py, so a dead leader is replaced
// within a second or two.
//
// Not thread-safe; Start() must run on the test's main thread (see SpawnServer). Members are
// killed with SIGKILL at destruction.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace caucus::testing {

class TestEnsemble {
 public:
  explicit TestEnsemble(int size = 3);
  ~TestEnsemble();
  TestEnsemble(const TestEnsemble&) = delete;
  TestEnsemble& operator=(const TestEnsemble&) = delete;

  // Starts every member and waits until they have elected a leader.
  void Start();
  // "127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3": clients should know every member.
  std::string connect_string() const;
  // Member `i` alone.
  std::string connect_string(int i) const;

  // The index of the leader once every live member serves (leader or follower); throws after
  // `timeout`.
  int WaitForLeader(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // kill -9 of member `i`; returns once it is reaped.
  void Kill(int i);
  // Kills the current leader; returns its index.
  int KillLeader();
  bool alive(int i) const { return members_[i].pid > 0; }
  // "leader", "follower", ... from `srvr`; nullopt if the member does not answer.
  std::optional<std::string> Mode(int i) const;

 private:
  struct Member {
    int client_port = 0, quorum_port = 0, election_port = 0;
    std::string dir;
    pid_t pid = -1;
  };
  void WriteConfig(int i) const;
  std::string Logs() const;

  bool zookeeper_;
  std::string base_;
  std::vector<Member> members_;
};

}  // namespace caucus::testing
