// The core with a durable log: nothing is applied or acknowledged before the log says the
// transaction is durable; a failed log write fails exactly the writes it held, and the server
// keeps serving; zxids roll over to the next epoch instead of overflowing.
#include <gtest/gtest.h>

#include "server/base/zxid.h"
#include "server/node/node.h"
#include "tests/support/wire.h"

namespace caucus::node {
namespace {

using testing::EncodeConnect;
using testing::EncodeRequest;
using testing::FakeResponder;
using testing::MakeCreate;
using testing::MakePathWatch;
using testing::ParseReply;
using testing::Reply;

// Records appended txns; the test decides when they become durable.
class FakeLog : public TxnLog {
 public:
  void Append(const txn::Txn& t, uint64_t generation) override {
    appended.push_back({t.zxid, generation});
  }
  std::vector<std::pair<int64_t, uint64_t>> appended;
};

class DurableNodeTest : public ::testing::Test {
 protected:
  DurableNodeTest() : node_(Options(), out_, &log_) {}
  static NodeOptions Options() {
    NodeOptions o;
    o.secret = 1;
    return o;
  }
  Now now_{1000000, 1000};

  // Connects `conn` and makes its createSession durable.
  void Connect(ConnId conn) {
    node_.OnConnectionOpened(conn, "127.0.0.1", "/127.0.0.1:1", now_);
    node_.OnFrame(conn, EncodeConnect(0, std::string(16, '\0'), 10000), now_);
    ASSERT_TRUE(out_.TakeFrames(conn).empty()) << "no ConnectResponse before the session is durable";
    node_.OnLogDurable(0, log_.appended.back().first, now_);
    ASSERT_EQ(out_.TakeFrames(conn).size(), 1u);
  }

  // Like Connect, and returns the ConnectResponse; `session`/`passwd` reconnect a session.
  jute::ConnectResponse ConnectSession(ConnId conn, int64_t session = 0,
                                       std::string passwd = std::string(16, '\0')) {
    node_.OnConnectionOpened(conn, "127.0.0.1", "/127.0.0.1:1", now_);
    node_.OnFrame(conn, EncodeConnect(session, passwd, 10000), now_);
    if (session == 0) node_.OnLogDurable(0, log_.appended.back().first, now_);
    auto frames = out_.TakeFrames(conn);
    jute::ConnectResponse r;
    EXPECT_EQ(frames.size(), 1u);
    if (frames.empty()) return r;
    jute::InArchive a(frames.back());
    EXPECT_TRUE(r.Read(a));
    return r;
  }

  std::vector<Reply> Replies(ConnId conn) {
    std::vector<Reply> out;
    for (const auto& f : out_.TakeFrames(conn)) {
      Reply r;
      EXPECT_TRUE(ParseReply(f, r));
      out.push_back(r);
    }
    return out;
  }

  FakeResponder out_;
  FakeLog log_;
  Node node_;
};

TEST_F(DurableNodeTest, AcknowledgesAWriteOnlyOnceItIsDurable) {
  Connect(1);
  node_.OnFrame(1, EncodeRequest(MakeCreate(1, "/a", "x")), now_);
  EXPECT_TRUE(Replies(1).empty());
  EXPECT_EQ(node_.tree().Find("/a"), nullptr) << "not applied before it is durable";
  int64_t zxid = log_.appended.back().first;
  node_.OnLogDurable(0, zxid, now_);
  auto replies = Replies(1);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].header.xid, 1);
  EXPECT_EQ(replies[0].header.err, 0);
  EXPECT_EQ(replies[0].header.zxid, zxid);
  EXPECT_NE(node_.tree().Find("/a"), nullptr);
}

TEST_F(DurableNodeTest, PipelinesWritesButAReadWaitsForTheSessionsEarlierWrites) {
  Connect(1);
  node_.OnFrame(1, EncodeRequest(MakeCreate(1, "/a", "1")), now_);
  node_.OnFrame(1, EncodeRequest(MakeCreate(2, "/a/b", "2")), now_);  // validated vs pending
  node_.OnFrame(1, EncodeRequest(MakePathWatch(3, jute::OpCode::kGetData, "/a/b", false)), now_);
  ASSERT_EQ(log_.appended.size(), 3u) << "session + two pipelined creates";
  EXPECT_TRUE(Replies(1).empty());
  node_.OnLogDurable(0, log_.appended[1].first, now_);
  auto r1 = Replies(1);
  ASSERT_EQ(r1.size(), 1u) << "the read must wait for the second create";
  EXPECT_EQ(r1[0].header.xid, 1);
  node_.OnLogDurable(0, log_.appended[2].first, now_);
  auto r2 = Replies(1);
  ASSERT_EQ(r2.size(), 2u);
  EXPECT_EQ(r2[0].header.xid, 2);
  EXPECT_EQ(r2[0].header.err, 0);
  EXPECT_EQ(r2[1].header.xid, 3);
  EXPECT_EQ(r2[1].header.err, 0) << "the read sees the write it followed";
}

// A client whose connection drops right after it sent a create reconnects its session on a
// new connection while the create is still waiting for the log. The new connection's read
// must see the create (session FIFO spans connections, as in ZooKeeper), and the create's
// late commit must neither be answered on the new connection nor be mistaken for the new
// connection's own write (this crashed the server: PANIC q.req.xid == txn.cxid).
TEST_F(DurableNodeTest, WritesOfAnOldConnectionStayOrderedWithTheSessionsNewConnection) {
  auto s = ConnectSession(1);
  ASSERT_NE(s.session_id, 0);
  node_.OnFrame(1, EncodeRequest(MakeCreate(1, "/lock", "x")), now_);
  int64_t create_zxid = log_.appended.back().first;
  node_.OnConnectionClosed(1);  // the client dropped it: the reply is lost
  auto again = ConnectSession(2, s.session_id, s.passwd);
  ASSERT_EQ(again.session_id, s.session_id);
  node_.OnFrame(2, EncodeRequest(MakePathWatch(2, jute::OpCode::kExists, "/lock", false)), now_);
  node_.OnFrame(2, EncodeRequest(MakeCreate(3, "/other", "y")), now_);
  EXPECT_TRUE(Replies(2).empty()) << "the read waits for the session's earlier create";
  node_.OnLogDurable(0, create_zxid, now_);
  auto r = Replies(2);
  ASSERT_EQ(r.size(), 1u) << "no reply for the old connection's create on the new one";
  EXPECT_EQ(r[0].header.xid, 2);
  EXPECT_EQ(r[0].header.err, 0) << "the read sees the create";
  node_.OnLogDurable(0, log_.appended.back().first, now_);
  r = Replies(2);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].header.xid, 3);
  EXPECT_EQ(r[0].header.err, 0);
  EXPECT_EQ(node_.stats().outstanding, 0);
}

// The same while the old connection is still open when the session moves: the server closes
// it, and the write's reply goes nowhere.
TEST_F(DurableNodeTest, ASessionMovedWhileItsWriteIsInFlightAnswersOnlyTheNewConnection) {
  auto s = ConnectSession(1);
  node_.OnFrame(1, EncodeRequest(MakeCreate(1, "/a", "x")), now_);
  auto again = ConnectSession(2, s.session_id, s.passwd);
  ASSERT_EQ(again.session_id, s.session_id);
  EXPECT_TRUE(out_.IsClosed(1));
  node_.OnFrame(2, EncodeRequest(MakeCreate(2, "/b", "y")), now_);
  node_.OnFrame(2, EncodeRequest(MakePathWatch(3, jute::OpCode::kGetData, "/a", false)), now_);
  node_.OnLogDurable(0, log_.appended.back().first, now_);
  EXPECT_TRUE(Replies(1).empty());
  auto r = Replies(2);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].header.xid, 2);
  EXPECT_EQ(r[1].header.xid, 3);
  EXPECT_EQ(r[1].header.err, 0);
  node_.OnConnectionClosed(1);
  EXPECT_EQ(node_.stats().outstanding, 0);
}

TEST_F(DurableNodeTest, AFailedLogWriteFailsPendingWritesAndReusesTheirZxids) {
  Connect(1);
  Connect(2);
  node_.OnFrame(1, EncodeRequest(MakeCreate(1, "/ok", "1")), now_);
  node_.OnLogDurable(0, log_.appended.back().first, now_);
  Replies(1);
  int64_t last_good = node_.last_zxid();
  node_.OnFrame(1, EncodeRequest(MakeCreate(2, "/lost", "1")), now_);
  node_.OnFrame(1, EncodeRequest(MakeCreate(3, "/lost/child", "1")), now_);
  node_.OnLogFailed(0, "disk full", now_);
  auto r = Replies(1);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].header.err, static_cast<int32_t>(jute::Error::kSystemError));
  EXPECT_EQ(r[1].header.err, static_cast<int32_t>(jute::Error::kSystemError));
  EXPECT_EQ(node_.tree().Find("/lost"), nullptr);
  // Reads still work, on both connections.
  node_.OnFrame(2, EncodeRequest(MakePathWatch(9, jute::OpCode::kGetData, "/ok", false)), now_);
  auto read = Replies(2);
  ASSERT_EQ(read.size(), 1u);
  EXPECT_EQ(read[0].header.err, 0);
  // A later write is validated without the failed ones, takes the next zxid after the last
  // durable one, and is logged in the next generation.
  node_.OnFrame(1, EncodeRequest(MakeCreate(4, "/lost", "again")), now_);
  ASSERT_EQ(log_.appended.back().second, 1u);
  EXPECT_EQ(log_.appended.back().first, last_good + 1);
  node_.OnLogDurable(0, log_.appended.back().first, now_);  // stale generation: ignored
  EXPECT_TRUE(Replies(1).empty());
  node_.OnLogDurable(1, log_.appended.back().first, now_);
  auto ok = Replies(1);
  ASSERT_EQ(ok.size(), 1u);
  EXPECT_EQ(ok[0].header.err, 0);
}

TEST(NodeZxid, RollsOverToTheNextEpochInsteadOfOverflowing) {
  FakeResponder out;
  auto tree = std::make_unique<datatree::DataTree>();
  tree->set_last_processed_zxid(base::MakeZxid(5, 0xfffffffe));
  NodeOptions o;
  Node node(o, out, nullptr, std::move(tree));
  Now now{1000000, 1000};
  node.OnConnectionOpened(1, "127.0.0.1", "/127.0.0.1:1", now);
  node.OnFrame(1, EncodeConnect(0, std::string(16, '\0'), 10000), now);  // zxid 5:fffffffe+1
  EXPECT_EQ(node.last_zxid(), base::MakeZxid(5, 0xffffffff));
  node.OnFrame(1, EncodeRequest(MakeCreate(1, "/a", "x")), now);
  EXPECT_EQ(node.last_zxid(), base::MakeZxid(6, 1));
  const datatree::Znode* n = node.tree().Find("/a");
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(n->czxid, base::MakeZxid(6, 1));
  EXPECT_GT(n->czxid, base::MakeZxid(5, 0xffffffff)) << "zxids stay strictly increasing";
}

}  // namespace
}  // namespace caucus::node
