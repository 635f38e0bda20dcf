// Read consistency through caucus::Client, on a 3-member ensemble of caucusd (or of Apache
// ZooKeeper 3.8 with CAUCUS_COMPAT_TARGET=zookeeper, where the client falls back to
// sync + read after the server refuses the extension once).
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "caucus/client.h"
#include "tests/client/server_process.h"
#include "tests/client/test_ensemble.h"

namespace caucus {
namespace {

using namespace std::chrono_literals;
using testing::TestEnsemble;

constexpr auto kWait = 20s;

ClientOptions Options(const std::string& connect, ReadConsistency rc) {
  ClientOptions o;
  o.connect_string = connect;
  o.session_timeout = 6000ms;
  o.read_consistency = rc;
  return o;
}

// Against ZooKeeper the first extension request costs one reconnect (ConnectionLoss).
template <class F>
auto Retrying(F f) {
  auto deadline = std::chrono::steady_clock::now() + kWait;
  for (;;) {
    try {
      return f();
    } catch (const KeeperException& e) {
      if (e.code() != Error::kConnectionLoss || std::chrono::steady_clock::now() > deadline) {
        throw;
      }
      std::this_thread::sleep_for(50ms);
    }
  }
}

int Value(const std::string& data) { return std::stoi(data); }

// A write acknowledged through one member is seen by a read that starts afterwards on another
// member, in quorum and leader modes: every time, not just eventually.
TEST(ReadConsistencyTest, ReadsOnAnotherMemberSeeEveryCompletedWrite) {
  TestEnsemble ensemble;
  ensemble.Start();
  Client writer(Options(ensemble.connect_string(0), ReadConsistency::kLocal));
  Client reader(Options(ensemble.connect_string(1), ReadConsistency::kQuorum));
  writer.Create("/rc", "0");
  EXPECT_EQ(Retrying([&] { return reader.GetData("/rc"); }).data, "0");
  for (int i = 1; i <= 200; ++i) {
    writer.SetData("/rc", std::to_string(i));
    ReadConsistency rc = i % 2 ? ReadConsistency::kDefault : ReadConsistency::kLeader;
    int seen = Value(Retrying([&] { return reader.Reads(rc).GetData("/rc"); }).data);
    ASSERT_EQ(seen, i) << "read " << i << " in " << ReadConsistencyName(rc) << " was stale";
  }
  EXPECT_EQ(reader.read_modes_supported(), !testing::IsZooKeeper());
}

TEST(ReadConsistencyTest, EveryReadKindAndModeAnswersLikeALocalRead) {
  TestEnsemble ensemble;
  ensemble.Start();
  Client c(Options(ensemble.connect_string(), ReadConsistency::kLocal));
  c.Create("/kinds", "x");
  c.Create("/kinds/a", "1");
  for (ReadConsistency rc : {ReadConsistency::kLocal, ReadConsistency::kQuorum,
                             ReadConsistency::kLeader, ReadConsistency::kDefault}) {
    SCOPED_TRACE(ReadConsistencyName(rc));
    ReadView v = c.Reads(rc);
    EXPECT_EQ(Retrying([&] { return v.GetData("/kinds"); }).data, "x");
    EXPECT_TRUE(Retrying([&] { return v.Exists("/kinds/a"); }).has_value());
    EXPECT_FALSE(Retrying([&] { return v.Exists("/kinds/none"); }).has_value());
    EXPECT_EQ(Retrying([&] { return v.GetChildren("/kinds"); }),
              std::vector<std::string>{"a"});
    EXPECT_EQ(Retrying([&] { return v.GetAcl("/kinds"); }).acl.size(), 1u);
    try {
      v.GetData("/kinds/none");
      ADD_FAILURE() << "no NoNode";
    } catch (const KeeperException& e) {
      EXPECT_EQ(e.code(), Error::kNoNode);
    }
  }
  // The session default changes at run time; reads go on in the new mode.
  c.SetReadConsistency(ReadConsistency::kQuorum);
  EXPECT_EQ(c.read_consistency(), ReadConsistency::kQuorum);
  EXPECT_EQ(Retrying([&] { return c.GetData("/kinds/a"); }).data, "1");
  c.SetReadConsistency(ReadConsistency::kLocal);
  EXPECT_EQ(Retrying([&] { return c.GetData("/kinds/a"); }).data, "1");
}

}  // namespace
}  // namespace caucus
