// Recipe tests against a live server, with contention between several clients and faults:
// session expiry, lost create replies, a leader that dies.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <memory>
#include <mutex>
#include <thread>

#include "caucus/client.h"
#include "caucus/recipes/leader_latch.h"
#include "caucus/recipes/lock.h"
#include "caucus/recipes/rw_lock.h"
#include "tests/client/test_event.h"
#include "tests/client/test_server.h"

namespace caucus::recipes {
namespace {

using namespace std::chrono_literals;
using testing::Event;
using testing::Server;
using testing::UniquePath;

ClientOptions Options(std::chrono::milliseconds timeout = 4000ms) {
  return testing::TestClientOptions(timeout);
}

// Every wait in these tests is bounded: a broken recipe or server fails a test, never hangs it.
constexpr auto kAcquireTimeout = 30s;

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
        auto token = lock.TryAcquire(kAcquireTimeout);
        if (!token) {
          ADD_FAILURE() << "client " << i << " did not get the lock in round " << r;
          return;
        }
        tokens[i].push_back(*token);
        int now = ++inside;
        max_inside = std::max(max_inside.load(), now);
        // Read-modify-write without a version check: only the lock prevents lost updates.
        int v = std::stoi(c.GetData(counter).data);
        c.SetData(counter, std::to_string(v + 1));
        --inside;
        lock.Release();
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
  auto t1 = la.TryAcquire(kAcquireTimeout);
  ASSERT_TRUE(t1);
  EXPECT_FALSE(lb.TryAcquire(200ms));
  EXPECT_EQ(a.GetChildren(dir).size(), 1u);  // the waiter gave its place up
  la.Release();
  auto t2 = lb.TryAcquire(5s);
  ASSERT_TRUE(t2);
  EXPECT_GT(*t2, *t1);
}

TEST(LockTest, ExpiredHolderIsToldAndTheLockPassesOn) {
  auto dir = UniquePath("lock-expiry");
  Client holder(Options(1500ms)), waiter(Options());
  Lock lh(holder, dir), lw(waiter, dir);
  auto lost = std::make_shared<Event>();
  lh.OnLost([lost] { lost->Set(); });
  auto t1 = lh.TryAcquire(kAcquireTimeout);
  ASSERT_TRUE(t1);
  // Bounded, so that the future's destructor cannot block forever if the lock never passes.
  auto next = std::async(std::launch::async, [&] { return lw.TryAcquire(15s); });
  holder.SimulatePartition(5000ms);  // a long pause: the server expires the session
  ASSERT_TRUE(lost->WaitFor(15s));
  EXPECT_FALSE(lh.held());
  ASSERT_EQ(next.wait_for(20s), std::future_status::ready);
  auto t2 = next.get();
  ASSERT_TRUE(t2);
  EXPECT_GT(*t2, *t1);  // the fencing token moved on: the old holder's writes lose
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
  ASSERT_TRUE(lock.TryAcquire(kAcquireTimeout));
  EXPECT_EQ(drops.load(), 1);
  Client observer(Options());
  EXPECT_EQ(observer.GetChildren(dir).size(), 1u);  // found again, not created twice
  lock.Release();
  EXPECT_TRUE(observer.GetChildren(dir).empty());
}

TEST(LockTest, TryAcquireIsBoundedWhileDisconnected) {
  auto dir = UniquePath("lock-offline");
  Client c(Options(2000ms));
  Lock lock(c, dir);
  c.SimulatePartition(8000ms);
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(lock.TryAcquire(300ms));
  // The timeout, plus at most a session timeout for a call already waiting for the
  // connection (and some slack for a loaded machine).
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_FALSE(lock.held());
}

TEST(ReadWriteLockTest, ReadersShareWritersExclude) {
  auto dir = UniquePath("rwlock");
  Client a(Options()), b(Options()), w(Options());
  ReadWriteLock ra(a, dir), rb(b, dir), rw(w, dir);
  ASSERT_TRUE(ra.read().TryAcquire(kAcquireTimeout));
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
  auto lost = std::make_shared<Event>();  // latch 0 may lead (and lose) again after the test
  latches[0]->OnLoss([lost] { lost->Set(); });
  clients[0]->SimulatePartition(10s);
  ASSERT_TRUE(lost->WaitFor(15s));
  ASSERT_TRUE(latches[1]->AwaitLeadership(15s));
  EXPECT_GT(latches[1]->epoch(), e0);
  EXPECT_FALSE(latches[2]->HasLeadership());
  latches[1]->Close();  // resign: the next in line takes over at once
  ASSERT_TRUE(latches[2]->AwaitLeadership(10s));
}

TEST(LeaderLatchTest, GainAndLossCallbacksAlternate) {
  auto dir = UniquePath("election-cb");
  Client c(Options());
  std::mutex mu;  // before the latch: its callbacks use them until it is closed
  std::vector<std::string> log;
  LeaderLatch latch(c, dir, "solo");
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
