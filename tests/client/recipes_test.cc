// Recipe tests against a live server, with contention between several clients and faults:
// session expiry, lost create replies, a leader that dies.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

#include "caucus/client.h"
#include "caucus/recipes/leader_latch.h"
#include "caucus/recipes/lock.h"
#include "caucus/recipes/rw_lock.h"
#include "tests/client/test_server.h"

namespace caucus::recipes {
namespace {

using namespace std::chrono_literals;
using testing::Server;
using testing::UniquePath;

ClientOptions Options(std::chrono::milliseconds timeout = 4000ms) {
  ClientOptions o;
  o.connect_string = Server().connect_string();
  o.session_timeout = timeout;
  return o;
}

TEST(LockTest, MutualExclusionAndNoLostUpdates) {
  auto dir = UniquePath("lock");
  auto counter = dir + "-counter";
  Client setup(Options());
  setup.Create(counter, "0");
  constexpr int kClients = 8, kRounds = 5;
  std::atomic<int> inside{0}, max_inside{0};
  std::vector<std::thread> threads;
  std::vector<int64_t> tokens[kClients];
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      Client c(Options());
      Lock lock(c, dir);
      for (int r = 0; r < kRounds; ++r) {
        LockGuard g(lock);
        tokens[i].push_back(g.fencing_token());
        int now = ++inside;
        max_inside = std::max(max_inside.load(), now);
        // Read-modify-write without a version check: only the lock prevents lost updates.
        int v = std::stoi(c.GetData(counter).data);
        c.SetData(counter, std::to_string(v + 1));
        --inside;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(max_inside.load(), 1);
  EXPECT_EQ(setup.GetData(counter).data, std::to_string(kClients * kRounds));
  for (auto& ts : tokens)
    for (size_t k = 1; k < ts.size(); ++k) EXPECT_GT(ts[k], ts[k - 1]);
  EXPECT_TRUE(setup.GetChildren(dir).empty());  // nothing leaked
}

TEST(LockTest, WaitersWatchOnlyTheirPredecessorAndTryAcquireTimesOut) {
  auto dir = UniquePath("lock-try");
  Client a(Options()), b(Options());
  Lock la(a, dir), lb(b, dir);
  int64_t t1 = la.Acquire();
  EXPECT_FALSE(lb.TryAcquire(200ms));
  EXPECT_EQ(a.GetChildren(dir).size(), 1u);  // the waiter gave its place up
  la.Release();
  auto t2 = lb.TryAcquire(5s);
  ASSERT_TRUE(t2);
  EXPECT_GT(*t2, t1);
}

TEST(LockTest, ExpiredHolderIsToldAndTheLockPassesOn) {
  auto dir = UniquePath("lock-expiry");
  Client holder(Options(1500ms)), waiter(Options());
  Lock lh(holder, dir), lw(waiter, dir);
  std::promise<void> lost;
  lh.OnLost([&] { lost.set_value(); });
  int64_t t1 = lh.Acquire();
  auto next = std::async(std::launch::async, [&] { return lw.Acquire(); });
  holder.SimulatePartition(5000ms);  // a long pause: the server expires the session
  ASSERT_EQ(lost.get_future().wait_for(15s), std::future_status::ready);
  EXPECT_FALSE(lh.held());
  ASSERT_EQ(next.wait_for(15s), std::future_status::ready);
  EXPECT_GT(next.get(), t1);  // the fencing token moved on: the old holder's writes lose
}

TEST(LockTest, ProtectedCreateSurvivesALostReply) {
  auto dir = UniquePath("lock-protected");
  ClientOptions o = Options();
  std::atomic<int> drops{0};
  o.drop_after_send = [&](int32_t op, const std::string& path) {
    // Drop the connection right after the lock node's create is written, once.
    if (op != 15 || path.find("/_c_") == std::string::npos || drops > 0) return false;
    return ++drops == 1;
  };
  Client c(o);
  Lock lock(c, dir);
  lock.Acquire();
  EXPECT_EQ(drops.load(), 1);
  Client observer(Options());
  EXPECT_EQ(observer.GetChildren(dir).size(), 1u);  // found again, not created twice
  lock.Release();
  EXPECT_TRUE(observer.GetChildren(dir).empty());
}

TEST(ReadWriteLockTest, ReadersShareWritersExclude) {
  auto dir = UniquePath("rwlock");
  Client a(Options()), b(Options()), w(Options());
  ReadWriteLock ra(a, dir), rb(b, dir), rw(w, dir);
  ra.read().Acquire();
  ASSERT_TRUE(rb.read().TryAcquire(2s));  // two readers at once
  EXPECT_FALSE(rw.write().TryAcquire(200ms));
  ra.read().Release();
  rb.read().Release();
  ASSERT_TRUE(rw.write().TryAcquire(5s));
  EXPECT_FALSE(ra.read().TryAcquire(200ms));
  rw.write().Release();
}

TEST(LeaderLatchTest, OneLeaderAndFailoverWithHigherEpoch) {
  auto dir = UniquePath("election");
  constexpr int kN = 3;
  std::vector<std::unique_ptr<Client>> clients;
  std::vector<std::unique_ptr<LeaderLatch>> latches;
  for (int i = 0; i < kN; ++i) {
    clients.push_back(std::make_unique<Client>(Options(2000ms)));
    latches.push_back(std::make_unique<LeaderLatch>(*clients[i], dir, std::string(1, static_cast<char>('a' + i))));
    latches[i]->Start();
    if (i == 0) {
      ASSERT_TRUE(latches[0]->AwaitLeadership(10s));  // first to queue leads
    }
  }
  auto leaders = [&] {
    int n = 0;
    for (auto& l : latches) n += l && l->HasLeadership();
    return n;
  };
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(leaders(), 1);
  EXPECT_EQ(latches[1]->LeaderId(), "a");
  int64_t e0 = latches[0]->epoch();
  // The leader "dies" without resigning: its session ends when the client closes uncleanly.
  std::promise<void> lost;
  latches[0]->OnLoss([&] { lost.set_value(); });
  clients[0]->SimulatePartition(10s);
  ASSERT_EQ(lost.get_future().wait_for(15s), std::future_status::ready);
  ASSERT_TRUE(latches[1]->AwaitLeadership(15s));
  EXPECT_GT(latches[1]->epoch(), e0);
  EXPECT_FALSE(latches[2]->HasLeadership());
  latches[1]->Close();  // resign: the next in line takes over at once
  ASSERT_TRUE(latches[2]->AwaitLeadership(10s));
}

TEST(LeaderLatchTest, GainAndLossCallbacksAlternate) {
  auto dir = UniquePath("election-cb");
  Client c(Options());
  LeaderLatch latch(c, dir, "solo");
  std::mutex mu;
  std::vector<std::string> log;
  latch.OnGain([&](int64_t e) {
    std::lock_guard l(mu);
    log.push_back(e > 0 ? "gain" : "bad-epoch");
  });
  latch.OnLoss([&] {
    std::lock_guard l(mu);
    log.push_back("loss");
  });
  latch.Start();
  ASSERT_TRUE(latch.AwaitLeadership(10s));
  latch.Close();
  std::lock_guard l(mu);
  EXPECT_EQ(log, (std::vector<std::string>{"gain", "loss"}));
}

}  // namespace
}  // namespace caucus::recipes
