// NodeCache and TreeCache against a live server: changes made by another client show up in
// the mirror and as listener events, also across a disconnect, a session expiry and a server
// restart.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <thread>

#include "caucus/client.h"
#include "caucus/recipes/node_cache.h"
#include "caucus/recipes/tree_cache.h"
#include "tests/client/test_event.h"
#include "tests/client/test_server.h"

namespace caucus::recipes {
namespace {

using namespace std::chrono_literals;
using testing::Eventually;
using testing::TestClientOptions;
using testing::UniquePath;

constexpr auto kWait = 10s;

// Collects listener events; held by shared_ptr because the cache thread may still deliver
// after a failed assertion ends the test body.
class Recorder {
 public:
  static std::shared_ptr<Recorder> Make() { return std::make_shared<Recorder>(); }
  CacheListener Listener(const std::shared_ptr<Recorder>& self) {
    return [self](const CacheEvent& e) {
      std::lock_guard l(self->mu_);
      self->events_.push_back(e);
    };
  }
  std::vector<CacheEvent> events() {
    std::lock_guard l(mu_);
    return events_;
  }
  bool Has(CacheEventType type, const std::string& path, const std::string& data = "*") {
    std::lock_guard l(mu_);
    return std::any_of(events_.begin(), events_.end(), [&](const CacheEvent& e) {
      return e.type == type && e.node.path == path && (data == "*" || e.node.data == data);
    });
  }
  // Waits until an event of `type` for `path` (with `data`, unless "*") has been delivered.
  bool WaitFor(CacheEventType type, const std::string& path, const std::string& data = "*") {
    return Eventually([&] { return Has(type, path, data); }, kWait);
  }

 private:
  std::mutex mu_;
  std::vector<CacheEvent> events_;
};

// Adds the recorder as a listener, starts the cache and waits for its initial load.
template <class Cache>
bool Started(Cache& cache, const std::shared_ptr<Recorder>& rec) {
  cache.AddListener(rec->Listener(rec));
  cache.Start();
  return cache.AwaitInitialized(kWait);
}

std::optional<std::string> DataOf(const std::optional<ChildData>& node) {
  if (!node) return std::nullopt;
  return node->data;
}

TEST(NodeCacheTest, FollowsCreateUpdateAndDeleteByAnotherClient) {
  auto path = UniquePath("nodecache");
  Client mine(TestClientOptions()), other(TestClientOptions());
  auto rec = Recorder::Make();
  NodeCache cache(mine, path);
  ASSERT_TRUE(Started(cache, rec));
  EXPECT_EQ(cache.Current(), std::nullopt);  // absent at first
  other.Create(path, "v1");
  ASSERT_TRUE(rec->WaitFor(CacheEventType::kAdded, path, "v1"));
  EXPECT_EQ(DataOf(cache.Current()), "v1");
  other.SetData(path, "v2");
  ASSERT_TRUE(rec->WaitFor(CacheEventType::kUpdated, path, "v2"));
  EXPECT_EQ(cache.Current()->stat.version, 1);
  other.Create(path + "/child", "ignored");  // a node cache does not mirror children
  other.Delete(path + "/child");
  other.Delete(path);
  ASSERT_TRUE(rec->WaitFor(CacheEventType::kRemoved, path, "v2"));
  EXPECT_EQ(cache.Current(), std::nullopt);
  for (const auto& e : rec->events()) EXPECT_NE(e.node.path, path + "/child");
  auto types = rec->events();
  ASSERT_EQ(types.size(), 4u);
  EXPECT_EQ(types[0].type, CacheEventType::kInitialized);
}

TEST(NodeCacheTest, SeesAChangeMadeWhileTheServerRestarted) {
  auto path = UniquePath("nodecache-restart");
  Client mine(TestClientOptions(8000ms)), other(TestClientOptions(8000ms));
  other.Create(path, "before");
  auto rec = Recorder::Make();
  NodeCache cache(mine, path);
  ASSERT_TRUE(Started(cache, rec));
  EXPECT_EQ(DataOf(cache.Current()), "before");
  testing::Server().Stop();
  testing::Server().Start();
  other.SetData(path, "after");
  ASSERT_TRUE(rec->WaitFor(CacheEventType::kUpdated, path, "after"));
  EXPECT_EQ(DataOf(cache.Current()), "after");
}

// A small tree: root, /a = "1", /b, /b/c = "x".
std::string MakeTree(Client& c, const std::string& prefix) {
  auto root = UniquePath(prefix);
  c.Create(root, "root");
  c.Create(root + "/a", "1");
  c.Create(root + "/b");
  c.Create(root + "/b/c", "x");
  return root;
}

TEST(TreeCacheTest, MirrorsTheSubtreeAndFollowsAnotherClient) {
  Client mine(TestClientOptions()), other(TestClientOptions());
  auto root = MakeTree(other, "treecache");
  auto rec = Recorder::Make();
  TreeCache cache(mine, root);
  ASSERT_TRUE(Started(cache, rec));
  EXPECT_EQ(cache.size(), 4u);
  EXPECT_EQ(cache.Children(root), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(DataOf(cache.Get(root + "/b/c")), "x");
  auto initial = rec->events();
  ASSERT_EQ(initial.size(), 5u);  // four kAdded, then kInitialized
  EXPECT_EQ(initial.back().type, CacheEventType::kInitialized);

  other.Create(root + "/b/d", "y");
  other.SetData(root + "/a", "2");
  other.Delete(root + "/b/c");
  other.Create(root + "/e", "");
  other.Create(root + "/e/f", "deep");
  ASSERT_TRUE(rec->WaitFor(CacheEventType::kAdded, root + "/e/f", "deep"));
  EXPECT_TRUE(rec->Has(CacheEventType::kAdded, root + "/b/d", "y"));
  EXPECT_TRUE(rec->Has(CacheEventType::kUpdated, root + "/a", "2"));
  EXPECT_TRUE(rec->Has(CacheEventType::kRemoved, root + "/b/c", "x"));
  EXPECT_EQ(cache.Children(root + "/b"), std::vector<std::string>{"d"});
  EXPECT_EQ(DataOf(cache.Get(root + "/a")), "2");
  EXPECT_EQ(cache.Get(root + "/b/c"), std::nullopt);

  other.Delete(root + "/b/d");
  other.Delete(root + "/b");
  ASSERT_TRUE(rec->WaitFor(CacheEventType::kRemoved, root + "/b"));
  EXPECT_EQ(cache.Children(root), (std::vector<std::string>{"a", "e"}));
  EXPECT_EQ(cache.size(), 4u);
}

TEST(TreeCacheTest, MaxDepthLimitsTheMirror) {
  Client mine(TestClientOptions()), other(TestClientOptions());
  auto root = MakeTree(other, "treecache-depth");
  TreeCache cache(mine, root, 1);
  cache.Start();
  ASSERT_TRUE(cache.AwaitInitialized(kWait));
  EXPECT_EQ(cache.size(), 3u);  // root, a, b
  EXPECT_EQ(cache.Get(root + "/b/c"), std::nullopt);
  other.Create(root + "/b/z");
  other.Create(root + "/g", "new");
  ASSERT_TRUE(Eventually([&] { return cache.Get(root + "/g").has_value(); }, kWait));
  EXPECT_EQ(cache.Get(root + "/b/z"), std::nullopt);
}

TEST(TreeCacheTest, CatchesUpOnChangesMadeWhileDisconnected) {
  Client mine(TestClientOptions(4000ms)), other(TestClientOptions());
  auto root = MakeTree(other, "treecache-offline");
  auto rec = Recorder::Make();
  TreeCache cache(mine, root);
  ASSERT_TRUE(Started(cache, rec));
  mine.SimulatePartition(1500ms);  // the session survives
  std::this_thread::sleep_for(100ms);
  other.SetData(root + "/a", "offline");
  other.Delete(root + "/b/c");
  other.Create(root + "/n", "new");
  EXPECT_EQ(DataOf(cache.Get(root + "/a")), "1");  // still serving its last state
  ASSERT_TRUE(rec->WaitFor(CacheEventType::kAdded, root + "/n", "new"));
  EXPECT_TRUE(rec->WaitFor(CacheEventType::kUpdated, root + "/a", "offline"));
  EXPECT_TRUE(rec->WaitFor(CacheEventType::kRemoved, root + "/b/c"));
  // And it keeps following afterwards.
  other.SetData(root + "/n", "later");
  EXPECT_TRUE(rec->WaitFor(CacheEventType::kUpdated, root + "/n", "later"));
}

TEST(TreeCacheTest, FollowsOnWithANewSessionAfterExpiry) {
  Client mine(TestClientOptions(1500ms)), other(TestClientOptions());
  auto root = MakeTree(other, "treecache-expiry");
  auto rec = Recorder::Make();
  TreeCache cache(mine, root);
  ASSERT_TRUE(Started(cache, rec));
  int64_t first_session = mine.session_id();
  mine.SimulatePartition(4000ms);  // past the session timeout: the session and watch are gone
  std::this_thread::sleep_for(200ms);
  other.SetData(root + "/a", "during");
  ASSERT_TRUE(rec->WaitFor(CacheEventType::kUpdated, root + "/a", "during"));
  EXPECT_NE(mine.session_id(), first_session);
  // The watch was added again in the new session: later changes arrive as events.
  other.Create(root + "/b/after", "z");
  EXPECT_TRUE(rec->WaitFor(CacheEventType::kAdded, root + "/b/after", "z"));
  EXPECT_EQ(cache.Children(root + "/b"), (std::vector<std::string>{"after", "c"}));
}

}  // namespace
}  // namespace caucus::recipes
