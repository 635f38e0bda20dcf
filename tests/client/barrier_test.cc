// Barrier and DoubleBarrier against a live server: several clients, a waiter that loses its
// connection, a participant whose session expires.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <memory>
#include <thread>

#include "caucus/client.h"
#include "caucus/recipes/barrier.h"
#include "caucus/recipes/double_barrier.h"
#include "tests/client/test_server.h"

namespace caucus::recipes {
namespace {

using namespace std::chrono_literals;
using testing::TestClientOptions;
using testing::UniquePath;

TEST(BarrierTest, WaitersPassOnlyOnceTheBarrierIsRemoved) {
  auto path = UniquePath("barrier") + "/gate";
  Client coordinator(TestClientOptions()), worker(TestClientOptions());
  Barrier set_side(coordinator, path), wait_side(worker, path);
  EXPECT_TRUE(wait_side.Wait(100ms));  // not set: open
  EXPECT_TRUE(set_side.Set());
  EXPECT_FALSE(set_side.Set());
  EXPECT_FALSE(wait_side.Wait(300ms));
  auto passed = std::async(std::launch::async, [&] { return wait_side.Wait(10s); });
  EXPECT_EQ(passed.wait_for(300ms), std::future_status::timeout);
  EXPECT_TRUE(set_side.Remove());
  EXPECT_FALSE(set_side.Remove());
  ASSERT_EQ(passed.wait_for(5s), std::future_status::ready);
  EXPECT_TRUE(passed.get());
}

TEST(BarrierTest, RemovalWhileTheWaiterIsDisconnectedIsSeen) {
  auto path = UniquePath("barrier-offline");
  Client coordinator(TestClientOptions()), worker(TestClientOptions(4000ms));
  Barrier set_side(coordinator, path), wait_side(worker, path);
  ASSERT_TRUE(set_side.Set());
  auto passed = std::async(std::launch::async, [&] { return wait_side.Wait(15s); });
  std::this_thread::sleep_for(200ms);
  worker.SimulatePartition(1500ms);  // shorter than the session timeout: the session lives
  std::this_thread::sleep_for(200ms);
  ASSERT_TRUE(set_side.Remove());  // while the waiter cannot hear about it
  ASSERT_EQ(passed.wait_for(10s), std::future_status::ready);
  EXPECT_TRUE(passed.get());
}

TEST(BarrierTest, WaitSurvivesAServerRestart) {
  auto path = UniquePath("barrier-restart");
  Client coordinator(TestClientOptions(8000ms)), worker(TestClientOptions(8000ms));
  Barrier set_side(coordinator, path), wait_side(worker, path);
  ASSERT_TRUE(set_side.Set());
  auto passed = std::async(std::launch::async, [&] { return wait_side.Wait(20s); });
  std::this_thread::sleep_for(200ms);
  testing::Server().Stop();
  testing::Server().Start();
  EXPECT_EQ(passed.wait_for(500ms), std::future_status::timeout);  // still set after recovery
  ASSERT_TRUE(set_side.Remove());
  ASSERT_EQ(passed.wait_for(15s), std::future_status::ready);
  EXPECT_TRUE(passed.get());
}

// N participants in threads; records who has returned from Enter/Leave so far.
struct Group {
  explicit Group(std::string path, int n) : path(std::move(path)), n(n) {
    for (int i = 0; i < n; ++i) {
      clients.push_back(std::make_unique<Client>(TestClientOptions(2000ms)));
      std::string id = "p";
      id += std::to_string(i);  // (`"p" + to_string` trips GCC 12's -Wrestrict)
      barriers.push_back(std::make_unique<DoubleBarrier>(*clients.back(), this->path, n, id));
    }
  }
  std::future<bool> Enter(int i) {
    return std::async(std::launch::async, [this, i] {
      bool ok = barriers[i]->Enter(15s);
      if (ok) ++entered;
      return ok;
    });
  }
  std::future<bool> Leave(int i) {
    return std::async(std::launch::async, [this, i] {
      bool ok = barriers[i]->Leave(15s);
      if (ok) ++left;
      return ok;
    });
  }
  std::string path;
  int n;
  std::vector<std::unique_ptr<Client>> clients;
  std::vector<std::unique_ptr<DoubleBarrier>> barriers;
  std::atomic<int> entered{0}, left{0};
};

TEST(DoubleBarrierTest, NobodyEntersBeforeAllAndNobodyLeavesBeforeAll) {
  Group g(UniquePath("dbarrier"), 3);
  auto e0 = g.Enter(0), e1 = g.Enter(1);
  std::this_thread::sleep_for(400ms);
  EXPECT_EQ(g.entered.load(), 0);  // two of three: the gate stays closed
  auto e2 = g.Enter(2);
  EXPECT_TRUE(e0.get());
  EXPECT_TRUE(e1.get());
  EXPECT_TRUE(e2.get());
  auto l0 = g.Leave(0), l1 = g.Leave(1);
  std::this_thread::sleep_for(400ms);
  EXPECT_EQ(g.left.load(), 0);  // p2 is still inside
  auto l2 = g.Leave(2);
  EXPECT_TRUE(l0.get());
  EXPECT_TRUE(l1.get());
  EXPECT_TRUE(l2.get());
  Client observer(TestClientOptions());
  EXPECT_TRUE(observer.GetChildren(g.path).empty());  // no nodes left, `ready` reset
  // The path can host the next round.
  auto r0 = g.Enter(0), r1 = g.Enter(1), r2 = g.Enter(2);
  EXPECT_TRUE(r0.get() && r1.get() && r2.get());
}

TEST(DoubleBarrierTest, EnterTimesOutAndWithdraws) {
  Group g(UniquePath("dbarrier-timeout"), 2);
  EXPECT_FALSE(g.barriers[0]->Enter(300ms));
  Client observer(TestClientOptions());
  EXPECT_TRUE(observer.GetChildren(g.path).empty());
  // The withdrawn participant does not count: one more alone still cannot enter.
  EXPECT_FALSE(g.barriers[1]->Enter(300ms));
}

TEST(DoubleBarrierTest, AParticipantThatDiesDoesNotBlockLeave) {
  Group g(UniquePath("dbarrier-expiry"), 3);
  auto e0 = g.Enter(0), e1 = g.Enter(1), e2 = g.Enter(2);
  ASSERT_TRUE(e0.get() && e1.get() && e2.get());
  auto l0 = g.Leave(0), l1 = g.Leave(1);
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(g.left.load(), 0);
  g.clients[2]->SimulatePartition(6000ms);  // p2 "crashes": the server expires its session
  ASSERT_EQ(l0.wait_for(12s), std::future_status::ready);
  ASSERT_EQ(l1.wait_for(2s), std::future_status::ready);
  EXPECT_TRUE(l0.get());
  EXPECT_TRUE(l1.get());
}

TEST(DoubleBarrierTest, WaitingEntrantSurvivesAConnectionDrop) {
  Group g(UniquePath("dbarrier-drop"), 2);
  auto e0 = g.Enter(0);
  std::this_thread::sleep_for(200ms);
  g.clients[0]->DropConnection();
  auto e1 = g.Enter(1);
  ASSERT_EQ(e0.wait_for(10s), std::future_status::ready);
  EXPECT_TRUE(e0.get());
  EXPECT_TRUE(e1.get());
}

}  // namespace
}  // namespace caucus::recipes
