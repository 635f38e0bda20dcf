// DataTree, path rules, AclCache and WatchManager, checked against ZooKeeper 3.8's
// DataTree.java / PathUtils.java / WatchManager.java semantics.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

#include "server/datatree/acl_cache.h"
#include "server/datatree/data_tree.h"
#include "server/datatree/path_utils.h"
#include "server/datatree/watch_manager.h"

namespace caucus::datatree {
namespace {

using jute::Acl;
using jute::AclList;
using jute::Error;
using jute::EventType;
using jute::Id;
using jute::WatcherType;

AclList Open() { return {Acl{31, Id{"world", "anyone"}}}; }
AclList ReadOnly() { return {Acl{1, Id{"world", "anyone"}}}; }
AclList Digest(const char* who) { return {Acl{31, Id{"digest", who}}}; }

// ---------------------------------------------------------------- path rules

TEST(PathUtils, ValidPaths) {
  for (const char* p : {"/", "/a", "/a/b", "/zookeeper", "/.a", "/a.", "/...", "/a/.b/c..",
                        "/a b", "/\xc3\xa9",            // U+00E9
                        "/\xe4\xb8\xad\xe6\x96\x87",    // CJK
                        "/\xef\xa4\x80",                // U+F900, just above the banned block
                        "/\xef\xbf\xaf",                // U+FFEF
                        "/-_+=@#$%^&*()[]{}|;:'\",<>?~`"}) {
    EXPECT_TRUE(IsValidPath(p)) << p;
  }
}

TEST(PathUtils, InvalidStructure) {
  for (const char* p : {"", "a", "a/b", "/a/", "//", "//a", "/a//b", "/.", "/..", "/a/.",
                        "/a/..", "/a/./b", "/a/../b", "/./a", "/../a"}) {
    EXPECT_FALSE(IsValidPath(p)) << p;
  }
}

TEST(PathUtils, InvalidCharacters) {
  EXPECT_FALSE(IsValidPath(std::string("/a\0b", 4)));
  EXPECT_FALSE(IsValidPath(std::string("/\0", 2)));
  EXPECT_FALSE(IsValidPath("/a\x01"));
  EXPECT_FALSE(IsValidPath("/a\x1f"));
  EXPECT_FALSE(IsValidPath("/a\x7f"));
  EXPECT_FALSE(IsValidPath("/a\xc2\x80"));      // U+0080
  EXPECT_FALSE(IsValidPath("/a\xc2\x9f"));      // U+009F
  EXPECT_TRUE(IsValidPath("/a\xc2\xa0"));       // U+00A0 is fine
  EXPECT_FALSE(IsValidPath("/a\xed\xa0\x80"));  // U+D800 (a surrogate)
  EXPECT_FALSE(IsValidPath("/a\xee\x80\x80"));  // U+E000 (private use)
  EXPECT_FALSE(IsValidPath("/a\xef\xa3\xbf"));  // U+F8FF
  EXPECT_FALSE(IsValidPath("/a\xef\xbf\xb0"));  // U+FFF0
  EXPECT_FALSE(IsValidPath("/a\xef\xbf\xbf"));  // U+FFFF
  // Outside the BMP: Java sees a surrogate pair, which is in the banned range.
  EXPECT_FALSE(IsValidPath("/a\xf0\x9f\x98\x80"));  // U+1F600
}

TEST(PathUtils, MalformedUtf8IsInvalid) {
  // Java decodes malformed UTF-8 to U+FFFD, which validatePath rejects.
  EXPECT_FALSE(IsValidPath("/a\xff"));
  EXPECT_FALSE(IsValidPath("/a\x80"));
  EXPECT_FALSE(IsValidPath("/a\xc3"));      // truncated sequence
  EXPECT_FALSE(IsValidPath("/a\xe4\xb8"));  // truncated sequence
  EXPECT_FALSE(IsValidPath("/a\xc3/b"));    // lead byte followed by ASCII
}

// BUG (server/datatree/path_utils.cc, DecodeUtf8/IsForbiddenCodePoint): overlong UTF-8
// encodings are decoded to the code point they spell instead of being treated as malformed.
// ZooKeeper's jute decodes paths with new String(bytes, UTF_8), which turns every malformed
// or overlong sequence into U+FFFD, and PathUtils.validatePath rejects U+FFFD
// ("invalid character"). Caucus accepts e.g. "/a\xC0\x80" (an overlong NUL, decoded to
// code point 0, which IsForbiddenCodePoint does not ban) and "/\xC0\xAE" (an overlong '.').
TEST(PathUtils, OverlongUtf8IsInvalid_ServerBug) {
  EXPECT_FALSE(IsValidPath("/a\xc0\x80"));          // overlong U+0000
  EXPECT_FALSE(IsValidPath("/\xc0\xae"));           // overlong '.'
  EXPECT_FALSE(IsValidPath("/a\xe0\x80\xaf"));      // overlong '/'
  EXPECT_FALSE(IsValidPath("/a\xf0\x80\x80\x80"));  // overlong U+0000, 4 bytes
  EXPECT_FALSE(IsValidPath("/a\xf8\x80\x80\x80"));  // 0xF8 is never a valid lead byte
}

TEST(PathUtils, ParentAndBaseName) {
  EXPECT_EQ(ParentPath("/a"), "/");
  EXPECT_EQ(ParentPath("/a/b"), "/a");
  EXPECT_EQ(ParentPath("/a/b/c"), "/a/b");
  EXPECT_EQ(BaseName("/a"), "a");
  EXPECT_EQ(BaseName("/a/bc"), "bc");
}

// ---------------------------------------------------------------- system nodes

TEST(DataTree, SystemNodes) {
  DataTree t;
  const Znode* root = t.Find("/");
  ASSERT_NE(root, nullptr);
  EXPECT_EQ(t.ChildrenOf(*root), (std::vector<std::string>{"zookeeper"}));
  const Znode* zk = t.Find("/zookeeper");
  ASSERT_NE(zk, nullptr);
  EXPECT_EQ(t.ChildrenOf(*zk), (std::vector<std::string>{"config", "quota"}));
  EXPECT_EQ(t.AclOf(*zk), Open());
  const Znode* quota = t.Find("/zookeeper/quota");
  ASSERT_NE(quota, nullptr);
  EXPECT_EQ(t.AclOf(*quota), Open());
  EXPECT_EQ(t.StatOf(*quota).aversion, 0);
  const Znode* config = t.Find("/zookeeper/config");
  ASSERT_NE(config, nullptr);
  EXPECT_EQ(t.AclOf(*config), ReadOnly());
  EXPECT_EQ(t.StatOf(*config).aversion, -1);
  EXPECT_EQ(t.node_count(), 4u);
  // All-zero stats, as ZooKeeper's new StatPersisted().
  jute::Stat s = t.StatOf(*root);
  EXPECT_EQ(s.czxid, 0);
  EXPECT_EQ(s.version, 0);
  EXPECT_EQ(s.num_children, 1);
  EXPECT_EQ(s.ephemeral_owner, 0);
  EXPECT_EQ(t.last_processed_zxid(), 0);
}

// ---------------------------------------------------------------- create

TEST(DataTree, CreateSetsStat) {
  DataTree t;
  jute::Stat out;
  ASSERT_EQ(t.CreateNode("/a", std::string("hello"), Open(), 0, 1, 5, 1000, &out), Error::kOk);
  EXPECT_EQ(out.czxid, 5);
  EXPECT_EQ(out.mzxid, 5);
  EXPECT_EQ(out.pzxid, 5);
  EXPECT_EQ(out.ctime, 1000);
  EXPECT_EQ(out.mtime, 1000);
  EXPECT_EQ(out.version, 0);
  EXPECT_EQ(out.cversion, 0);
  EXPECT_EQ(out.aversion, 0);
  EXPECT_EQ(out.ephemeral_owner, 0);
  EXPECT_EQ(out.data_length, 5);
  EXPECT_EQ(out.num_children, 0);
  const Znode* n = t.Find("/a");
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(t.StatOf(*n), out);
  EXPECT_EQ(t.DataOf(*n), "hello");
}

TEST(DataTree, CreateSetsParentCversionAndPzxid) {
  DataTree t;
  ASSERT_EQ(t.CreateNode("/p", std::string(), Open(), 0, 1, 3, 10, nullptr), Error::kOk);
  ASSERT_EQ(t.CreateNode("/p/c1", std::string(), Open(), 0, 1, 4, 20, nullptr), Error::kOk);
  ASSERT_EQ(t.CreateNode("/p/c2", std::string(), Open(), 0, 2, 6, 30, nullptr), Error::kOk);
  const Znode* p = t.Find("/p");
  jute::Stat ps = t.PersistedStatOf(*p);
  EXPECT_EQ(ps.cversion, 2);
  EXPECT_EQ(ps.pzxid, 6);
  EXPECT_EQ(ps.mzxid, 3);  // a child create does not touch the parent's mzxid/version
  EXPECT_EQ(ps.version, 0);
  EXPECT_EQ(ps.mtime, 10);
  jute::Stat cs = t.StatOf(*p);
  EXPECT_EQ(cs.num_children, 2);
  EXPECT_EQ(cs.cversion, 2);  // 2 * creates - numChildren
  EXPECT_EQ(t.ChildrenOf(*p), (std::vector<std::string>{"c1", "c2"}));
}

TEST(DataTree, CreateWithParentCversionMinusOneIncrements) {
  DataTree t;
  ASSERT_EQ(t.CreateNode("/p", std::string(), Open(), 0, -1, 3, 10, nullptr), Error::kOk);
  EXPECT_EQ(t.PersistedStatOf(*t.Find("/")).cversion, 1);
  ASSERT_EQ(t.CreateNode("/q", std::string(), Open(), 0, -1, 4, 10, nullptr), Error::kOk);
  EXPECT_EQ(t.PersistedStatOf(*t.Find("/")).cversion, 2);
  EXPECT_EQ(t.PersistedStatOf(*t.Find("/")).pzxid, 4);
}

TEST(DataTree, CreateNeverMovesParentCversionBackwards) {
  // Replaying a txn over a fuzzy snapshot: an older cversion leaves cversion and pzxid alone.
  DataTree t;
  ASSERT_EQ(t.CreateNode("/p", std::string(), Open(), 0, 5, 10, 0, nullptr), Error::kOk);
  ASSERT_EQ(t.CreateNode("/q", std::string(), Open(), 0, 3, 11, 0, nullptr), Error::kOk);
  jute::Stat rs = t.PersistedStatOf(*t.Find("/"));
  EXPECT_EQ(rs.cversion, 5);
  EXPECT_EQ(rs.pzxid, 10);
  EXPECT_NE(t.Find("/q"), nullptr);
}

TEST(DataTree, CreateErrors) {
  DataTree t;
  EXPECT_EQ(t.CreateNode("/a/b", std::string(), Open(), 0, 1, 1, 0, nullptr), Error::kNoNode);
  ASSERT_EQ(t.CreateNode("/a", std::string(), Open(), 0, 1, 2, 0, nullptr), Error::kOk);
  EXPECT_EQ(t.CreateNode("/a", std::string(), Open(), 0, 2, 3, 0, nullptr), Error::kNodeExists);
  // A failed create leaves the parent as it was.
  EXPECT_EQ(t.PersistedStatOf(*t.Find("/")).cversion, 1);
  EXPECT_EQ(t.PersistedStatOf(*t.Find("/")).pzxid, 2);
}

TEST(DataTree, NullDataVersusEmptyData) {
  DataTree t;
  ASSERT_EQ(t.CreateNode("/null", std::nullopt, Open(), 0, 1, 1, 0, nullptr), Error::kOk);
  ASSERT_EQ(t.CreateNode("/empty", std::string(), Open(), 0, 2, 2, 0, nullptr), Error::kOk);
  EXPECT_FALSE(t.DataOf(*t.Find("/null")).has_value());
  ASSERT_TRUE(t.DataOf(*t.Find("/empty")).has_value());
  EXPECT_EQ(*t.DataOf(*t.Find("/empty")), "");
  EXPECT_EQ(t.StatOf(*t.Find("/null")).data_length, 0);
  // setData with null makes data null again, with non-null it is not null any more.
  ASSERT_EQ(t.SetData("/null", std::string("x"), 1, 3, 0, nullptr), Error::kOk);
  EXPECT_EQ(t.DataOf(*t.Find("/null")), "x");
  ASSERT_EQ(t.SetData("/empty", std::nullopt, 1, 4, 0, nullptr), Error::kOk);
  EXPECT_FALSE(t.DataOf(*t.Find("/empty")).has_value());
}

// ---------------------------------------------------------------- delete

TEST(DataTree, DeleteSetsParentPzxidButNotCversion) {
  DataTree t;
  ASSERT_EQ(t.CreateNode("/p", std::string(), Open(), 0, 1, 1, 0, nullptr), Error::kOk);
  ASSERT_EQ(t.CreateNode("/p/a", std::string(), Open(), 0, 1, 2, 0, nullptr), Error::kOk);
  ASSERT_EQ(t.CreateNode("/p/b", std::string(), Open(), 0, 2, 3, 0, nullptr), Error::kOk);
  ASSERT_EQ(t.DeleteNode("/p/a", 7), Error::kOk);
  EXPECT_EQ(t.Find("/p/a"), nullptr);
  const Znode* p = t.Find("/p");
  jute::Stat ps = t.PersistedStatOf(*p);
  EXPECT_EQ(ps.cversion, 2);  // stored count of creates: unchanged by a delete
  EXPECT_EQ(ps.pzxid, 7);
  jute::Stat cs = t.StatOf(*p);
  EXPECT_EQ(cs.num_children, 1);
  EXPECT_EQ(cs.cversion, 3);  // as clients see it: 2 creates + 1 delete
  EXPECT_EQ(cs.mzxid, 1);
  EXPECT_EQ(t.ChildrenOf(*p), (std::vector<std::string>{"b"}));
}

TEST(DataTree, DeleteWithOlderZxidKeepsPzxid) {
  DataTree t;
  ASSERT_EQ(t.CreateNode("/a", std::string(), Open(), 0, 1, 10, 0, nullptr), Error::kOk);
  ASSERT_EQ(t.DeleteNode("/a", 8), Error::kOk);
  EXPECT_EQ(t.PersistedStatOf(*t.Find("/")).pzxid, 10);
}

TEST(DataTree, DeleteMissing) {
  DataTree t;
  EXPECT_EQ(t.DeleteNode("/nope", 1), Error::kNoNode);
  EXPECT_EQ(t.DeleteNode("/no/pe", 1), Error::kNoNode);
}

TEST(DataTree, RecreateAfterDeleteIsFresh) {
  DataTree t;
  ASSERT_EQ(t.CreateNode("/a", std::string("1"), Open(), 0, 1, 1, 0, nullptr), Error::kOk);
  ASSERT_EQ(t.SetData("/a", std::string("2"), 1, 2, 0, nullptr), Error::kOk);
  ASSERT_EQ(t.DeleteNode("/a", 3), Error::kOk);
  jute::Stat s;
  ASSERT_EQ(t.CreateNode("/a", std::nullopt, Open(), 0, 2, 4, 0, &s), Error::kOk);
  EXPECT_EQ(s.version, 0);
  EXPECT_EQ(s.czxid, 4);
  EXPECT_EQ(t.PersistedStatOf(*t.Find("/")).cversion, 2);
  EXPECT_EQ(t.StatOf(*t.Find("/")).cversion, 2 * 2 - 2);  // root has zookeeper + a
}

// ---------------------------------------------------------------- setData / setACL

TEST(DataTree, SetDataStat) {
  DataTree t;
  ASSERT_EQ(t.CreateNode("/a", std::string("abc"), Open(), 0, 1, 1, 100, nullptr), Error::kOk);
  jute::Stat s;
  ASSERT_EQ(t.SetData("/a", std::string("hello world"), 1, 9, 200, &s), Error::kOk);
  EXPECT_EQ(s.version, 1);
  EXPECT_EQ(s.mzxid, 9);
  EXPECT_EQ(s.mtime, 200);
  EXPECT_EQ(s.czxid, 1);
  EXPECT_EQ(s.ctime, 100);
  EXPECT_EQ(s.pzxid, 1);
  EXPECT_EQ(s.data_length, 11);
  EXPECT_EQ(t.PersistedStatOf(*t.Find("/")).pzxid, 1);  // parent untouched
  EXPECT_EQ(t.SetData("/missing", std::nullopt, 1, 10, 0, nullptr), Error::kNoNode);
}

TEST(DataTree, SetAclStat) {
  DataTree t;
  ASSERT_EQ(t.CreateNode("/a", std::string(), Open(), 0, 1, 1, 0, nullptr), Error::kOk);
  jute::Stat s;
  ASSERT_EQ(t.SetAcl("/a", ReadOnly(), 1, &s), Error::kOk);
  EXPECT_EQ(s.aversion, 1);
  EXPECT_EQ(s.version, 0);
  EXPECT_EQ(s.mzxid, 1);  // setACL does not change mzxid
  EXPECT_EQ(t.AclOf(*t.Find("/a")), ReadOnly());
  EXPECT_EQ(t.SetAcl("/missing", ReadOnly(), 1, nullptr), Error::kNoNode);
}

// ---------------------------------------------------------------- ephemerals, containers, TTL

TEST(DataTree, EphemeralsBySession) {
  DataTree t;
  ASSERT_EQ(t.CreateNode("/b", std::string(), Open(), 0x11, 1, 1, 0, nullptr), Error::kOk);
  ASSERT_EQ(t.CreateNode("/a", std::string(), Open(), 0x11, 2, 2, 0, nullptr), Error::kOk);
  ASSERT_EQ(t.CreateNode("/c", std::string(), Open(), 0x22, 3, 3, 0, nullptr), Error::kOk);
  EXPECT_EQ(t.EphemeralsOf(0x11), (std::vector<std::string>{"/a", "/b"}));
  EXPECT_EQ(t.EphemeralsOf(0x22), (std::vector<std::string>{"/c"}));
  EXPECT_TRUE(t.EphemeralsOf(0x33).empty());
  EXPECT_EQ(t.EphemeralCount(), 3u);
  EXPECT_EQ(t.StatOf(*t.Find("/a")).ephemeral_owner, 0x11);
  ASSERT_EQ(t.DeleteNode("/a", 4), Error::kOk);
  EXPECT_EQ(t.EphemeralsOf(0x11), (std::vector<std::string>{"/b"}));
  ASSERT_EQ(t.DeleteNode("/b", 5), Error::kOk);
  EXPECT_TRUE(t.EphemeralsOf(0x11).empty());
  EXPECT_EQ(t.EphemeralCount(), 1u);
}

TEST(DataTree, ContainersAndTtlSets) {
  DataTree t;
  ASSERT_EQ(t.CreateNode("/c", std::string(), Open(), kContainerEphemeralOwner, 1, 1, 0, nullptr),
            Error::kOk);
  int64_t ttl_owner = TtlOwner(5000);
  ASSERT_EQ(t.CreateNode("/t", std::string(), Open(), ttl_owner, 2, 2, 0, nullptr), Error::kOk);
  EXPECT_EQ(t.containers(), (std::set<std::string>{"/c"}));
  EXPECT_EQ(t.ttls(), (std::set<std::string>{"/t"}));
  EXPECT_EQ(t.EphemeralCount(), 0u);
  // Clients see ephemeralOwner 0 for containers and TTL nodes (DataNode.copyStat).
  EXPECT_EQ(t.StatOf(*t.Find("/c")).ephemeral_owner, 0);
  EXPECT_EQ(t.StatOf(*t.Find("/t")).ephemeral_owner, 0);
  EXPECT_EQ(t.PersistedStatOf(*t.Find("/c")).ephemeral_owner, kContainerEphemeralOwner);
  EXPECT_EQ(TtlOfOwner(t.PersistedStatOf(*t.Find("/t")).ephemeral_owner), 5000);
  ASSERT_EQ(t.DeleteNode("/c", 3), Error::kOk);
  ASSERT_EQ(t.DeleteNode("/t", 4), Error::kOk);
  EXPECT_TRUE(t.containers().empty());
  EXPECT_TRUE(t.ttls().empty());
}

TEST(DataTree, OwnerEncodings) {
  EXPECT_TRUE(IsContainerOwner(INT64_MIN));
  EXPECT_FALSE(IsSessionOwner(INT64_MIN));
  EXPECT_TRUE(IsTtlOwner(TtlOwner(1)));
  EXPECT_EQ(static_cast<uint64_t>(TtlOwner(1)), 0xff00000000000001ull);
  EXPECT_FALSE(IsSessionOwner(TtlOwner(kMaxTtlMs)));
  EXPECT_TRUE(IsSessionOwner(0x0100000000000001LL));
  EXPECT_FALSE(IsSessionOwner(0));
}

TEST(DataTree, CountDescendants) {
  DataTree t;
  ASSERT_EQ(t.CreateNode("/a", std::string(), Open(), 0, 1, 1, 0, nullptr), Error::kOk);
  ASSERT_EQ(t.CreateNode("/a/b", std::string(), Open(), 0, 1, 2, 0, nullptr), Error::kOk);
  ASSERT_EQ(t.CreateNode("/a/b/c", std::string(), Open(), 0, 1, 3, 0, nullptr), Error::kOk);
  ASSERT_EQ(t.CreateNode("/a/d", std::string(), Open(), 0, 2, 4, 0, nullptr), Error::kOk);
  EXPECT_EQ(t.CountDescendants("/a"), 3);
  EXPECT_EQ(t.CountDescendants("/a/b/c"), 0);
  EXPECT_EQ(t.CountDescendants("/missing"), 0);
  EXPECT_EQ(t.CountDescendants("/"), 4 + 3);  // + zookeeper, quota, config
}

// The index is an open-addressing table that deletes by shifting probe runs back: many
// creates (several growths) and deletes in random order must leave exactly the live paths.
TEST(DataTree, IndexKeepsExactlyTheLivePathsThroughGrowthAndDeletes) {
  DataTree t;
  size_t base = t.node_count();
  std::vector<std::string> paths;
  for (int p = 0; p < 4; ++p) {
    paths.push_back("/p" + std::to_string(p));
    ASSERT_EQ(t.CreateNode(paths.back(), std::string(), Open(), 0, -1, 1, 1, nullptr), Error::kOk);
  }
  for (int i = 0; i < 20000; ++i) {
    paths.push_back("/p" + std::to_string(i % 4) + "/n" + std::to_string(i));
    ASSERT_EQ(t.CreateNode(paths.back(), std::string(), Open(), 0, -1, 2, 1, nullptr), Error::kOk);
  }
  std::vector<std::string> order(paths.begin() + 4, paths.end());
  std::mt19937 rng(42);
  std::shuffle(order.begin(), order.end(), rng);
  std::set<std::string> deleted(order.begin(), order.begin() + 13000);
  for (const auto& p : std::vector<std::string>(order.begin(), order.begin() + 13000)) {
    ASSERT_EQ(t.DeleteNode(p, 3), Error::kOk) << p;
  }
  for (const auto& p : paths) {
    const Znode* n = t.Find(p);
    ASSERT_EQ(n == nullptr, deleted.count(p) == 1) << p;
    if (n) {
      EXPECT_EQ(n->path(), p);
    }
  }
  EXPECT_EQ(t.node_count(), base + paths.size() - deleted.size());
  EXPECT_EQ(t.Find("/p0/n999999"), nullptr);
}

TEST(DataTree, AclInterningAcrossNodes) {
  DataTree t;
  ASSERT_EQ(t.CreateNode("/a", std::string(), Digest("u:h"), 0, 1, 1, 0, nullptr), Error::kOk);
  ASSERT_EQ(t.CreateNode("/b", std::string(), Digest("u:h"), 0, 2, 2, 0, nullptr), Error::kOk);
  EXPECT_EQ(t.Find("/a")->acl, t.Find("/b")->acl);
  EXPECT_NE(t.Find("/a")->acl, AclCache::kOpenAclUnsafe);
  ASSERT_EQ(t.DeleteNode("/a", 3), Error::kOk);
  EXPECT_EQ(t.AclOf(*t.Find("/b")), Digest("u:h"));  // still referenced by /b
}

// ---------------------------------------------------------------- AclCache

TEST(AclCache, OpenAclIsPinnedAtZero) {
  AclCache c;
  EXPECT_EQ(c.size(), 1u);
  EXPECT_EQ(c.Get(AclCache::kOpenAclUnsafe), Open());
  EXPECT_EQ(c.Intern(Open()), AclCache::kOpenAclUnsafe);
  c.Release(AclCache::kOpenAclUnsafe);
  c.Release(AclCache::kOpenAclUnsafe);  // one more than was added: pinned, never freed
  EXPECT_EQ(c.size(), 1u);
  EXPECT_EQ(c.Intern(Open()), AclCache::kOpenAclUnsafe);
}

TEST(AclCache, InternAndRefcount) {
  AclCache c;
  AclId a = c.Intern(Digest("a:x"));
  AclId a2 = c.Intern(Digest("a:x"));
  AclId b = c.Intern(Digest("b:x"));
  EXPECT_EQ(a, a2);
  EXPECT_NE(a, b);
  EXPECT_EQ(c.size(), 3u);
  c.Release(a);
  EXPECT_EQ(c.size(), 3u);  // one reference left
  EXPECT_EQ(c.Get(a), Digest("a:x"));
  c.AddRef(a);
  c.Release(a);
  c.Release(a);
  EXPECT_EQ(c.size(), 2u);
  // The freed id is reused for the next new list.
  AclId d = c.Intern(Digest("d:x"));
  EXPECT_EQ(d, a);
  EXPECT_EQ(c.Get(d), Digest("d:x"));
  // And the old list is a new entry again.
  AclId a3 = c.Intern(Digest("a:x"));
  EXPECT_NE(a3, d);
  EXPECT_EQ(c.size(), 4u);
}

TEST(AclCache, OrderAndPermsDistinguishLists) {
  AclCache c;
  AclList x = {Acl{1, Id{"world", "anyone"}}, Acl{31, Id{"digest", "u:h"}}};
  AclList y = {Acl{31, Id{"digest", "u:h"}}, Acl{1, Id{"world", "anyone"}}};
  AclList z = {Acl{3, Id{"world", "anyone"}}, Acl{31, Id{"digest", "u:h"}}};
  AclId ix = c.Intern(x), iy = c.Intern(y), iz = c.Intern(z);
  EXPECT_NE(ix, iy);
  EXPECT_NE(ix, iz);
  EXPECT_EQ(c.Get(iy), y);
}

// ---------------------------------------------------------------- WatchManager

std::vector<FiredWatch> Fire(WatchManager& m, WatchTable t, const char* path, EventType e) {
  std::vector<FiredWatch> out;
  m.Trigger(t, path, e, out);
  std::sort(out.begin(), out.end(),
            [](const FiredWatch& a, const FiredWatch& b) { return a.watcher < b.watcher; });
  return out;
}

TEST(WatchManager, StandardWatchFiresOnce) {
  WatchManager m;
  m.AddStandard(WatchTable::kData, "/a", 1);
  m.AddStandard(WatchTable::kData, "/a", 2);
  auto f = Fire(m, WatchTable::kData, "/a", EventType::kNodeDataChanged);
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0].watcher, 1u);
  EXPECT_EQ(f[0].type, EventType::kNodeDataChanged);
  EXPECT_EQ(f[0].path, "/a");
  EXPECT_TRUE(Fire(m, WatchTable::kData, "/a", EventType::kNodeDataChanged).empty());
  EXPECT_EQ(m.WatchCount(), 0u);
  EXPECT_EQ(m.PathCount(), 0u);
  EXPECT_EQ(m.WatcherCount(), 0u);
}

TEST(WatchManager, TablesAreSeparate) {
  WatchManager m;
  m.AddStandard(WatchTable::kChild, "/a", 1);
  EXPECT_TRUE(Fire(m, WatchTable::kData, "/a", EventType::kNodeDataChanged).empty());
  EXPECT_EQ(Fire(m, WatchTable::kChild, "/a", EventType::kNodeChildrenChanged).size(), 1u);
}

TEST(WatchManager, DuplicateStandardWatchFiresOnce) {
  WatchManager m;
  m.AddStandard(WatchTable::kData, "/a", 1);
  m.AddStandard(WatchTable::kData, "/a", 1);
  EXPECT_EQ(m.WatchCount(), 1u);
  EXPECT_EQ(Fire(m, WatchTable::kData, "/a", EventType::kNodeDataChanged).size(), 1u);
}

TEST(WatchManager, PersistentWatchStays) {
  WatchManager m;
  m.AddPersistent("/a", 1, false);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Fire(m, WatchTable::kData, "/a", EventType::kNodeDataChanged).size(), 1u);
    EXPECT_EQ(Fire(m, WatchTable::kChild, "/a", EventType::kNodeChildrenChanged).size(), 1u);
  }
  // Not recursive: a child's change is not seen.
  EXPECT_TRUE(Fire(m, WatchTable::kData, "/a/b", EventType::kNodeDataChanged).empty());
  EXPECT_TRUE(m.Contains("/a", WatcherType::kPersistent, 1));
  EXPECT_FALSE(m.Contains("/a", WatcherType::kPersistentRecursive, 1));
}

TEST(WatchManager, RecursiveWatchSeesDescendantsButNeverChildrenChanged) {
  WatchManager m;
  m.AddPersistent("/a", 1, true);
  auto f = Fire(m, WatchTable::kData, "/a/b/c", EventType::kNodeCreated);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].path, "/a/b/c");  // the event names the changed node, not the watched one
  EXPECT_EQ(Fire(m, WatchTable::kData, "/a/b", EventType::kNodeDataChanged).size(), 1u);
  EXPECT_EQ(Fire(m, WatchTable::kData, "/a", EventType::kNodeDeleted).size(), 1u);
  EXPECT_TRUE(Fire(m, WatchTable::kChild, "/a", EventType::kNodeChildrenChanged).empty());
  EXPECT_TRUE(Fire(m, WatchTable::kData, "/a", EventType::kNodeChildrenChanged).empty());
  EXPECT_TRUE(Fire(m, WatchTable::kChild, "/a/b", EventType::kNodeChildrenChanged).empty());
  EXPECT_TRUE(Fire(m, WatchTable::kData, "/ab", EventType::kNodeCreated).empty());
  EXPECT_TRUE(Fire(m, WatchTable::kData, "/", EventType::kNodeDataChanged).empty());
  EXPECT_TRUE(m.Contains("/a", WatcherType::kPersistentRecursive, 1));
  EXPECT_TRUE(m.Contains("/a", WatcherType::kData, 1));
  EXPECT_FALSE(m.Contains("/a", WatcherType::kChildren, 1));  // not in the child table
}

TEST(WatchManager, RecursiveOnRootSeesEverything) {
  WatchManager m;
  m.AddPersistent("/", 9, true);
  EXPECT_EQ(Fire(m, WatchTable::kData, "/x/y/z", EventType::kNodeDataChanged).size(), 1u);
}

TEST(WatchManager, OneNotificationPerWatcherPerTrigger) {
  WatchManager m;
  m.AddStandard(WatchTable::kData, "/a/b", 1);
  m.AddPersistent("/a/b", 1, false);
  m.AddPersistent("/a", 1, true);
  m.AddPersistent("/", 1, true);
  m.AddPersistent("/a", 2, true);
  auto f = Fire(m, WatchTable::kData, "/a/b", EventType::kNodeDataChanged);
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0].watcher, 1u);
  EXPECT_EQ(f[1].watcher, 2u);
  // The one-shot bit was consumed; the persistent ones remain.
  EXPECT_FALSE(m.Contains("/a/b", WatcherType::kPersistentRecursive, 1));
  EXPECT_TRUE(m.Contains("/a/b", WatcherType::kPersistent, 1));
  EXPECT_EQ(Fire(m, WatchTable::kData, "/a/b", EventType::kNodeDataChanged).size(), 2u);
}

TEST(WatchManager, SkipAndNotifiedSets) {
  WatchManager m;
  m.AddStandard(WatchTable::kData, "/a", 1);
  m.AddStandard(WatchTable::kChild, "/a", 1);
  m.AddStandard(WatchTable::kChild, "/a", 2);
  std::vector<FiredWatch> out;
  std::unordered_set<WatcherId> notified;
  m.Trigger(WatchTable::kData, "/a", EventType::kNodeDeleted, out, nullptr, &notified);
  EXPECT_EQ(notified, (std::unordered_set<WatcherId>{1}));
  m.Trigger(WatchTable::kChild, "/a", EventType::kNodeDeleted, out, &notified);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].watcher, 1u);
  EXPECT_EQ(out[1].watcher, 2u);
  // The skipped watcher's one-shot child watch is consumed all the same.
  EXPECT_FALSE(m.Contains("/a", WatcherType::kChildren, 1));
  EXPECT_EQ(m.WatchCount(), 0u);
}

TEST(WatchManager, ContainsAndRemoveByType) {
  WatchManager m;
  m.AddStandard(WatchTable::kData, "/a", 1);
  m.AddStandard(WatchTable::kChild, "/a", 1);
  m.AddStandard(WatchTable::kChild, "/b", 1);
  EXPECT_TRUE(m.Contains("/a", WatcherType::kData, 1));
  EXPECT_TRUE(m.Contains("/a", WatcherType::kChildren, 1));
  EXPECT_TRUE(m.Contains("/a", WatcherType::kAny, 1));
  EXPECT_FALSE(m.Contains("/a", WatcherType::kPersistent, 1));
  EXPECT_FALSE(m.Contains("/a", WatcherType::kData, 2));
  EXPECT_FALSE(m.Contains("/b", WatcherType::kData, 1));
  EXPECT_TRUE(m.Contains("/b", WatcherType::kAny, 1));

  EXPECT_FALSE(m.Remove("/b", WatcherType::kData, 1));
  EXPECT_TRUE(m.Remove("/a", WatcherType::kData, 1));
  EXPECT_FALSE(m.Contains("/a", WatcherType::kData, 1));
  EXPECT_TRUE(m.Contains("/a", WatcherType::kChildren, 1));
  EXPECT_FALSE(m.Remove("/a", WatcherType::kData, 1));
  EXPECT_TRUE(m.Remove("/a", WatcherType::kAny, 1));
  EXPECT_FALSE(m.Remove("/a", WatcherType::kAny, 1));
  EXPECT_TRUE(m.Remove("/b", WatcherType::kChildren, 1));
  EXPECT_EQ(m.WatchCount(), 0u);
  EXPECT_EQ(m.PathCount(), 0u);
}

TEST(WatchManager, RemovePersistentKinds) {
  WatchManager m;
  m.AddPersistent("/p", 1, false);
  m.AddPersistent("/r", 1, true);
  m.AddStandard(WatchTable::kData, "/p", 1);
  EXPECT_FALSE(m.Remove("/p", WatcherType::kPersistentRecursive, 1));
  EXPECT_TRUE(m.Remove("/p", WatcherType::kPersistent, 1));
  EXPECT_FALSE(m.Contains("/p", WatcherType::kPersistent, 1));
  EXPECT_TRUE(m.Contains("/p", WatcherType::kData, 1));  // the one-shot watch survives
  EXPECT_FALSE(m.Remove("/r", WatcherType::kPersistent, 1));
  EXPECT_TRUE(m.Remove("/r", WatcherType::kPersistentRecursive, 1));
  // The recursive watch is gone: descendants no longer notify.
  EXPECT_TRUE(Fire(m, WatchTable::kData, "/r/x", EventType::kNodeCreated).empty());
}

TEST(WatchManager, RemoveWatcherDropsEverything) {
  WatchManager m;
  m.AddStandard(WatchTable::kData, "/a", 1);
  m.AddStandard(WatchTable::kChild, "/b", 1);
  m.AddPersistent("/c", 1, true);
  m.AddPersistent("/d", 1, false);
  m.AddStandard(WatchTable::kData, "/a", 2);
  EXPECT_EQ(m.WatcherCount(), 2u);
  m.RemoveWatcher(1);
  EXPECT_EQ(m.WatcherCount(), 1u);
  EXPECT_EQ(m.WatchCount(), 1u);
  EXPECT_TRUE(Fire(m, WatchTable::kData, "/c/x", EventType::kNodeCreated).empty());
  auto f = Fire(m, WatchTable::kData, "/a", EventType::kNodeDataChanged);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].watcher, 2u);
  auto dump = m.Dump();
  EXPECT_TRUE(dump.empty());
}

TEST(WatchManager, DumpListsPairs) {
  WatchManager m;
  m.AddStandard(WatchTable::kData, "/a", 1);
  m.AddStandard(WatchTable::kChild, "/b", 2);
  auto d = m.Dump();
  std::sort(d.begin(), d.end());
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0], (std::pair<WatcherId, std::string>{1, "/a"}));
  EXPECT_EQ(d[1], (std::pair<WatcherId, std::string>{2, "/b"}));
}

// ---------------------------------------------------------------- DataTree + watches

std::vector<FiredWatch> Take(DataTree& t) {
  auto f = t.TakeFiredWatches();
  std::sort(f.begin(), f.end(), [](const FiredWatch& a, const FiredWatch& b) {
    return std::tie(a.watcher, a.path) < std::tie(b.watcher, b.path);
  });
  return f;
}

TEST(DataTree, CreateFiresNodeCreatedAndParentChildrenChanged) {
  DataTree t;
  t.watches().AddStandard(WatchTable::kData, "/a", 1);       // exists watch
  t.watches().AddStandard(WatchTable::kChild, "/", 2);       // getChildren on the parent
  t.watches().AddStandard(WatchTable::kData, "/", 3);        // data watch on parent: no event
  ASSERT_EQ(t.CreateNode("/a", std::string(), Open(), 0, 1, 1, 0, nullptr), Error::kOk);
  auto f = Take(t);
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0].watcher, 1u);
  EXPECT_EQ(f[0].type, EventType::kNodeCreated);
  EXPECT_EQ(f[0].path, "/a");
  EXPECT_EQ(f[1].watcher, 2u);
  EXPECT_EQ(f[1].type, EventType::kNodeChildrenChanged);
  EXPECT_EQ(f[1].path, "/");
  EXPECT_TRUE(t.TakeFiredWatches().empty());
}

TEST(DataTree, DeleteFiresBothTablesOncePerWatcher) {
  DataTree t;
  ASSERT_EQ(t.CreateNode("/a", std::string(), Open(), 0, 1, 1, 0, nullptr), Error::kOk);
  t.TakeFiredWatches();
  t.watches().AddStandard(WatchTable::kData, "/a", 1);
  t.watches().AddStandard(WatchTable::kChild, "/a", 1);
  t.watches().AddStandard(WatchTable::kChild, "/a", 2);
  t.watches().AddStandard(WatchTable::kChild, "/", 3);
  ASSERT_EQ(t.DeleteNode("/a", 2), Error::kOk);
  auto f = Take(t);
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f[0].watcher, 1u);
  EXPECT_EQ(f[0].type, EventType::kNodeDeleted);
  EXPECT_EQ(f[1].watcher, 2u);
  EXPECT_EQ(f[1].type, EventType::kNodeDeleted);
  EXPECT_EQ(f[2].watcher, 3u);
  EXPECT_EQ(f[2].type, EventType::kNodeChildrenChanged);
  EXPECT_EQ(t.watches().WatchCount(), 0u);
}

TEST(DataTree, SetDataFiresDataWatchOnly) {
  DataTree t;
  ASSERT_EQ(t.CreateNode("/a", std::string(), Open(), 0, 1, 1, 0, nullptr), Error::kOk);
  t.TakeFiredWatches();
  t.watches().AddStandard(WatchTable::kData, "/a", 1);
  t.watches().AddStandard(WatchTable::kChild, "/a", 2);
  ASSERT_EQ(t.SetData("/a", std::string("x"), 1, 2, 0, nullptr), Error::kOk);
  auto f = Take(t);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].watcher, 1u);
  EXPECT_EQ(f[0].type, EventType::kNodeDataChanged);
  ASSERT_EQ(t.SetAcl("/a", ReadOnly(), 1, nullptr), Error::kOk);
  EXPECT_TRUE(t.TakeFiredWatches().empty());  // setACL fires nothing
}

TEST(DataTree, RecursiveWatchOnTreeChanges) {
  DataTree t;
  t.watches().AddPersistent("/", 7, true);
  ASSERT_EQ(t.CreateNode("/a", std::string(), Open(), 0, 1, 1, 0, nullptr), Error::kOk);
  auto f = Take(t);
  ASSERT_EQ(f.size(), 1u);  // NodeCreated only; the parent's NodeChildrenChanged is not sent
  EXPECT_EQ(f[0].type, EventType::kNodeCreated);
  ASSERT_EQ(t.DeleteNode("/a", 2), Error::kOk);
  f = Take(t);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].type, EventType::kNodeDeleted);
}

}  // namespace
}  // namespace caucus::datatree
