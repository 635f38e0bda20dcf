// SessionTracker: tick-bucketed expiry (ZooKeeper's ExpiryQueue), touch, closing, TakeExpired.
#include <gtest/gtest.h>

#include <algorithm>

#include "server/session/session_tracker.h"

namespace caucus::session {
namespace {

std::vector<int64_t> Sorted(std::vector<int64_t> v) {
  std::sort(v.begin(), v.end());
  return v;
}

TEST(SessionTracker, AddFindAndExpiryIsRoundedUpToTheNextTick) {
  SessionTracker t(2000);
  t.Add(1, 5000, "pw", 1000);
  const Session* s = t.Find(1);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->id, 1);
  EXPECT_EQ(s->timeout_ms, 5000);
  EXPECT_EQ(s->passwd, "pw");
  EXPECT_FALSE(s->closing);
  EXPECT_EQ(s->expires_at_ms, 8000);  // first tick boundary after 1000 + 5000
  EXPECT_EQ(t.size(), 1u);
  EXPECT_EQ(t.Find(2), nullptr);
  // On an exact boundary it still moves to the next one (ExpiryQueue.roundToNextInterval).
  t.Add(2, 4000, "", 2000);
  EXPECT_EQ(t.Find(2)->expires_at_ms, 8000);
}

TEST(SessionTracker, ExpiresOnlyAfterItsBucket) {
  SessionTracker t(1000);
  t.Add(1, 3000, "", 0);  // expires at 4000
  EXPECT_TRUE(t.TakeExpired(0).empty());
  EXPECT_TRUE(t.TakeExpired(3999).empty());
  EXPECT_EQ(t.TakeExpired(4000), (std::vector<int64_t>{1}));
  // Returned once, marked closing, still known until removed.
  EXPECT_TRUE(t.TakeExpired(100000).empty());
  ASSERT_NE(t.Find(1), nullptr);
  EXPECT_TRUE(t.Find(1)->closing);
  t.Remove(1);
  EXPECT_EQ(t.Find(1), nullptr);
  EXPECT_EQ(t.size(), 0u);
}

TEST(SessionTracker, TouchPushesExpiryForward) {
  SessionTracker t(1000);
  t.Add(1, 3000, "", 0);  // 4000
  EXPECT_TRUE(t.Touch(1, 2500));  // 6000
  EXPECT_EQ(t.Find(1)->expires_at_ms, 6000);
  EXPECT_TRUE(t.TakeExpired(5999).empty());
  EXPECT_EQ(t.TakeExpired(6000), (std::vector<int64_t>{1}));
}

TEST(SessionTracker, TouchNeverMovesExpiryBack) {
  SessionTracker t(1000);
  t.Add(1, 10000, "", 5000);  // 16000
  t.SetTimeout(1, 1000);
  EXPECT_TRUE(t.Touch(1, 5000));  // would be 7000: kept at 16000
  EXPECT_EQ(t.Find(1)->expires_at_ms, 16000);
  EXPECT_EQ(t.Find(1)->timeout_ms, 1000);
  EXPECT_TRUE(t.TakeExpired(15000).empty());
}

TEST(SessionTracker, TouchUnknownOrClosingFails) {
  SessionTracker t(1000);
  EXPECT_FALSE(t.Touch(42, 0));
  t.Add(1, 3000, "", 0);
  t.SetClosing(1);
  EXPECT_FALSE(t.Touch(1, 1000));
  // A closing session is not handed out again by TakeExpired.
  EXPECT_TRUE(t.TakeExpired(100000).empty());
}

TEST(SessionTracker, ManySessionsShareBuckets) {
  SessionTracker t(1000);
  t.Add(1, 2000, "", 100);   // 3000
  t.Add(2, 2000, "", 900);   // 3000
  t.Add(3, 2000, "", 1100);  // 4000
  t.Add(4, 9000, "", 0);     // 10000
  EXPECT_EQ(Sorted(t.TakeExpired(3500)), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(t.TakeExpired(4000), (std::vector<int64_t>{3}));
  EXPECT_TRUE(t.TakeExpired(9999).empty());
  t.Touch(4, 9999);  // 19000
  EXPECT_TRUE(t.TakeExpired(18999).empty());
  EXPECT_EQ(t.TakeExpired(19000), (std::vector<int64_t>{4}));
}

TEST(SessionTracker, RemoveBeforeExpiry) {
  SessionTracker t(1000);
  t.Add(1, 2000, "", 0);
  t.Add(2, 2000, "", 0);
  t.Remove(1);
  t.Remove(99);  // unknown: no-op
  EXPECT_EQ(t.TakeExpired(10000), (std::vector<int64_t>{2}));
}

TEST(SessionTracker, ReAddReplacesTheSession) {
  SessionTracker t(1000);
  t.Add(1, 2000, "old", 0);
  t.Add(1, 5000, "new", 0);
  EXPECT_EQ(t.size(), 1u);
  EXPECT_EQ(t.Find(1)->passwd, "new");
  EXPECT_TRUE(t.TakeExpired(5999).empty());  // the old 3000 bucket entry is gone
  EXPECT_EQ(t.TakeExpired(6000), (std::vector<int64_t>{1}));
}

TEST(SessionTracker, NonPositiveTickIsClampedToOne) {
  SessionTracker t(0);
  t.Add(1, 10, "", 5);
  EXPECT_EQ(t.Find(1)->expires_at_ms, 16);
  EXPECT_EQ(t.TakeExpired(16), (std::vector<int64_t>{1}));
}

TEST(SessionTracker, SessionsMapExposesAll) {
  SessionTracker t(1000);
  t.Add(5, 1000, "", 0);
  t.Add(6, 1000, "", 0);
  EXPECT_EQ(t.sessions().size(), 2u);
  EXPECT_TRUE(t.sessions().count(5));
}

}  // namespace
}  // namespace caucus::session
