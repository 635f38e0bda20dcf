// Semaphore against a live server: contention between clients, timeouts, all-or-none
// multi-lease acquisition, and the lease of a session that expires.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <future>
#include <thread>

#include "caucus/client.h"
#include "caucus/recipes/semaphore.h"
#include "tests/client/test_server.h"

namespace caucus::recipes {
namespace {

using namespace std::chrono_literals;
using testing::TestClientOptions;
using testing::UniquePath;

TEST(SemaphoreTest, NeverMoreThanNLeasesAtOnce) {
  auto path = UniquePath("sem");
  constexpr int kClients = 6, kRounds = 3, kLeases = 2;
  std::atomic<int> inside{0}, max_inside{0}, grants{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&] {
      Client c(TestClientOptions());
      Semaphore sem(c, path, kLeases);
      for (int r = 0; r < kRounds; ++r) {
        auto lease = sem.TryAcquire(20s);
        ASSERT_TRUE(lease);
        ++grants;
        int now = ++inside;
        int prev = max_inside.load();
        while (now > prev && !max_inside.compare_exchange_weak(prev, now)) {
        }
        std::this_thread::sleep_for(20ms);
        --inside;
        lease->Release();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(grants.load(), kClients * kRounds);
  EXPECT_LE(max_inside.load(), kLeases);
  Client c(TestClientOptions());
  EXPECT_TRUE(Semaphore(c, path, kLeases).LeaseNodes().empty());  // nothing leaked
}

TEST(SemaphoreTest, NLeasesAreHeldConcurrentlyAndTheNextOneWaits) {
  auto path = UniquePath("sem-n");
  Client a(TestClientOptions()), b(TestClientOptions()), w(TestClientOptions());
  Semaphore sa(a, path, 2), sb(b, path, 2), sw(w, path, 2);
  auto la = sa.TryAcquire(10s);
  auto lb = sb.TryAcquire(10s);
  ASSERT_TRUE(la && lb);
  EXPECT_FALSE(sw.TryAcquire(300ms));
  EXPECT_EQ(sw.LeaseNodes().size(), 2u);  // the timed-out waiter withdrew its node
  auto next = std::async(std::launch::async, [&] { return sw.TryAcquire(10s); });
  EXPECT_EQ(next.wait_for(300ms), std::future_status::timeout);
  la->Release();
  la->Release();  // idempotent
  ASSERT_EQ(next.wait_for(5s), std::future_status::ready);
  auto lw = next.get();
  ASSERT_TRUE(lw);
  EXPECT_NE(lw->node(), lb->node());
}

TEST(SemaphoreTest, MultipleLeasesAreAllOrNone) {
  auto path = UniquePath("sem-multi");
  Client a(TestClientOptions()), b(TestClientOptions());
  Semaphore sa(a, path, 3), sb(b, path, 3);
  auto held = sa.TryAcquire(2, 10s);
  ASSERT_EQ(held.size(), 2u);
  EXPECT_TRUE(sb.TryAcquire(2, 300ms).empty());
  EXPECT_EQ(sb.LeaseNodes().size(), 2u);  // the one it did get was returned
  held.pop_back();                        // a Lease returns itself when destroyed
  EXPECT_EQ(sb.TryAcquire(2, 5s).size(), 2u);
}

TEST(SemaphoreTest, LeaseOfAnExpiredSessionIsFreed) {
  auto path = UniquePath("sem-expiry");
  Client holder(TestClientOptions(1500ms)), waiter(TestClientOptions());
  Semaphore sh(holder, path, 1), sw(waiter, path, 1);
  auto lease = sh.TryAcquire(10s);
  ASSERT_TRUE(lease);
  auto next = std::async(std::launch::async, [&] { return sw.TryAcquire(15s); });
  EXPECT_EQ(next.wait_for(300ms), std::future_status::timeout);
  holder.SimulatePartition(4000ms);  // the holder "hangs": the server expires its session
  ASSERT_EQ(next.wait_for(15s), std::future_status::ready);
  auto got = next.get();
  ASSERT_TRUE(got);
  ASSERT_TRUE(holder.WaitConnected(10s));  // a new session
  lease->Release();  // the old lease is gone: releasing it must not touch the new holder's
  EXPECT_EQ(sw.LeaseNodes(), std::vector<std::string>{got->node().substr(path.size() + 8)});
}

TEST(SemaphoreTest, WaiterSurvivesAServerRestart) {
  auto path = UniquePath("sem-restart");
  Client a(TestClientOptions(8000ms)), b(TestClientOptions(8000ms));
  Semaphore sa(a, path, 1), sb(b, path, 1);
  auto lease = sa.TryAcquire(10s);
  ASSERT_TRUE(lease);
  auto next = std::async(std::launch::async, [&] { return sb.TryAcquire(20s); });
  std::this_thread::sleep_for(200ms);
  testing::Server().Stop();
  testing::Server().Start();
  // Sessions and their ephemerals survive the restart: the lease is still held.
  EXPECT_EQ(next.wait_for(500ms), std::future_status::timeout);
  lease->Release();
  ASSERT_EQ(next.wait_for(15s), std::future_status::ready);
  EXPECT_TRUE(next.get());
}

}  // namespace
}  // namespace caucus::recipes
