// Storage: the SQLite transaction log (with fault injection below SQLite), group commit,
// snapshots (round trip, fuzziness, corruption) and recovery.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>

#include "caucus/storage.pb.h"
#include "server/base/crc32c.h"
#include "server/datatree/data_tree.h"
#include "server/session/session_tracker.h"
#include "server/storage/fault_vfs.h"
#include "server/storage/log_writer.h"
#include "server/storage/recovery.h"
#include "server/storage/snapshot.h"
#include "server/storage/sqlite_log.h"
#include "server/storage/txn_codec.h"
#include "server/txn/apply.h"

namespace caucus::storage {
namespace {

namespace fs = std::filesystem;
using jute::OpCode;

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/caucus-storage-test-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

txn::Txn CreateTxn(int64_t zxid, const std::string& path, const std::string& data,
                   int32_t parent_cversion = -1) {
  txn::Txn t;
  t.zxid = zxid;
  t.time_ms = 1000 + zxid;
  t.type = OpCode::kCreate;
  txn::TxnOp op;
  op.type = OpCode::kCreate;
  op.path = path;
  op.data = data;
  op.acl = {jute::Acl{jute::perms::kAll, jute::Id{"world", "anyone"}}};
  op.parent_cversion = parent_cversion;
  t.ops.push_back(op);
  return t;
}

txn::Txn SetDataTxn(int64_t zxid, const std::string& path, const std::string& data, int32_t v) {
  txn::Txn t;
  t.zxid = zxid;
  t.time_ms = 5000 + zxid;
  t.type = OpCode::kSetData;
  txn::TxnOp op;
  op.type = OpCode::kSetData;
  op.path = path;
  op.data = data;
  op.version = v;
  t.ops.push_back(op);
  return t;
}

txn::Txn DeleteTxn(int64_t zxid, const std::string& path) {
  txn::Txn t;
  t.zxid = zxid;
  t.type = OpCode::kDelete;
  txn::TxnOp op;
  op.type = OpCode::kDelete;
  op.path = path;
  t.ops.push_back(op);
  return t;
}

// Every znode as "path|data|stat fields|acl", in path order, for whole-tree comparisons.
std::vector<std::string> Dump(const datatree::DataTree& tree) {
  std::vector<std::string> out;
  std::vector<std::string> stack{"/"};
  while (!stack.empty()) {
    std::string p = stack.back();
    stack.pop_back();
    const datatree::Znode* n = tree.Find(p);
    if (!n) continue;
    jute::Stat s = tree.PersistedStatOf(*n);
    std::string acl;
    for (const auto& a : tree.AclOf(*n)) acl += std::to_string(a.perms) + a.id.scheme + a.id.id;
    out.push_back(p + "|" + (n->data_null ? "<null>" : std::string(n->data())) + "|" + std::to_string(s.czxid) +
                  "," + std::to_string(s.mzxid) + "," + std::to_string(s.pzxid) + "," +
                  std::to_string(s.version) + "," + std::to_string(s.cversion) + "," +
                  std::to_string(s.aversion) + "," + std::to_string(s.ephemeral_owner) + "," +
                  std::to_string(s.num_children) + "|" + acl);
    for (const auto& c : tree.ChildrenOf(*n)) stack.push_back(p == "/" ? "/" + c : p + "/" + c);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::unique_ptr<SqliteLog> OpenLog(const std::string& path, const char* vfs = nullptr) {
  base::Status s;
  auto log = SqliteLog::Open(path, &s, vfs);
  EXPECT_TRUE(s.ok()) << s.message();
  return log;
}

TEST(Crc32c, MatchesTheStandardCheckValueAndChains) {
  EXPECT_EQ(base::Crc32c("123456789"), 0xE3069283u);  // the CRC-32C check value
  std::string data(1000, '\0');
  std::mt19937 rng(1);
  for (auto& c : data) c = static_cast<char>(rng());
  for (size_t split : {0u, 1u, 7u, 8u, 13u, 500u, 999u}) {
    uint32_t a = base::Crc32c(0, data.data(), split);
    EXPECT_EQ(base::Crc32c(a, data.data() + split, data.size() - split), base::Crc32c(data));
  }
  EXPECT_NE(base::Crc32c(data), base::Crc32c(data.substr(1)));
}

// The reference: what Protobuf itself makes of the same Txn.
std::string EncodeWithProtobuf(const txn::Txn& t) {
  pb::Txn p;
  p.set_session_id(t.session_id);
  p.set_cxid(t.cxid);
  p.set_zxid(t.zxid);
  p.set_time_ms(t.time_ms);
  p.set_type(static_cast<int32_t>(t.type));
  for (const auto& op : t.ops) {
    pb::TxnOp* o = p.add_ops();
    o->set_type(static_cast<int32_t>(op.type));
    o->set_path(op.path);
    if (op.data) {
      o->set_data(*op.data);
    } else {
      o->set_data_null(true);
    }
    for (const auto& a : op.acl) {
      pb::Acl* pa = o->add_acl();
      pa->set_perms(a.perms);
      pa->set_scheme(a.id.scheme);
      pa->set_id(a.id.id);
    }
    o->set_ephemeral_owner(op.ephemeral_owner);
    o->set_parent_cversion(op.parent_cversion);
    o->set_version(op.version);
    o->set_err(static_cast<int32_t>(op.err));
    o->set_timeout_ms(op.timeout_ms);
    for (const auto& e : op.ephemerals) o->add_ephemerals(e);
  }
  return p.SerializeAsString();
}

TEST(TxnCodec, EncodesExactlyAsProtobufDoes) {
  std::mt19937_64 rng(7);
  auto pick = [&rng](std::initializer_list<int64_t> vs) {
    return *(vs.begin() + static_cast<long>(rng() % vs.size()));
  };
  auto bytes = [&rng](size_t max) {
    std::string s(rng() % (max + 1), '\0');
    for (auto& c : s) c = static_cast<char>(rng());
    return s;
  };
  // Not only UTF-8: clients may send any bytes in ACL ids (see storage.proto).
  auto text = bytes;
  for (int i = 0; i < 3000; ++i) {
    txn::Txn t;
    t.session_id = pick({0, 1, -1, 0x7fffffffffffffff, static_cast<int64_t>(rng())});
    t.cxid = static_cast<int32_t>(pick({0, 1, -2, 127, 128, 0x7fffffff}));
    t.zxid = pick({0, 1, 0x100000001, static_cast<int64_t>(rng() >> 1)});
    t.time_ms = pick({0, 1732800000000, -5});
    t.type = static_cast<jute::OpCode>(pick({-1, 0, 1, 14, 15, -10}));
    for (int o = static_cast<int>(rng() % 4); o > 0; --o) {
      txn::TxnOp op;
      op.type = static_cast<jute::OpCode>(pick({-1, 1, 2, 5, 7, 19}));
      op.path = text(rng() % 2 ? 5 : 300);
      if (rng() % 4) op.data = bytes(rng() % 2 ? 3 : 2000);
      for (int a = static_cast<int>(rng() % 3); a > 0; --a) {
        op.acl.push_back(jute::Acl{static_cast<int32_t>(pick({0, 1, 31, -1})),
                                   jute::Id{text(6), text(40)}});
      }
      op.ephemeral_owner = pick({0, 1, -1, static_cast<int64_t>(rng())});
      op.parent_cversion = static_cast<int32_t>(pick({0, 3, -1}));
      op.version = static_cast<int32_t>(pick({0, 1, 300000, -1}));
      op.err = static_cast<jute::Error>(pick({0, -101, -110, -6}));
      op.timeout_ms = static_cast<int32_t>(pick({0, 30000}));
      for (int e = static_cast<int>(rng() % 3); e > 0; --e) op.ephemerals.push_back(text(8));
      t.ops.push_back(std::move(op));
    }
    std::string ours = EncodeTxn(t);
    ASSERT_EQ(ours, EncodeWithProtobuf(t)) << "txn " << i;
    txn::Txn back;
    ASSERT_TRUE(DecodeTxn(ours, back));
    ASSERT_EQ(EncodeTxn(back), ours);
  }
}

// A digest ACL's user may be any bytes; a record holding one must still read back (it did
// not when these fields were Protobuf `string`s: recovery would have refused the log).
TEST(TxnCodec, ClientTextThatIsNotUtf8ReadsBack) {
  txn::Txn t = CreateTxn(5, "/a", "d");
  t.ops[0].acl = {jute::Acl{31, jute::Id{"digest", "\xff\xfe:hash"}}};
  t.ops[0].ephemerals = {"/\xc3"};
  txn::Txn back;
  ASSERT_TRUE(DecodeTxn(EncodeTxn(t), back));
  EXPECT_EQ(back.ops[0].acl, t.ops[0].acl);
  EXPECT_EQ(back.ops[0].ephemerals, t.ops[0].ephemerals);
}

TEST(TxnCodec, RoundTripsEveryField) {
  txn::Txn t = CreateTxn(42, "/a", std::string("x\0y", 3));
  t.session_id = 0x1234;
  t.cxid = 7;
  t.ops[0].ephemeral_owner = 99;
  t.ops[0].ephemerals = {"/e1", "/e2"};
  t.ops[0].err = jute::Error::kNoNode;
  t.ops.push_back(t.ops[0]);
  t.ops[1].data.reset();
  txn::Txn back;
  ASSERT_TRUE(DecodeTxn(EncodeTxn(t), back));
  EXPECT_EQ(back.zxid, 42);
  EXPECT_EQ(back.session_id, 0x1234);
  EXPECT_EQ(back.cxid, 7);
  ASSERT_EQ(back.ops.size(), 2u);
  EXPECT_EQ(*back.ops[0].data, std::string("x\0y", 3));
  EXPECT_FALSE(back.ops[1].data.has_value());
  EXPECT_EQ(back.ops[0].ephemerals, (std::vector<std::string>{"/e1", "/e2"}));
  EXPECT_EQ(back.ops[0].err, jute::Error::kNoNode);
  EXPECT_EQ(back.ops[0].acl, t.ops[0].acl);
  EXPECT_FALSE(DecodeTxn("\xff\xff\xff", back));
}

TEST(SqliteLog, AppendsReadsTruncatesAndPurges) {
  TempDir dir;
  auto log = OpenLog(dir.path() + "/log.db");
  std::vector<LogEntry> batch;
  for (int64_t z = 1; z <= 10; ++z) batch.push_back({z, "payload-" + std::to_string(z)});
  ASSERT_TRUE(log->Append(batch).ok());
  EXPECT_EQ(log->LastZxid(), 10);
  EXPECT_EQ(log->FirstZxid(), 1);
  std::vector<int64_t> seen;
  ASSERT_TRUE(log->ReadAfter(4, [&](int64_t z, std::string_view p) {
    EXPECT_EQ(p, "payload-" + std::to_string(z));
    seen.push_back(z);
    return true;
  }).ok());
  EXPECT_EQ(seen, (std::vector<int64_t>{5, 6, 7, 8, 9, 10}));
  ASSERT_TRUE(log->TruncateAfter(7).ok());
  EXPECT_EQ(log->LastZxid(), 7);
  ASSERT_TRUE(log->PurgeUpTo(3).ok());
  EXPECT_EQ(log->FirstZxid(), 4);
  EXPECT_TRUE(log->HasEntriesAfter(6));
  EXPECT_FALSE(log->HasEntriesAfter(7));
  ASSERT_TRUE(log->SetMeta("k", "v").ok());
  std::string v;
  ASSERT_TRUE(log->GetMeta("k", &v).ok());
  EXPECT_EQ(v, "v");
  EXPECT_EQ(log->GetMeta("missing", &v).code(), base::Status::Code::kNotFound);
}

TEST(SqliteLog, PurgesInSteps) {
  TempDir dir;
  auto log = OpenLog(dir.path() + "/log.db");
  std::vector<LogEntry> batch;
  for (int64_t z = 1; z <= 10; ++z) batch.push_back({z, "p" + std::to_string(z)});
  ASSERT_TRUE(log->Append(batch).ok());
  bool done = true;
  ASSERT_TRUE(log->PurgeSomeUpTo(7, 3, &done).ok());
  EXPECT_FALSE(done);
  EXPECT_EQ(log->FirstZxid(), 4);
  ASSERT_TRUE(log->PurgeSomeUpTo(7, 3, &done).ok());
  EXPECT_FALSE(done);  // 7 itself is still there
  EXPECT_EQ(log->FirstZxid(), 7);
  ASSERT_TRUE(log->PurgeSomeUpTo(7, 3, &done).ok());
  EXPECT_TRUE(done);
  EXPECT_EQ(log->FirstZxid(), 8);
  ASSERT_TRUE(log->PurgeSomeUpTo(7, 3, &done).ok());  // nothing left to purge
  EXPECT_TRUE(done);
  EXPECT_EQ(log->FirstZxid(), 8);
  EXPECT_EQ(log->LastZxid(), 10);
}

TEST(SqliteLog, SurvivesReopen) {
  TempDir dir;
  {
    auto log = OpenLog(dir.path() + "/log.db");
    ASSERT_TRUE(log->Append({{1, "a"}, {2, "b"}}).ok());
  }
  auto log = OpenLog(dir.path() + "/log.db");
  EXPECT_EQ(log->LastZxid(), 2);
}

TEST(SqliteLog, DetectsAFlippedByteInAPayload) {
  TempDir dir;
  std::string path = dir.path() + "/log.db";
  auto log = OpenLog(path);
  ASSERT_TRUE(log->Append({{1, "good"}, {2, "also good"}, {3, "last"}}).ok());
  // Damage record 2 behind the log's back, as a bad disk sector would.
  sqlite3* db;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE log SET payload = X'616c736f20626f6f64' WHERE zxid = 2",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  int64_t bad = 0;
  int n = 0;
  base::Status s = log->ReadAfter(0, [&](int64_t, std::string_view) { ++n; return true; }, &bad);
  EXPECT_EQ(s.code(), base::Status::Code::kCorruption);
  EXPECT_EQ(bad, 2);
  EXPECT_EQ(n, 1);
}

TEST(FaultVfs, DiskFullFailsTheWholeBatchAndRecovers) {
  TempDir dir;
  FaultSwitches sw;
  const char* vfs = RegisterFaultVfs(&sw);
  auto log = OpenLog(dir.path() + "/log.db", vfs);
  ASSERT_TRUE(log->Append({{1, "one"}}).ok());
  sw.fail_writes = true;
  base::Status s = log->Append({{2, "two"}, {3, "three"}});
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), base::Status::Code::kNoSpace) << s.message();
  sw.fail_writes = false;
  EXPECT_EQ(log->LastZxid(), 1) << "a failed batch must leave nothing behind";
  ASSERT_TRUE(log->Append({{2, "two"}}).ok());
  EXPECT_EQ(log->LastZxid(), 2);
}

TEST(FaultVfs, FsyncErrorFailsTheCommit) {
  TempDir dir;
  FaultSwitches sw;
  const char* vfs = RegisterFaultVfs(&sw);
  auto log = OpenLog(dir.path() + "/log.db", vfs);
  sw.fail_syncs = true;
  base::Status s = log->Append({{1, "one"}});
  sw.fail_syncs = false;
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), base::Status::Code::kIoError) << s.message();
  EXPECT_GT(sw.syncs.load(), 0);
}

// Collects LogWriter completions.
struct Completions {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::tuple<uint64_t, int64_t, bool>> seen;
  LogWriter::Completion fn() {
    return [this](uint64_t g, int64_t z, const base::Status& s) {
      std::lock_guard<std::mutex> l(mu);
      seen.emplace_back(g, z, s.ok());
      cv.notify_all();
    };
  }
  bool WaitFor(int64_t zxid) {
    std::unique_lock<std::mutex> l(mu);
    return cv.wait_for(l, std::chrono::seconds(10), [&] {
      for (auto& [g, z, ok] : seen) {
        if (ok && z >= zxid) return true;
      }
      return false;
    });
  }
};

TEST(LogWriter, GroupCommitsConcurrentAppends) {
  TempDir dir;
  FaultSwitches sw;
  sw.sync_delay_ms = 20;  // a slow disk: appends pile up while a commit is running
  const char* vfs = RegisterFaultVfs(&sw);
  Completions done;
  LogWriter writer(OpenLog(dir.path() + "/log.db", vfs), done.fn());
  for (int64_t z = 1; z <= 200; ++z) writer.Append(CreateTxn(z, "/n" + std::to_string(z), "d"), 0);
  ASSERT_TRUE(done.WaitFor(200));
  writer.Stop();
  LogWriterStats st = writer.stats();
  EXPECT_EQ(st.entries, 200);
  EXPECT_LT(st.batches, 50) << "appends queued during a commit must share the next commit";
  auto log = OpenLog(dir.path() + "/log.db");
  EXPECT_EQ(log->LastZxid(), 200);
}

TEST(LogWriter, DropsLaterAppendsOfAFailedGeneration) {
  TempDir dir;
  FaultSwitches sw;
  const char* vfs = RegisterFaultVfs(&sw);
  Completions done;
  LogWriter writer(OpenLog(dir.path() + "/log.db", vfs), done.fn());
  writer.Append(CreateTxn(1, "/a", "1"), 0);
  ASSERT_TRUE(done.WaitFor(1));
  sw.fail_writes = true;
  writer.Append(CreateTxn(2, "/b", "2"), 0);
  {
    std::unique_lock<std::mutex> l(done.mu);
    ASSERT_TRUE(done.cv.wait_for(l, std::chrono::seconds(10), [&] { return done.seen.size() == 2; }));
    EXPECT_FALSE(std::get<2>(done.seen[1]));
  }
  sw.fail_writes = false;
  writer.Append(CreateTxn(3, "/c", "3"), 0);  // still generation 0: must not be written
  writer.Append(CreateTxn(2, "/b2", "2"), 1);  // the core's retry in the next generation
  ASSERT_TRUE(done.WaitFor(2));
  writer.Stop();
  auto log = OpenLog(dir.path() + "/log.db");
  EXPECT_EQ(log->LastZxid(), 2);
  std::vector<std::string> paths;
  ASSERT_TRUE(log->ReadAfter(0, [&](int64_t, std::string_view p) {
    txn::Txn t;
    EXPECT_TRUE(DecodeTxn(p, t));
    paths.push_back(t.ops[0].path);
    return true;
  }).ok());
  EXPECT_EQ(paths, (std::vector<std::string>{"/a", "/b2"}));
}

// Builds a tree by applying txns, as the core does.
void ApplyAll(datatree::DataTree& tree, const std::vector<txn::Txn>& txns) {
  for (const auto& t : txns) txn::Apply(t, tree);
}

std::vector<txn::Txn> SampleHistory() {
  std::vector<txn::Txn> h;
  int64_t z = 1;
  h.push_back(CreateTxn(z++, "/app", "root-data", 1));
  h.push_back(CreateTxn(z++, "/app/a", std::string(300, 'a'), 1));
  h.push_back(CreateTxn(z++, "/app/b", "", 2));
  h.push_back(SetDataTxn(z++, "/app/a", "changed", 1));
  h.push_back(CreateTxn(z++, "/app/b/c", "deep", 1));
  h.push_back(DeleteTxn(z++, "/app/b/c"));
  txn::Txn acl;
  acl.zxid = z++;
  acl.type = OpCode::kSetACL;
  txn::TxnOp op;
  op.type = OpCode::kSetACL;
  op.path = "/app/b";
  op.acl = {jute::Acl{jute::perms::kRead, jute::Id{"digest", "u:hash"}}};
  op.version = 1;
  acl.ops.push_back(op);
  h.push_back(acl);
  txn::Txn eph = CreateTxn(z++, "/app/e", "x", 3);
  eph.ops[0].ephemeral_owner = 0x77;
  h.push_back(eph);
  txn::Txn nul = CreateTxn(z++, "/app/null", "", 4);
  nul.ops[0].data.reset();
  h.push_back(nul);
  return h;
}

std::string WriteFullSnapshot(const std::string& dir, const datatree::DataTree& tree,
                              const session::SessionTracker& sessions) {
  base::Status s;
  std::string path = dir + "/" + SnapshotFileName(tree.last_processed_zxid());
  auto w = SnapshotWriter::Start(path, tree.last_processed_zxid(), 0xabc, &s);
  EXPECT_TRUE(w) << s.message();
  while (!w->Step(tree, 2, &s)) EXPECT_TRUE(s.ok());
  EXPECT_TRUE(w->Seal(sessions).ok());
  EXPECT_TRUE(w->Commit().ok());
  return path;
}

// Writes `tree` to a snapshot, loads it into `loaded` and checks that it comes back equal.
void RoundTrip(const std::string& dir, const datatree::DataTree& tree,
               const session::SessionTracker& sessions, datatree::DataTree& loaded,
               LoadedSnapshot* ls) {
  std::string path = WriteFullSnapshot(dir, tree, sessions);
  base::Status s = LoadSnapshot(path, loaded, ls);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(Dump(loaded), Dump(tree));
}

TEST(Snapshot, RoundTripsTreeAclsAndSessions) {
  TempDir dir;
  datatree::DataTree tree;
  ApplyAll(tree, SampleHistory());
  session::SessionTracker sessions(2000);
  sessions.Add(0x77, 30000, "pw", 0);
  sessions.Add(0x78, 10000, "pw", 0);
  datatree::DataTree loaded;
  LoadedSnapshot ls;
  ASSERT_NO_FATAL_FAILURE(RoundTrip(dir.path(), tree, sessions, loaded, &ls));
  EXPECT_EQ(loaded.node_count(), tree.node_count()) << "system nodes must not be duplicated";
  EXPECT_EQ(ls.zxid, tree.last_processed_zxid());
  EXPECT_EQ(ls.secret, 0xabcu);
  EXPECT_EQ(ls.sessions.size(), 2u);
  EXPECT_EQ(loaded.EphemeralsOf(0x77), (std::vector<std::string>{"/app/e"}));
  const datatree::Znode* n = loaded.Find("/app/null");
  ASSERT_TRUE(n);
  EXPECT_FALSE(loaded.DataOf(*n).has_value());
}

TEST(Snapshot, AclIdsThatAreNotUtf8ReadBack) {
  TempDir dir;
  datatree::DataTree tree;
  txn::Txn t = CreateTxn(1, "/x", "v");
  t.ops[0].acl = {jute::Acl{31, jute::Id{"digest", "\xff:hash"}}};
  txn::Apply(t, tree);
  session::SessionTracker sessions(2000);
  datatree::DataTree loaded;
  LoadedSnapshot ls;
  ASSERT_NO_FATAL_FAILURE(RoundTrip(dir.path(), tree, sessions, loaded, &ls));
  const datatree::Znode* n = loaded.Find("/x");
  ASSERT_TRUE(n);
  EXPECT_EQ(loaded.AclOf(*n), t.ops[0].acl);
}

// More nodes than the loader's lookahead, several levels deep, with ACLs that differ from node
// to node: restoring behind parsing must keep parents, order and ACLs exact.
TEST(Snapshot, RoundTripsADeepTreeWithManyAcls) {
  TempDir dir;
  datatree::DataTree tree;
  int64_t z = 0;
  std::vector<std::string> parents{""};
  for (int level = 0; level < 3; ++level) {
    std::vector<std::string> next;
    for (const auto& p : parents) {
      for (int i = 0; i < 9; ++i) {
        ++z;
        txn::Txn t = CreateTxn(z, p + "/n" + std::to_string(i), std::to_string(z));
        t.ops[0].acl = {jute::Acl{1 + i % 3, jute::Id{"digest", std::to_string(i % 4)}}};
        txn::Apply(t, tree);
        next.push_back(t.ops[0].path);
      }
    }
    parents = next;
  }
  session::SessionTracker sessions(2000);
  datatree::DataTree loaded;
  LoadedSnapshot ls;
  ASSERT_NO_FATAL_FAILURE(RoundTrip(dir.path(), tree, sessions, loaded, &ls));
  EXPECT_EQ(ls.node_count, static_cast<int64_t>(tree.node_count()));
}

// Several MiB, an odd size: the writer's direct-I/O staging fills and wraps more than once,
// and the file must end exactly at its trailer (the padded last block cut off).
TEST(Snapshot, RoundTripsSeveralMegabytesOfOddSizedNodes) {
  TempDir dir;
  datatree::DataTree tree;
  int64_t z = 0;
  txn::Apply(CreateTxn(++z, "/big", "b"), tree);
  for (int i = 0; i < 3000; ++i) {
    txn::Apply(CreateTxn(++z, "/big/n" + std::to_string(i), std::string(1000 + i % 97, 'a' + i % 26)),
               tree);
  }
  session::SessionTracker sessions(2000);
  base::Status s;
  std::string path = dir.path() + "/" + SnapshotFileName(z);
  auto w = SnapshotWriter::Start(path, z, 0xabc, &s);
  ASSERT_TRUE(w) << s.message();
  while (!w->Step(tree, 100, &s)) ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_TRUE(w->Seal(sessions).ok());
  ASSERT_TRUE(w->Commit().ok());
  EXPECT_GT(w->bytes_written(), 3 << 20);
  EXPECT_EQ(static_cast<int64_t>(fs::file_size(path)), w->bytes_written());
  datatree::DataTree loaded;
  LoadedSnapshot ls;
  s = LoadSnapshot(path, loaded, &ls);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(Dump(loaded), Dump(tree));
}

TEST(Snapshot, RejectsAnEmptyFile) {
  TempDir dir;
  std::string path = dir.path() + "/" + SnapshotFileName(1);
  std::ofstream(path).close();
  datatree::DataTree t;
  LoadedSnapshot ls;
  EXPECT_EQ(LoadSnapshot(path, t, &ls).code(), base::Status::Code::kCorruption);
}

TEST(Snapshot, FuzzySnapshotPlusReplayEqualsTheLiveTree) {
  TempDir dir;
  std::mt19937 rng(7);
  datatree::DataTree live;
  std::vector<txn::Txn> log;
  int64_t z = 0;
  auto apply = [&](txn::Txn t) {
    txn::Apply(t, live);
    log.push_back(std::move(t));
  };
  for (int i = 0; i < 50; ++i) apply(CreateTxn(++z, "/n" + std::to_string(i), "v", -1));
  int64_t snap_zxid = live.last_processed_zxid();
  base::Status s;
  std::string path = dir.path() + "/" + SnapshotFileName(snap_zxid);
  auto w = SnapshotWriter::Start(path, snap_zxid, 1, &s);
  ASSERT_TRUE(w);
  session::SessionTracker sessions(2000);
  // Interleave the walk with creates, updates and deletes, as the core does.
  bool done = false;
  while (!done) {
    done = w->Step(live, 3, &s);
    ASSERT_TRUE(s.ok());
    int k = static_cast<int>(rng() % 50);
    std::string p = "/n" + std::to_string(k);
    const datatree::Znode* n = live.Find(p);
    ++z;
    if (n && rng() % 3 == 0) {
      // A node with a child cannot be deleted: drop the child first.
      if (n->has_children()) apply(DeleteTxn(z++, p + "/child"));
      apply(DeleteTxn(z, p));
    } else if (n) {
      apply(SetDataTxn(z, p, "v" + std::to_string(z), n->version + 1));
    } else {
      apply(CreateTxn(z, p, "re" + std::to_string(z), -1));
      ++z;
      apply(CreateTxn(z, p + "/child", "c", -1));
    }
  }
  ASSERT_TRUE(w->Seal(sessions).ok());
  ASSERT_TRUE(w->Commit().ok());
  datatree::DataTree recovered;
  LoadedSnapshot ls;
  ASSERT_TRUE(LoadSnapshot(path, recovered, &ls).ok());
  for (const auto& t : log) {
    if (t.zxid > ls.zxid) txn::Apply(t, recovered, /*replay=*/true);
  }
  EXPECT_EQ(Dump(recovered), Dump(live));
}

void FlipByte(const std::string& path, std::streamoff offset_from_end) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(-offset_from_end, std::ios::end);
  char c;
  f.get(c);
  f.seekp(-offset_from_end, std::ios::end);
  f.put(static_cast<char>(c ^ 0x40));
}

TEST(Snapshot, RejectsAFlippedByteAndATruncatedFile) {
  TempDir dir;
  datatree::DataTree tree;
  ApplyAll(tree, SampleHistory());
  session::SessionTracker sessions(2000);
  std::string path = WriteFullSnapshot(dir.path(), tree, sessions);
  std::string copy = path + ".copy";
  fs::copy_file(path, copy);
  FlipByte(path, 40);
  datatree::DataTree t1;
  LoadedSnapshot l1;
  EXPECT_EQ(LoadSnapshot(path, t1, &l1).code(), base::Status::Code::kCorruption);
  fs::resize_file(copy, fs::file_size(copy) - 10);
  datatree::DataTree t2;
  LoadedSnapshot l2;
  EXPECT_EQ(LoadSnapshot(copy, t2, &l2).code(), base::Status::Code::kCorruption);
}

TEST(Recovery, SnapshotPlusLogGivesTheLatestState) {
  TempDir dir;
  auto history = SampleHistory();
  datatree::DataTree live;
  ApplyAll(live, {history.begin(), history.begin() + 4});
  session::SessionTracker sessions(2000);
  WriteFullSnapshot(dir.path(), live, sessions);
  ApplyAll(live, {history.begin() + 4, history.end()});
  auto log = OpenLog(dir.path() + "/log.db");
  std::vector<LogEntry> entries;
  for (const auto& t : history) entries.push_back({t.zxid, EncodeTxn(t)});
  ASSERT_TRUE(log->Append(entries).ok());
  RecoveredState st;
  base::Status s = Recover(dir.path(), *log, &st);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(st.snapshot_zxid, 4);
  EXPECT_EQ(st.replayed, static_cast<int64_t>(history.size()) - 4);
  EXPECT_EQ(st.last_zxid, history.back().zxid);
  EXPECT_EQ(Dump(*st.tree), Dump(live));
  EXPECT_NE(st.secret, 0u);
}

TEST(Recovery, FallsBackToAnOlderSnapshotWhenTheNewestIsDamaged) {
  TempDir dir;
  auto history = SampleHistory();
  datatree::DataTree live;
  session::SessionTracker sessions(2000);
  ApplyAll(live, {history.begin(), history.begin() + 3});
  WriteFullSnapshot(dir.path(), live, sessions);
  ApplyAll(live, {history.begin() + 3, history.begin() + 6});
  std::string newest = WriteFullSnapshot(dir.path(), live, sessions);
  ApplyAll(live, {history.begin() + 6, history.end()});
  FlipByte(newest, 30);
  auto log = OpenLog(dir.path() + "/log.db");
  std::vector<LogEntry> entries;
  for (const auto& t : history) entries.push_back({t.zxid, EncodeTxn(t)});
  ASSERT_TRUE(log->Append(entries).ok());
  RecoveredState st;
  ASSERT_TRUE(Recover(dir.path(), *log, &st).ok());
  EXPECT_EQ(st.snapshot_zxid, 3);
  EXPECT_EQ(Dump(*st.tree), Dump(live));
  bool reported = false;
  for (const auto& line : st.report) reported |= line.find("damaged snapshot") != std::string::npos;
  EXPECT_TRUE(reported);
}

TEST(Recovery, TruncatesADamagedTailButRefusesDamageInTheMiddle) {
  for (bool tail : {true, false}) {
    TempDir dir;
    auto history = SampleHistory();
    auto log = OpenLog(dir.path() + "/log.db");
    std::vector<LogEntry> entries;
    for (const auto& t : history) entries.push_back({t.zxid, EncodeTxn(t)});
    ASSERT_TRUE(log->Append(entries).ok());
    int64_t victim = tail ? history.back().zxid : 3;
    sqlite3* db;
    ASSERT_EQ(sqlite3_open((dir.path() + "/log.db").c_str(), &db), SQLITE_OK);
    std::string sql = "UPDATE log SET crc = crc + 1 WHERE zxid = " + std::to_string(victim);
    ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
    RecoveredState st;
    base::Status s = Recover(dir.path(), *log, &st);
    if (tail) {
      ASSERT_TRUE(s.ok()) << s.message();
      EXPECT_EQ(st.last_zxid, victim - 1);
      EXPECT_EQ(log->LastZxid(), victim - 1);
    } else {
      EXPECT_EQ(s.code(), base::Status::Code::kCorruption);
      EXPECT_NE(s.message().find("refusing"), std::string::npos) << s.message();
    }
  }
}

TEST(Recovery, RefusesAGapInTheLog) {
  TempDir dir;
  auto history = SampleHistory();
  auto log = OpenLog(dir.path() + "/log.db");
  std::vector<LogEntry> entries;
  for (const auto& t : history) {
    if (t.zxid != 4) entries.push_back({t.zxid, EncodeTxn(t)});
  }
  ASSERT_TRUE(log->Append(entries).ok());
  RecoveredState st;
  base::Status s = Recover(dir.path(), *log, &st);
  EXPECT_EQ(s.code(), base::Status::Code::kCorruption);
  EXPECT_NE(s.message().find("missing"), std::string::npos) << s.message();
}

TEST(Recovery, KeepsTheSessionSecretAcrossRestarts) {
  TempDir dir;
  uint64_t first;
  {
    auto log = OpenLog(dir.path() + "/log.db");
    RecoveredState st;
    ASSERT_TRUE(Recover(dir.path(), *log, &st).ok());
    first = st.secret;
  }
  auto log = OpenLog(dir.path() + "/log.db");
  RecoveredState st;
  ASSERT_TRUE(Recover(dir.path(), *log, &st).ok());
  EXPECT_EQ(st.secret, first);
}

}  // namespace
}  // namespace caucus::storage
