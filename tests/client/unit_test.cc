// Unit tests without a server: connection strings, chroot mapping, the watch registry.
#include <gtest/gtest.h>

#include "caucus/error.h"
#include "client/src/connect_string.h"
#include "client/src/watch_registry.h"

namespace caucus::client {
namespace {

TEST(ConnectStringTest, HostsPortsAndChroot) {
  auto cs = ParseConnectString("h1:2181,h2,[::1]:2182/app/x");
  ASSERT_TRUE(cs);
  ASSERT_EQ(cs->hosts.size(), 3u);
  EXPECT_EQ(cs->hosts[0], (HostPort{"h1", 2181}));
  EXPECT_EQ(cs->hosts[1], (HostPort{"h2", 2181}));
  EXPECT_EQ(cs->hosts[2], (HostPort{"::1", 2182}));
  EXPECT_EQ(cs->chroot, "/app/x");
  EXPECT_EQ(ParseConnectString("h:1/")->chroot, "");
}

TEST(ConnectStringTest, Rejects) {
  for (auto bad : {"", "/app", "h:0", "h:99999", "h:x", "h/app/", "h/a//b", "[::1"})
    EXPECT_FALSE(ParseConnectString(bad)) << bad;
}

TEST(ConnectStringTest, Chroot) {
  EXPECT_EQ(AddChroot("/app", "/"), "/app");
  EXPECT_EQ(AddChroot("/app", "/x"), "/app/x");
  EXPECT_EQ(StripChroot("/app", "/app"), "/");
  EXPECT_EQ(StripChroot("/app", "/app/x"), "/x");
  EXPECT_EQ(StripChroot("", "/x"), "/x");
}

TEST(WatchRegistryTest, OneShotAndPersistent) {
  WatchRegistry r;
  int data = 0, child = 0, persistent = 0, recursive = 0;
  r.Add(WatchKind::kData, "/a", [&](const WatchEvent&) { data++; });
  r.Add(WatchKind::kChild, "/a", [&](const WatchEvent&) { child++; });
  r.Add(WatchKind::kPersistent, "/a", [&](const WatchEvent&) { persistent++; });
  r.Add(WatchKind::kPersistentRecursive, "/", [&](const WatchEvent&) { recursive++; });
  for (auto& w : r.Trigger(EventType::kNodeDataChanged, "/a")) w({});
  for (auto& w : r.Trigger(EventType::kNodeDataChanged, "/a")) w({});
  EXPECT_EQ(data, 1);
  EXPECT_EQ(persistent, 2);
  EXPECT_EQ(recursive, 2);
  for (auto& w : r.Trigger(EventType::kNodeChildrenChanged, "/a")) w({});
  EXPECT_EQ(child, 1);
  EXPECT_EQ(recursive, 2);  // recursive watches ignore children-changed
  for (auto& w : r.Trigger(EventType::kNodeCreated, "/a/b/c")) w({});
  EXPECT_EQ(recursive, 3);
  EXPECT_EQ(r.Paths(WatchKind::kPersistent), std::vector<std::string>{"/a"});
  EXPECT_TRUE(r.Has("/a", WatcherType::kPersistent));
  EXPECT_EQ(r.Remove("/a", WatcherType::kAny).size(), 1u);
  EXPECT_EQ(r.TakeAll().size(), 1u);
  EXPECT_TRUE(r.empty());
}

TEST(WatchRegistryTest, DeleteFiresDataExistAndChild) {
  WatchRegistry r;
  int n = 0;
  for (auto k : {WatchKind::kData, WatchKind::kExist, WatchKind::kChild})
    r.Add(k, "/a", [&](const WatchEvent&) { n++; });
  for (auto& w : r.Trigger(EventType::kNodeDeleted, "/a")) w({});
  EXPECT_EQ(n, 3);
  EXPECT_TRUE(r.empty());
}

TEST(ErrorTest, NamesAndErrorCodes) {
  EXPECT_STREQ(ErrorName(Error::kNoNode), "NONODE");
  std::error_code ec = Error::kSessionExpired;
  EXPECT_EQ(ec.message(), "SESSIONEXPIRED");
  EXPECT_EQ(ec, Error::kSessionExpired);
  Result<int> r = Error::kBadVersion;
  EXPECT_THROW(r.value(), KeeperException);
}

}  // namespace
}  // namespace caucus::client
