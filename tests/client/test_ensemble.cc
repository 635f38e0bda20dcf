#include "tests/client/test_ensemble.h"

#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "tests/client/server_process.h"

namespace caucus::testing {

TestEnsemble::TestEnsemble(int size) : zookeeper_(IsZooKeeper()), members_(size) {
  char tmpl[] = "/tmp/caucus-client-ensemble-XXXXXX";
  base_ = mkdtemp(tmpl);
  auto ports = FreePorts(3 * size);
  for (size_t i = 0; i < members_.size(); ++i) {
    auto& m = members_[i];
    m.client_port = ports[3 * i];
    m.quorum_port = ports[3 * i + 1];
    m.election_port = ports[3 * i + 2];
    m.dir = base_ + "/m" + std::to_string(i + 1);
    mkdir(m.dir.c_str(), 0755);
    std::ofstream(m.dir + "/myid") << i + 1 << "\n";
  }
  for (size_t i = 0; i < members_.size(); ++i) WriteConfig(static_cast<int>(i));
}

TestEnsemble::~TestEnsemble() {
  for (size_t i = 0; i < members_.size(); ++i) Kill(static_cast<int>(i));
  std::error_code ignored;  // a leftover temp dir is no reason to fail a test
  std::filesystem::remove_all(base_, ignored);
}

void TestEnsemble::WriteConfig(int i) const {
  const auto& me = members_[i];
  std::ofstream cfg(me.dir + "/zoo.cfg");
  // maxSessionTimeout above the default 20 ticks (4 s), so that sessions of a few seconds
  // outlive an election comfortably.
  cfg << "tickTime=200\ninitLimit=10\nsyncLimit=5\nmaxSessionTimeout=20000\n"
      << "dataDir=" << me.dir << "\nclientPort=" << me.client_port
      << "\nclientPortAddress=127.0.0.1\n4lw.commands.whitelist=*\nadmin.enableServer=false\n";
  for (size_t k = 0; k < members_.size(); ++k) {
    const auto& m = members_[k];
    cfg << "server." << k + 1 << "=127.0.0.1:" << m.quorum_port << ":" << m.election_port
        << "\n";
  }
}

void TestEnsemble::Start() {
  for (auto& m : members_) {
    m.pid = SpawnServer(zookeeper_, m.dir + "/zoo.cfg", m.dir + "/server.log");
  }
  WaitForLeader();
}

std::string TestEnsemble::connect_string() const {
  std::string s;
  for (const auto& m : members_) {
    if (!s.empty()) s += ",";
    s += "127.0.0.1:" + std::to_string(m.client_port);
  }
  return s;
}

std::string TestEnsemble::connect_string(int i) const {
  return "127.0.0.1:" + std::to_string(members_[static_cast<size_t>(i)].client_port);
}

std::optional<std::string> TestEnsemble::Mode(int i) const {
  std::istringstream lines(FourLetter(members_[i].client_port, "srvr"));
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("Mode: ", 0) == 0) return line.substr(6);
  }
  return std::nullopt;
}

int TestEnsemble::WaitForLeader(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string modes;  // the last poll, for the failure message
  while (std::chrono::steady_clock::now() < deadline) {
    int leader = -1, serving = 0, live = 0;
    modes.clear();
    for (size_t i = 0; i < members_.size(); ++i) {
      if (!alive(static_cast<int>(i))) continue;
      ++live;
      auto mode = Mode(static_cast<int>(i));
      modes += " m" + std::to_string(i + 1) + "=" + mode.value_or("?");
      if (mode == "leader") leader = static_cast<int>(i);
      if (mode == "leader" || mode == "follower") ++serving;
    }
    if (leader >= 0 && serving == live) return leader;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  throw std::runtime_error("no leader with every live member serving (last:" + modes + ")\n" +
                           Logs());
}

void TestEnsemble::Kill(int i) {
  auto& m = members_[i];
  if (m.pid <= 0) return;
  KillServer(m.pid, m.dir + "/server.log");
  m.pid = -1;
}

int TestEnsemble::KillLeader() {
  int leader = WaitForLeader();
  Kill(leader);
  return leader;
}

std::string TestEnsemble::Logs() const {
  std::string out;
  for (size_t i = 0; i < members_.size(); ++i) {
    std::ifstream in(members_[i].dir + "/server.log");
    std::stringstream text;
    text << in.rdbuf();
    std::string s = text.str();
    if (s.size() > 1500) s = s.substr(s.size() - 1500);
    out += "--- member " + std::to_string(i + 1) + ":\n" + s + "\n";
  }
  return out;
}

}  // namespace caucus::testing
