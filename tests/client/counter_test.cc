// AtomicCounter against a live server: contention between many clients, Curator's encoding,
// CAS semantics, and a write whose reply is lost.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "caucus/client.h"
#include "caucus/recipes/atomic_counter.h"
#include "tests/client/test_server.h"

namespace caucus::recipes {
namespace {

using namespace std::chrono_literals;
using testing::TestClientOptions;
using testing::UniquePath;

constexpr int32_t kSetDataOp = 5;

TEST(AtomicCounterTest, TenClientsFiftyIncrementsEachMakeExactlyFiveHundred) {
  auto path = UniquePath("counter") + "/hits";  // the parent is created on first use
  constexpr int kClients = 10, kIncrements = 50;
  std::vector<std::thread> threads;
  std::vector<std::vector<int64_t>> posts(kClients);
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      Client c(TestClientOptions());
      AtomicCounter counter(c, path);
      for (int k = 0; k < kIncrements; ++k) {
        auto r = counter.Increment();
        ASSERT_TRUE(r.succeeded);
        ASSERT_EQ(r.post, r.pre + 1);
        posts[i].push_back(r.post);
      }
    });
  }
  for (auto& t : threads) t.join();
  Client c(TestClientOptions());
  EXPECT_EQ(AtomicCounter(c, path).Get(), kClients * kIncrements);
  // Each successful increment produced a distinct value: none was applied twice or lost.
  std::vector<int64_t> all;
  for (auto& p : posts) all.insert(all.end(), p.begin(), p.end());
  std::sort(all.begin(), all.end());
  ASSERT_EQ(all.size(), static_cast<size_t>(kClients * kIncrements));
  for (size_t k = 0; k < all.size(); ++k) EXPECT_EQ(all[k], static_cast<int64_t>(k + 1));
}

TEST(AtomicCounterTest, EightByteBigEndianLikeCurator) {
  auto path = UniquePath("counter-enc");
  Client c(TestClientOptions());
  AtomicCounter counter(c, path);
  EXPECT_EQ(counter.Get(), 0);  // missing node
  EXPECT_TRUE(counter.Initialize(0x0102030405060708));
  EXPECT_FALSE(counter.Initialize(7));
  EXPECT_EQ(c.GetData(path).data, std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8));
  counter.ForceSet(-2);
  EXPECT_EQ(c.GetData(path).data, std::string(7, '\xff') + "\xfe");
  EXPECT_EQ(counter.Get(), -2);
  c.SetData(path, "abc");  // not a counter
  EXPECT_THROW(counter.Get(), KeeperException);
  c.SetData(path, "");
  EXPECT_EQ(counter.Get(), 0);
}

TEST(AtomicCounterTest, CompareAndSetAndTrySet) {
  auto path = UniquePath("counter-cas");
  Client a(TestClientOptions()), b(TestClientOptions());
  AtomicCounter ca(a, path), cb(b, path);
  auto r = ca.CompareAndSet(0, 10);  // a missing counter is 0
  EXPECT_TRUE(r.succeeded);
  EXPECT_EQ(r.post, 10);
  r = cb.CompareAndSet(0, 20);
  EXPECT_FALSE(r.succeeded);
  EXPECT_EQ(r.pre, 10);
  EXPECT_EQ(r.post, 10);
  EXPECT_TRUE(cb.TrySet(30).succeeded);
  EXPECT_EQ(ca.Add(-5).post, 25);
  EXPECT_EQ(ca.Subtract(5).post, 20);
  EXPECT_EQ(cb.Decrement().post, 19);
  EXPECT_EQ(ca.Get(), 19);
}

TEST(AtomicCounterTest, BoundedAttemptsFailWithoutChangingTheValue) {
  auto path = UniquePath("counter-bounded");
  Client b(TestClientOptions()), c(TestClientOptions());
  AtomicCounter writer(b, path);
  writer.Initialize(0);
  // `b` increments in a tight loop, so some single attempt of `c` loses the race.
  AtomicCounter once(c, path, 1);
  std::atomic<bool> stop{false};
  std::thread racer([&] {
    while (!stop) writer.Increment();
  });
  int failures = 0;
  for (int k = 0; k < 200 && failures == 0; ++k) {
    auto r = once.Add(1000000);
    if (!r.succeeded) {
      ++failures;
      EXPECT_EQ(r.pre, r.post);
    }
  }
  stop = true;
  racer.join();
  EXPECT_GT(failures, 0);
  EXPECT_LT(writer.Get(), 1000000 * 200);
}

TEST(AtomicCounterTest, LostWriteReplyIsNeverAppliedTwice) {
  auto path = UniquePath("counter-lost");
  std::atomic<int> drops{0};
  ClientOptions o = TestClientOptions();
  o.drop_after_send = [&](int32_t op, const std::string&) {
    return op == kSetDataOp && drops++ == 0;  // lose the reply of the first setData
  };
  Client c(o);
  AtomicCounter counter(c, path);
  counter.Initialize(5);
  // The write reached the server but its reply did not come back: the outcome is unknown to
  // the counter, which must say so instead of incrementing again.
  try {
    counter.Increment();
    ADD_FAILURE() << "expected the unknown outcome to be reported";
  } catch (const KeeperException& e) {
    EXPECT_EQ(e.code(), Error::kConnectionLoss);
  }
  EXPECT_EQ(drops.load(), 1);
  Client observer(TestClientOptions());
  EXPECT_EQ(AtomicCounter(observer, path).Get(), 6);  // applied once
  EXPECT_EQ(counter.Increment().post, 7);             // and the counter works on
}

TEST(AtomicCounterTest, SurvivesAServerRestart) {
  auto path = UniquePath("counter-restart");
  Client c(TestClientOptions(8000ms));
  AtomicCounter counter(c, path);
  EXPECT_EQ(counter.Add(3).post, 3);
  testing::Server().Stop();
  testing::Server().Start();
  // The session survives the restart (the server recovers it): the next change waits for
  // the reconnect and applies on the recovered value.
  EXPECT_EQ(counter.Add(4).post, 7);
}

}  // namespace
}  // namespace caucus::recipes
