// DistributedQueue against a live server: several producers and consumers (every element
// exactly once), FIFO order, blocking takes, lost replies and a server restart.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <future>
#include <map>
#include <mutex>
#include <thread>

#include "caucus/client.h"
#include "caucus/recipes/distributed_queue.h"
#include "tests/client/test_server.h"

namespace caucus::recipes {
namespace {

using namespace std::chrono_literals;
using testing::TestClientOptions;
using testing::UniquePath;

constexpr int32_t kDeleteOp = 2, kCreate2Op = 15;

TEST(DistributedQueueTest, ThreeProducersThreeConsumersEveryElementExactlyOnce) {
  auto path = UniquePath("queue");
  constexpr int kProducers = 3, kConsumers = 3, kPerProducer = 60;
  constexpr int kTotal = kProducers * kPerProducer;
  std::atomic<int> taken{0};
  std::mutex mu;
  std::vector<std::string> all;
  std::vector<std::thread> threads;
  for (int p = 0; p < kProducers; ++p) {
    threads.emplace_back([&, p] {
      Client c(TestClientOptions());
      DistributedQueue q(c, path);
      for (int k = 0; k < kPerProducer; ++k) q.Put(std::to_string(p) + ":" + std::to_string(k));
    });
  }
  for (int i = 0; i < kConsumers; ++i) {
    threads.emplace_back([&] {
      Client c(TestClientOptions());
      DistributedQueue q(c, path);
      std::vector<std::string> mine;
      while (taken < kTotal) {
        auto e = q.Take(500ms);
        if (!e) continue;
        ++taken;
        mine.push_back(*e);
      }
      // FIFO: one consumer sees each producer's elements in the order they were put.
      std::map<std::string, int> last;
      for (const auto& e : mine) {
        auto colon = e.find(':');
        int k = std::stoi(e.substr(colon + 1));
        auto [it, fresh] = last.try_emplace(e.substr(0, colon), k);
        if (!fresh) {
          EXPECT_GT(k, it->second) << e;
          it->second = k;
        }
      }
      std::lock_guard l(mu);
      all.insert(all.end(), mine.begin(), mine.end());
    });
  }
  for (auto& t : threads) t.join();
  std::vector<std::string> expected;
  for (int p = 0; p < kProducers; ++p)
    for (int k = 0; k < kPerProducer; ++k)
      expected.push_back(std::to_string(p) + ":" + std::to_string(k));
  std::sort(all.begin(), all.end());
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(all, expected);  // no duplicates, no losses
  Client c(TestClientOptions());
  EXPECT_EQ(DistributedQueue(c, path).Size(), 0u);
}

TEST(DistributedQueueTest, FifoPeekAndPoll) {
  auto path = UniquePath("queue-fifo");
  Client c(TestClientOptions());
  DistributedQueue q(c, path);
  EXPECT_EQ(q.Peek(), std::nullopt);
  EXPECT_EQ(q.Poll(), std::nullopt);
  for (const char* e : {"a", "b", "c"}) q.Put(e);
  q.Put(std::string("\0bin\xff", 5));  // elements are bytes
  EXPECT_EQ(q.Size(), 4u);
  EXPECT_EQ(q.Peek(), "a");
  EXPECT_EQ(q.Peek(), "a");  // peek does not remove
  EXPECT_EQ(q.Take(1s), "a");
  EXPECT_EQ(q.Poll(), "b");
  EXPECT_EQ(q.Take(1s), "c");
  EXPECT_EQ(q.Take(1s), std::string("\0bin\xff", 5));
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(q.Take(300ms), std::nullopt);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 300ms);
}

TEST(DistributedQueueTest, BlockedTakeWakesOnPut) {
  auto path = UniquePath("queue-block");
  Client producer(TestClientOptions()), consumer(TestClientOptions());
  DistributedQueue qp(producer, path), qc(consumer, path);
  auto got = std::async(std::launch::async, [&] { return qc.Take(10s); });
  EXPECT_EQ(got.wait_for(300ms), std::future_status::timeout);
  auto put_at = std::chrono::steady_clock::now();
  qp.Put("job");
  ASSERT_EQ(got.wait_for(5s), std::future_status::ready);
  EXPECT_LT(std::chrono::steady_clock::now() - put_at, 2s);  // a watch, not a slow poll
  EXPECT_EQ(got.get(), "job");
}

TEST(DistributedQueueTest, LostRepliesNeitherDuplicateNorLoseElements) {
  auto path = UniquePath("queue-lost");
  std::atomic<int> create_drops{0}, delete_drops{0};
  ClientOptions o = TestClientOptions();
  o.drop_after_send = [&](int32_t op, const std::string& p) {
    if (p.rfind(path + "/", 0) != 0) return false;
    if (op == kCreate2Op) return create_drops++ == 0;  // lose the first put's reply
    if (op == kDeleteOp) return delete_drops++ == 0;   // and the first take's
    return false;
  };
  Client c(o);
  DistributedQueue q(c, path);
  q.Put("one");
  q.Put("two");
  EXPECT_EQ(create_drops.load(), 2);
  Client observer(TestClientOptions());
  DistributedQueue view(observer, path);
  EXPECT_EQ(view.Size(), 2u);  // the lost put was found again, not made twice
  EXPECT_EQ(q.Take(5s), "one");
  EXPECT_EQ(delete_drops.load(), 1);
  EXPECT_EQ(view.Size(), 1u);
  EXPECT_EQ(q.Take(5s), "two");
  EXPECT_EQ(view.Size(), 0u);
}

TEST(DistributedQueueTest, BlockedTakeSurvivesAServerRestart) {
  auto path = UniquePath("queue-restart");
  Client producer(TestClientOptions(8000ms)), consumer(TestClientOptions(8000ms));
  DistributedQueue qp(producer, path), qc(consumer, path);
  qp.Put("before");
  auto got = std::async(std::launch::async, [&] {
    std::vector<std::optional<std::string>> out;
    out.push_back(qc.Take(20s));
    out.push_back(qc.Take(20s));
    return out;
  });
  std::this_thread::sleep_for(300ms);
  testing::Server().Stop();
  testing::Server().Start();
  qp.Put("after");
  ASSERT_EQ(got.wait_for(20s), std::future_status::ready);
  auto out = got.get();
  EXPECT_EQ(out[0], "before");
  EXPECT_EQ(out[1], "after");
}

}  // namespace
}  // namespace caucus::recipes
