// Preparer + Apply: validation order and error codes of ZooKeeper's PrepRequestProcessor,
// multi semantics, pipelining against pending changes, and closeSession.
#include <gtest/gtest.h>

#include "proto/jute/requests.h"
#include "server/auth/auth.h"
#include "server/datatree/data_tree.h"
#include "server/txn/apply.h"
#include "server/txn/pending_changes.h"
#include "server/txn/prepare.h"

namespace caucus::txn {
namespace {

using jute::Acl;
using jute::AclList;
using jute::Error;
using jute::Id;
using jute::OpCode;
using jute::Request;

constexpr int64_t kSession = 0x0100000000000001LL;

AclList Open() { return {Acl{31, Id{"world", "anyone"}}}; }

Request Create(std::string path, int32_t flags = 0, AclList acl = Open(),
               OpCode op = OpCode::kCreate, int64_t ttl = -1,
               std::optional<std::string> data = std::string("d")) {
  Request r;
  r.op = op;
  r.body = jute::CreateRequest{std::move(path), std::move(data), std::move(acl), flags, ttl};
  return r;
}
Request Delete(std::string path, int32_t version = -1) {
  Request r;
  r.op = OpCode::kDelete;
  r.body = jute::DeleteRequest{std::move(path), version};
  return r;
}
Request SetData(std::string path, std::optional<std::string> data, int32_t version = -1) {
  Request r;
  r.op = OpCode::kSetData;
  r.body = jute::SetDataRequest{std::move(path), std::move(data), version};
  return r;
}
Request SetAcl(std::string path, AclList acl, int32_t version = -1) {
  Request r;
  r.op = OpCode::kSetACL;
  r.body = jute::SetAclRequest{std::move(path), std::move(acl), version};
  return r;
}
Request Check(std::string path, int32_t version) {
  Request r;
  r.op = OpCode::kCheck;
  r.body = jute::CheckVersionRequest{std::move(path), version};
  return r;
}
Request Multi(std::vector<Request> ops) {
  jute::MultiRequest m;
  for (auto& o : ops) {
    jute::MultiOp mo;
    mo.op = o.op;
    std::visit(
        [&](auto& b) {
          using B = std::decay_t<decltype(b)>;
          if constexpr (std::is_same_v<B, jute::CreateRequest> ||
                        std::is_same_v<B, jute::DeleteRequest> ||
                        std::is_same_v<B, jute::SetDataRequest> ||
                        std::is_same_v<B, jute::CheckVersionRequest>) {
            mo.body = b;
          }
        },
        o.body);
    m.ops.push_back(std::move(mo));
  }
  Request r;
  r.op = OpCode::kMulti;
  r.body = std::move(m);
  return r;
}

class TxnTest : public ::testing::Test {
 protected:
  explicit TxnTest(PrepareOptions o = {}) : prep_(tree_, pending_, o) {}

  RequestContext Ctx(int64_t session = kSession) {
    RequestContext c;
    c.session_id = session;
    c.cxid = ++cxid_;
    c.zxid = ++zxid_;
    c.time_ms = 1000 + zxid_;
    c.auth = &auth_;
    return c;
  }
  Txn Prep(const Request& r, int64_t session = kSession) { return prep_.Prepare(r, Ctx(session)); }
  ApplyResult Commit(const Txn& t) {
    ApplyResult r = Apply(t, tree_);
    pending_.OnApplied(t.zxid);
    return r;
  }
  ApplyResult Run(const Request& r, int64_t session = kSession) { return Commit(Prep(r, session)); }
  Error Err(const Request& r, int64_t session = kSession) { return Run(r, session).err; }
  jute::Stat StatOf(const char* path) {
    const datatree::Znode* n = tree_.Find(path);
    EXPECT_NE(n, nullptr) << path;
    return n ? tree_.StatOf(*n) : jute::Stat{};
  }

  datatree::DataTree tree_;
  PendingChanges pending_;
  Preparer prep_;
  auth::AuthIds auth_ = {Id{"ip", "127.0.0.1"}};
  int64_t zxid_ = 0;
  int32_t cxid_ = 0;
};

class TtlTxnTest : public TxnTest {
 protected:
  TtlTxnTest() : TxnTest(PrepareOptions{true, false}) {}
};

TEST_F(TxnTest, CreateAppliesAndReportsPathAndStat) {
  ApplyResult r = Run(Create("/a"));
  ASSERT_EQ(r.err, Error::kOk);
  ASSERT_EQ(r.ops.size(), 1u);
  EXPECT_EQ(r.ops[0].path, "/a");
  EXPECT_EQ(r.ops[0].stat.czxid, zxid_);
  EXPECT_EQ(r.ops[0].stat.ctime, 1000 + zxid_);
  EXPECT_EQ(tree_.last_processed_zxid(), zxid_);
  EXPECT_EQ(pending_.size(), 0u);
}

TEST_F(TxnTest, SequentialSuffixComesFromParentCversion) {
  ASSERT_EQ(Err(Create("/p")), Error::kOk);
  ApplyResult a = Run(Create("/p/s-", 2));
  ASSERT_EQ(a.err, Error::kOk);
  EXPECT_EQ(a.ops[0].path, "/p/s-0000000000");
  ASSERT_EQ(Err(Create("/p/plain")), Error::kOk);
  ApplyResult b = Run(Create("/p/s-", 2));
  EXPECT_EQ(b.ops[0].path, "/p/s-0000000002");
  // Deletes do not lower the counter (the stored cversion counts creates only).
  ASSERT_EQ(Err(Delete("/p/s-0000000000")), Error::kOk);
  ASSERT_EQ(Err(Delete("/p/plain")), Error::kOk);
  ApplyResult c = Run(Create("/p/s-", 3));  // ephemeral sequential
  EXPECT_EQ(c.ops[0].path, "/p/s-0000000003");
  EXPECT_EQ(c.ops[0].stat.ephemeral_owner, kSession);
  // Sequential directly under the parent, with an empty prefix.
  ApplyResult d = Run(Create("/p/", 2));
  EXPECT_EQ(d.ops[0].path, "/p/0000000004");
}

TEST_F(TxnTest, SequentialSuffixIsTenDigitsOfSignedCversion) {
  // Root already has a child (zookeeper) but its stored cversion starts at 0.
  ApplyResult a = Run(Create("/x", 2));
  EXPECT_EQ(a.ops[0].path, "/x0000000000");
}

TEST_F(TxnTest, CreateErrors) {
  EXPECT_EQ(Err(Create("/missing/child")), Error::kNoNode);
  ASSERT_EQ(Err(Create("/a")), Error::kOk);
  EXPECT_EQ(Err(Create("/a")), Error::kNodeExists);
  EXPECT_EQ(Err(Create("/zookeeper")), Error::kNodeExists);
  EXPECT_EQ(Err(Create("/a/", 0)), Error::kBadArguments);
  EXPECT_EQ(Err(Create("a")), Error::kBadArguments);
  EXPECT_EQ(Err(Create("")), Error::kBadArguments);
  // The parent lookup comes before path validation: "/a/" is looked up and missing.
  EXPECT_EQ(Err(Create("/a//b")), Error::kNoNode);
  EXPECT_EQ(Err(Create("/a/.")), Error::kBadArguments);
  EXPECT_EQ(Err(Create(std::string("/a\0b", 4))), Error::kBadArguments);
  EXPECT_EQ(Err(Create("/bad", 99)), Error::kBadArguments);  // unknown CreateMode
  EXPECT_EQ(Err(Create("/bad", -1)), Error::kBadArguments);
}

TEST_F(TxnTest, EveryFailedRequestStillTakesAZxid) {
  Txn t = Prep(Create("/missing/x"));
  EXPECT_EQ(t.type, OpCode::kError);
  EXPECT_EQ(t.zxid, zxid_);
  ASSERT_EQ(t.ops.size(), 1u);
  EXPECT_EQ(t.ops[0].err, Error::kNoNode);
  ApplyResult r = Commit(t);
  EXPECT_EQ(r.err, Error::kNoNode);
  EXPECT_EQ(tree_.last_processed_zxid(), zxid_);
  EXPECT_EQ(pending_.size(), 0u);
}

TEST_F(TxnTest, NoChildrenForEphemerals) {
  ASSERT_EQ(Err(Create("/e", 1)), Error::kOk);
  EXPECT_EQ(Err(Create("/e/c")), Error::kNoChildrenForEphemerals);
  EXPECT_EQ(Err(Create("/e/c", 1)), Error::kNoChildrenForEphemerals);
  // NodeExists is checked first.
  EXPECT_EQ(Err(Create("/e")), Error::kNodeExists);
}

TEST_F(TxnTest, ContainerAndTtlParentsAcceptChildren) {
  ASSERT_EQ(Err(Create("/c", 4, Open(), OpCode::kCreateContainer)), Error::kOk);
  EXPECT_EQ(tree_.containers(), (std::set<std::string>{"/c"}));
  EXPECT_EQ(Err(Create("/c/x")), Error::kOk);
}

TEST_F(TxnTest, PlainCreateWithContainerFlagIsPersistent) {
  ASSERT_EQ(Err(Create("/c", 4)), Error::kOk);
  EXPECT_TRUE(tree_.containers().empty());
  EXPECT_EQ(tree_.PersistedStatOf(*tree_.Find("/c")).ephemeral_owner, 0);
}

TEST_F(TxnTest, TtlIsUnimplementedWhenExtendedTypesAreOff) {
  EXPECT_EQ(Err(Create("/t", 5, Open(), OpCode::kCreateTTL, 1000)), Error::kUnimplemented);
  EXPECT_EQ(Err(Create("/t", 6, Open(), OpCode::kCreateTTL, 1000)), Error::kUnimplemented);
  EXPECT_EQ(Err(Create("/t", 5)), Error::kUnimplemented);
  EXPECT_EQ(tree_.Find("/t"), nullptr);
}

TEST_F(TtlTxnTest, TtlCreateAndBadTtls) {
  ApplyResult r = Run(Create("/t", 5, Open(), OpCode::kCreateTTL, 1000));
  ASSERT_EQ(r.err, Error::kOk);
  EXPECT_EQ(tree_.ttls(), (std::set<std::string>{"/t"}));
  EXPECT_EQ(datatree::TtlOfOwner(tree_.PersistedStatOf(*tree_.Find("/t")).ephemeral_owner), 1000);
  EXPECT_EQ(Err(Create("/t0", 5, Open(), OpCode::kCreateTTL, 0)), Error::kBadArguments);
  EXPECT_EQ(Err(Create("/tn", 5, Open(), OpCode::kCreateTTL, -5)), Error::kBadArguments);
  EXPECT_EQ(Err(Create("/tb", 5, Open(), OpCode::kCreateTTL, datatree::kMaxTtlMs + 1)),
            Error::kBadArguments);
  EXPECT_EQ(Err(Create("/tm", 5, Open(), OpCode::kCreateTTL, datatree::kMaxTtlMs)), Error::kOk);
  // A TTL mode through plain create has no ttl (-1): BadArguments.
  EXPECT_EQ(Err(Create("/tp", 5)), Error::kBadArguments);
  // A non-TTL mode must not carry a ttl.
  EXPECT_EQ(Err(Create("/np", 0, Open(), OpCode::kCreateTTL, 1000)), Error::kBadArguments);
  ApplyResult seq = Run(Create("/ts-", 6, Open(), OpCode::kCreateTTL, 500));
  ASSERT_EQ(seq.err, Error::kOk);
  EXPECT_EQ(seq.ops[0].path.substr(0, 4), "/ts-");
  EXPECT_EQ(seq.ops[0].path.size(), 14u);
}

TEST_F(TxnTest, DeleteErrors) {
  ASSERT_EQ(Err(Create("/a")), Error::kOk);
  ASSERT_EQ(Err(Create("/a/b")), Error::kOk);
  EXPECT_EQ(Err(Delete("/a")), Error::kNotEmpty);
  EXPECT_EQ(Err(Delete("/a/b", 5)), Error::kBadVersion);
  EXPECT_EQ(Err(Delete("/nope")), Error::kNoNode);
  EXPECT_EQ(Err(Delete("/nope/x")), Error::kNoNode);
  EXPECT_EQ(Err(Delete("/a/b", 0)), Error::kOk);
  EXPECT_EQ(Err(Delete("/a/b")), Error::kNoNode);
  // BadVersion is checked before NotEmpty (checkAndIncVersion comes first).
  ASSERT_EQ(Err(Create("/a/c")), Error::kOk);
  EXPECT_EQ(Err(Delete("/a", 3)), Error::kBadVersion);
}

TEST_F(TxnTest, DeleteSpecialAndBadPathsIsBadArguments) {
  for (const char* p : {"/", "/zookeeper", "/zookeeper/quota", "/zookeeper/config", "noslash"}) {
    EXPECT_EQ(Err(Delete(p)), Error::kBadArguments) << p;
  }
  EXPECT_EQ(Err(Delete(std::string("/a\0", 3))), Error::kBadArguments);
  EXPECT_NE(tree_.Find("/zookeeper/config"), nullptr);
}

TEST_F(TxnTest, SetDataVersionsAndErrors) {
  ASSERT_EQ(Err(Create("/a")), Error::kOk);
  ApplyResult r = Run(SetData("/a", std::string("x"), 0));
  ASSERT_EQ(r.err, Error::kOk);
  EXPECT_EQ(r.ops[0].stat.version, 1);
  EXPECT_EQ(r.ops[0].stat.mzxid, zxid_);
  EXPECT_EQ(Err(SetData("/a", std::string("y"), 0)), Error::kBadVersion);
  EXPECT_EQ(Err(SetData("/a", std::string("y"), -1)), Error::kOk);
  EXPECT_EQ(StatOf("/a").version, 2);
  EXPECT_EQ(Err(SetData("/missing", std::string("y"))), Error::kNoNode);
  EXPECT_EQ(Err(SetData("/a/", std::string("y"))), Error::kBadArguments);
  EXPECT_EQ(Err(SetData("/zookeeper", std::nullopt)), Error::kOk);  // allowed, as in ZooKeeper
}

TEST_F(TxnTest, SetAclVersionsAndErrors) {
  ASSERT_EQ(Err(Create("/a")), Error::kOk);
  ApplyResult r = Run(SetAcl("/a", {Acl{1, Id{"world", "anyone"}}}, 0));
  ASSERT_EQ(r.err, Error::kOk);
  EXPECT_EQ(r.ops[0].stat.aversion, 1);
  EXPECT_EQ(Err(SetAcl("/a", Open(), 0)), Error::kNoAuth);  // lost ADMIN with the new ACL
  EXPECT_EQ(Err(SetAcl("/missing", Open())), Error::kNoNode);
  EXPECT_EQ(Err(SetAcl("/a", {})), Error::kInvalidACL);
  // /zookeeper/config is read-only for everyone but super.
  EXPECT_EQ(Err(SetAcl("/zookeeper/config", Open())), Error::kNoAuth);
}

TEST_F(TxnTest, SetAclBadVersion) {
  ASSERT_EQ(Err(Create("/a")), Error::kOk);
  EXPECT_EQ(Err(SetAcl("/a", Open(), 3)), Error::kBadVersion);
  EXPECT_EQ(Err(SetAcl("/a", Open(), 0)), Error::kOk);
}

TEST_F(TxnTest, InvalidAclOnCreate) {
  EXPECT_EQ(Err(Create("/a", 0, {})), Error::kInvalidACL);
  EXPECT_EQ(Err(Create("/a", 0, {Acl{31, Id{"auth", ""}}})), Error::kInvalidACL);
  EXPECT_EQ(Err(Create("/a", 0, {Acl{31, Id{"world", "nobody"}}})), Error::kInvalidACL);
  // InvalidACL comes before NoNode (fixupACL runs before the parent lookup).
  EXPECT_EQ(Err(Create("/missing/a", 0, {})), Error::kInvalidACL);
}

TEST_F(TxnTest, AuthAclExpandsToCallersDigest) {
  std::string digest = auth::GenerateDigest("alice:secret");
  auth_.push_back(Id{"digest", digest});
  ASSERT_EQ(Err(Create("/a", 0, {Acl{31, Id{"auth", ""}}})), Error::kOk);
  EXPECT_EQ(tree_.AclOf(*tree_.Find("/a")), (AclList{Acl{31, Id{"digest", digest}}}));
}

TEST_F(TxnTest, NoAuthOnProtectedNodes) {
  AclList readonly = {Acl{jute::perms::kRead, Id{"world", "anyone"}}};
  ASSERT_EQ(Err(Create("/ro", 0, readonly)), Error::kOk);
  EXPECT_EQ(Err(Create("/ro/child")), Error::kNoAuth);          // needs CREATE on parent
  EXPECT_EQ(Err(SetData("/ro", std::string("x"))), Error::kNoAuth);  // needs WRITE
  EXPECT_EQ(Err(SetAcl("/ro", Open())), Error::kNoAuth);          // needs ADMIN
  EXPECT_EQ(Err(Check("/ro", 0)), Error::kOk);                    // READ is enough
  AclList nodelete = {Acl{jute::perms::kAll & ~jute::perms::kDelete, Id{"world", "anyone"}}};
  ASSERT_EQ(Err(Create("/nd", 0, nodelete)), Error::kOk);
  ASSERT_EQ(Err(Create("/nd/c")), Error::kOk);
  EXPECT_EQ(Err(Delete("/nd/c")), Error::kNoAuth);  // DELETE is checked on the parent
  // NoAuth comes before NodeExists for create.
  ASSERT_EQ(Err(Create("/ro2", 0, readonly)), Error::kOk);
  auth_ = {Id{"super", ""}};
  ASSERT_EQ(Err(Create("/ro2/x")), Error::kOk);
  auth_ = {Id{"ip", "127.0.0.1"}};
  EXPECT_EQ(Err(Create("/ro2/x")), Error::kNoAuth);
}

TEST_F(TxnTest, SuperBypassesAcls) {
  ASSERT_EQ(Err(Create("/ro", 0, {Acl{0, Id{"digest", "x:y"}}})), Error::kOk);
  auth_ = {Id{"super", ""}};
  EXPECT_EQ(Err(SetData("/ro", std::string("x"))), Error::kOk);
  EXPECT_EQ(Err(SetAcl("/zookeeper/config", Open())), Error::kOk);
}

TEST_F(TxnTest, CheckOp) {
  ASSERT_EQ(Err(Create("/a")), Error::kOk);
  EXPECT_EQ(Err(Check("/a", 0)), Error::kOk);
  EXPECT_EQ(Err(Check("/a", 1)), Error::kBadVersion);
  EXPECT_EQ(Err(Check("/a", -1)), Error::kOk);
  EXPECT_EQ(Err(Check("/b", 0)), Error::kNoNode);
  EXPECT_EQ(Err(Check("bad", 0)), Error::kBadArguments);
}

TEST_F(TxnTest, ReconfigIsDisabled) {
  Request r;
  r.op = OpCode::kReconfig;
  r.body = jute::ReconfigRequest{};
  EXPECT_EQ(Err(r), Error::kReconfigDisabled);
}

// ---------------------------------------------------------------- multi

TEST_F(TxnTest, MultiSuccess) {
  ApplyResult r = Run(Multi({Create("/m"), Create("/m/a"), SetData("/m", std::string("x"), 0),
                             Check("/m", 1), Delete("/m/a")}));
  ASSERT_EQ(r.ops.size(), 5u);
  for (const auto& op : r.ops) EXPECT_EQ(op.err, Error::kOk);
  EXPECT_EQ(r.ops[0].type, OpCode::kCreate);
  EXPECT_EQ(r.ops[0].path, "/m");
  EXPECT_EQ(r.ops[2].type, OpCode::kSetData);
  EXPECT_EQ(r.ops[2].stat.version, 1);
  EXPECT_EQ(r.ops[3].type, OpCode::kCheck);
  EXPECT_EQ(r.ops[4].type, OpCode::kDelete);
  EXPECT_EQ(StatOf("/m").version, 1);
  EXPECT_EQ(tree_.Find("/m/a"), nullptr);
  // Every op of the multi carries the multi's zxid.
  EXPECT_EQ(StatOf("/m").czxid, zxid_);
  EXPECT_EQ(StatOf("/m").mzxid, zxid_);
}

TEST_F(TxnTest, MultiFailureResultsAndNothingApplied) {
  ASSERT_EQ(Err(Create("/x")), Error::kOk);
  Txn t = Prep(Multi({Create("/m1"), SetData("/x", std::string("v"), 0), Create("/x"),
                      Delete("/x"), Create("/m2")}));
  EXPECT_EQ(t.type, OpCode::kMulti);
  EXPECT_EQ(pending_.size(), 0u);  // a failed multi leaves nothing pending
  ApplyResult r = Commit(t);
  ASSERT_EQ(r.ops.size(), 5u);
  EXPECT_EQ(r.ops[0].type, OpCode::kError);
  EXPECT_EQ(r.ops[0].err, Error::kOk);
  EXPECT_EQ(r.ops[1].err, Error::kOk);
  EXPECT_EQ(r.ops[2].err, Error::kNodeExists);
  EXPECT_EQ(r.ops[3].err, Error::kRuntimeInconsistency);
  EXPECT_EQ(r.ops[4].err, Error::kRuntimeInconsistency);
  EXPECT_EQ(tree_.Find("/m1"), nullptr);
  EXPECT_EQ(tree_.Find("/m2"), nullptr);
  EXPECT_EQ(StatOf("/x").version, 0);
  EXPECT_EQ(tree_.last_processed_zxid(), zxid_);
}

TEST_F(TxnTest, MultiOpsSeeEachOther) {
  // Two sequential creates in one multi get distinct names.
  ASSERT_EQ(Err(Create("/p")), Error::kOk);
  ApplyResult r = Run(Multi({Create("/p/s-", 2), Create("/p/s-", 2)}));
  ASSERT_EQ(r.ops.size(), 2u);
  EXPECT_EQ(r.ops[0].path, "/p/s-0000000000");
  EXPECT_EQ(r.ops[1].path, "/p/s-0000000001");
  // Delete then re-create within one multi.
  ApplyResult r2 = Run(Multi({Delete("/p/s-0000000000"), Create("/p/s-0000000000")}));
  EXPECT_EQ(r2.ops[0].err, Error::kOk);
  EXPECT_EQ(r2.ops[1].err, Error::kOk);
  EXPECT_NE(tree_.Find("/p/s-0000000000"), nullptr);
  // A create then a delete of the parent fails with NotEmpty.
  ApplyResult r3 = Run(Multi({Create("/q"), Create("/q/c"), Delete("/q")}));
  EXPECT_EQ(r3.ops[2].err, Error::kNotEmpty);
  EXPECT_EQ(tree_.Find("/q"), nullptr);
}

TEST_F(TxnTest, EmptyMulti) {
  ApplyResult r = Run(Multi({}));
  EXPECT_TRUE(r.ops.empty());
  EXPECT_EQ(r.err, Error::kOk);
}

// ---------------------------------------------------------------- pipelining

TEST_F(TxnTest, PipelinedCreateParentThenChild) {
  Txn a = Prep(Create("/a"));
  Txn b = Prep(Create("/a/b"));  // sees the pending /a
  ASSERT_NE(a.type, OpCode::kError);
  ASSERT_NE(b.type, OpCode::kError);
  EXPECT_LT(a.zxid, b.zxid);
  EXPECT_EQ(Commit(a).err, Error::kOk);
  EXPECT_EQ(Commit(b).err, Error::kOk);
  EXPECT_NE(tree_.Find("/a/b"), nullptr);
  EXPECT_EQ(pending_.size(), 0u);
}

TEST_F(TxnTest, PipelinedDeleteThenCreateSeesPendingDelete) {
  ASSERT_EQ(Err(Create("/a")), Error::kOk);
  Txn d = Prep(Delete("/a"));
  Txn c = Prep(Create("/a"));             // /a is deleted in the pending view
  Txn c2 = Prep(Create("/a"));            // and re-created by c
  Txn s = Prep(SetData("/a", std::nullopt, 0));  // the new /a has version 0
  EXPECT_EQ(d.type, OpCode::kDelete);
  EXPECT_EQ(c.type, OpCode::kCreate);
  ASSERT_EQ(c2.type, OpCode::kError);
  EXPECT_EQ(c2.ops[0].err, Error::kNodeExists);
  EXPECT_EQ(s.type, OpCode::kSetData);
  EXPECT_EQ(Commit(d).err, Error::kOk);
  EXPECT_EQ(Commit(c).err, Error::kOk);
  EXPECT_EQ(Commit(c2).err, Error::kNodeExists);
  EXPECT_EQ(Commit(s).err, Error::kOk);
  EXPECT_EQ(StatOf("/a").version, 1);
  EXPECT_EQ(StatOf("/a").czxid, c.zxid);
}

TEST_F(TxnTest, PipelinedSequentialCreatesGetDistinctNames) {
  ASSERT_EQ(Err(Create("/p")), Error::kOk);
  Txn a = Prep(Create("/p/s", 2));
  Txn b = Prep(Create("/p/s", 2));
  ASSERT_EQ(a.ops.size(), 1u);
  ASSERT_EQ(b.ops.size(), 1u);
  EXPECT_EQ(a.ops[0].path, "/p/s0000000000");
  EXPECT_EQ(b.ops[0].path, "/p/s0000000001");
  Commit(a);
  Commit(b);
  EXPECT_EQ(tree_.PersistedStatOf(*tree_.Find("/p")).cversion, 2);
}

TEST_F(TxnTest, PipelinedSetDataVersions) {
  ASSERT_EQ(Err(Create("/a")), Error::kOk);
  Txn s1 = Prep(SetData("/a", std::string("1"), 0));
  Txn s2 = Prep(SetData("/a", std::string("2"), 1));  // sees s1's version
  Txn s3 = Prep(SetData("/a", std::string("3"), 1));  // stale
  EXPECT_EQ(s1.type, OpCode::kSetData);
  EXPECT_EQ(s2.type, OpCode::kSetData);
  EXPECT_EQ(s3.type, OpCode::kError);
  Commit(s1);
  Commit(s2);
  Commit(s3);
  EXPECT_EQ(StatOf("/a").version, 2);
  EXPECT_EQ(tree_.DataOf(*tree_.Find("/a")), "2");
}

TEST_F(TxnTest, PipelinedDeleteOfParentWithPendingChildIsNotEmpty) {
  ASSERT_EQ(Err(Create("/a")), Error::kOk);
  Txn c = Prep(Create("/a/b"));
  Txn d = Prep(Delete("/a"));
  ASSERT_EQ(d.type, OpCode::kError);
  EXPECT_EQ(d.ops[0].err, Error::kNotEmpty);
  Commit(c);
  Commit(d);
}

// ---------------------------------------------------------------- sessions

TEST_F(TxnTest, CloseSessionDeletesItsEphemerals) {
  constexpr int64_t kOther = 0x0100000000000002LL;
  ASSERT_EQ(Err(Create("/p")), Error::kOk);
  ASSERT_EQ(Err(Create("/p/e1", 1)), Error::kOk);
  ASSERT_EQ(Err(Create("/e2", 1)), Error::kOk);
  ASSERT_EQ(Err(Create("/other", 1), kOther), Error::kOk);
  Txn t = prep_.CloseSession(Ctx());
  EXPECT_EQ(t.type, OpCode::kCloseSession);
  ASSERT_EQ(t.ops.size(), 1u);
  EXPECT_EQ(t.ops[0].ephemerals, (std::vector<std::string>{"/e2", "/p/e1"}));
  Commit(t);
  EXPECT_EQ(tree_.Find("/p/e1"), nullptr);
  EXPECT_EQ(tree_.Find("/e2"), nullptr);
  EXPECT_NE(tree_.Find("/other"), nullptr);
  EXPECT_TRUE(tree_.EphemeralsOf(kSession).empty());
  EXPECT_EQ(tree_.PersistedStatOf(*tree_.Find("/p")).pzxid, t.zxid);
}

TEST_F(TxnTest, CloseSessionIncludesPendingEphemeralsAndSkipsPendingDeletes) {
  ASSERT_EQ(Err(Create("/applied", 1)), Error::kOk);
  ASSERT_EQ(Err(Create("/gone", 1)), Error::kOk);
  Txn pc = Prep(Create("/pending", 1));  // not yet applied
  Txn pd = Prep(Delete("/gone"));        // not yet applied
  Txn close = prep_.CloseSession(Ctx());
  EXPECT_EQ(close.ops[0].ephemerals, (std::vector<std::string>{"/applied", "/pending"}));
  // A create prepared after the close sees the ephemerals as deleted.
  Txn again = Prep(Create("/pending"));
  EXPECT_EQ(again.type, OpCode::kCreate);
  Commit(pc);
  Commit(pd);
  Commit(close);
  EXPECT_EQ(tree_.Find("/applied"), nullptr);
  EXPECT_EQ(tree_.Find("/pending"), nullptr);
  EXPECT_EQ(tree_.Find("/gone"), nullptr);
  EXPECT_EQ(Commit(again).err, Error::kOk);
  EXPECT_EQ(pending_.size(), 0u);
}

TEST_F(TxnTest, CreateSessionTxn) {
  Txn t = prep_.CreateSession(Ctx(), 5000);
  EXPECT_EQ(t.type, OpCode::kCreateSession);
  ASSERT_EQ(t.ops.size(), 1u);
  EXPECT_EQ(t.ops[0].timeout_ms, 5000);
  ApplyResult r = Commit(t);
  EXPECT_EQ(r.err, Error::kOk);
  EXPECT_EQ(tree_.last_processed_zxid(), t.zxid);
}

TEST_F(TxnTest, DeleteContainerOnlyDeletesContainersAndTtls) {
  ASSERT_EQ(Err(Create("/c", 4, Open(), OpCode::kCreateContainer)), Error::kOk);
  ASSERT_EQ(Err(Create("/plain")), Error::kOk);
  auth_.clear();
  Txn bad = prep_.DeleteContainer(Ctx(0), "/plain");
  EXPECT_EQ(bad.type, OpCode::kError);
  EXPECT_EQ(bad.ops[0].err, Error::kBadVersion);
  Txn ok = prep_.DeleteContainer(Ctx(0), "/c");
  EXPECT_EQ(ok.type, OpCode::kDeleteContainer);
  Commit(ok);
  EXPECT_EQ(tree_.Find("/c"), nullptr);
  EXPECT_TRUE(tree_.containers().empty());
}

TEST(PendingChanges, OnAppliedKeepsNewerRecords) {
  PendingChanges p;
  ChangeRecord a;
  a.zxid = 1;
  a.exists = true;
  p.Put("/x", a);
  ChangeRecord b = a;
  b.zxid = 2;
  p.Put("/y", a);
  p.Put("/x", b);
  p.OnApplied(1);
  ASSERT_NE(p.Find("/x"), nullptr);
  EXPECT_EQ(p.Find("/x")->zxid, 2);
  EXPECT_EQ(p.Find("/y"), nullptr);
  p.OnApplied(2);
  EXPECT_EQ(p.size(), 0u);
}

}  // namespace
}  // namespace caucus::txn
