// Node end to end: encoded frames in, frames out through a fake Responder.
#include <gtest/gtest.h>

#include "proto/jute/opcodes.h"
#include "server/auth/auth.h"
#include "server/node/node.h"
#include "tests/support/wire.h"

namespace caucus::node {
namespace {

using jute::Error;
using jute::OpCode;
using testing::FakeResponder;
using testing::Reply;

constexpr int64_t kWall = 1'700'000'000'000LL;

class NodeTest : public ::testing::Test {
 protected:
  NodeTest() {
    opts_.server_id = 1;
    opts_.tick_ms = 2000;
    opts_.min_session_timeout_ms = 4000;
    opts_.max_session_timeout_ms = 40000;
    opts_.super_digest = auth::GenerateDigest("super:test");
    opts_.secret = 0x1234;
    node_ = std::make_unique<Node>(opts_, resp_);
  }

  Now At() const { return Now{kWall + mono_, mono_}; }

  void Open(ConnId c) { node_->OnConnectionOpened(c, "127.0.0.1", "127.0.0.1:5000", At()); }

  // Sends a ConnectRequest and returns the decoded ConnectResponse.
  jute::ConnectResponse Connect(ConnId c, int32_t timeout = 10000, int64_t session = 0,
                                std::string pw = std::string(16, '\0')) {
    Open(c);
    node_->OnFrame(c, testing::EncodeConnect(session, pw, timeout), At());
    auto frames = resp_.TakeFrames(c);
    jute::ConnectResponse r;
    EXPECT_EQ(frames.size(), 1u);
    if (frames.empty()) return r;
    jute::InArchive a(frames.back());
    EXPECT_TRUE(r.Read(a));
    EXPECT_TRUE(a.AtEnd());
    return r;
  }

  // Sends one request and returns every frame it produced on `c`, parsed.
  std::vector<Reply> Send(ConnId c, const jute::Request& req) {
    node_->OnFrame(c, testing::EncodeRequest(req), At());
    return Parse(resp_.TakeFrames(c));
  }
  std::vector<Reply> SendRaw(ConnId c, std::string_view frame) {
    node_->OnFrame(c, frame, At());
    return Parse(resp_.TakeFrames(c));
  }
  static std::vector<Reply> Parse(const std::vector<std::string>& frames) {
    std::vector<Reply> out;
    for (const auto& f : frames) {
      Reply r;
      EXPECT_TRUE(testing::ParseReply(f, r));
      out.push_back(std::move(r));
    }
    return out;
  }
  // Exactly one reply expected.
  Reply Call(ConnId c, const jute::Request& req) {
    auto rs = Send(c, req);
    EXPECT_EQ(rs.size(), 1u);
    return rs.empty() ? Reply{} : rs.back();
  }

  jute::Request Req(int32_t xid, OpCode op, decltype(jute::Request::body) body = {}) {
    jute::Request r;
    r.xid = xid;
    r.op = op;
    r.body = std::move(body);
    return r;
  }
  jute::Request Auth(const char* scheme, const char* cred) {
    return Req(jute::kAuthXid, OpCode::kAuth, jute::AuthPacket{0, scheme, cred});
  }

  NodeOptions opts_;
  FakeResponder resp_;
  std::unique_ptr<Node> node_;
  int64_t mono_ = 1000;
};

TEST_F(NodeTest, NewSessionGetsClampedTimeoutAndPassword) {
  jute::ConnectResponse r = Connect(1, 10000);
  EXPECT_EQ(r.protocol_version, 0);
  EXPECT_EQ(r.timeout_ms, 10000);
  EXPECT_NE(r.session_id, 0);
  EXPECT_EQ(static_cast<uint64_t>(r.session_id) >> 56, 1u);  // server id in the top byte
  EXPECT_EQ(r.passwd.size(), 16u);
  EXPECT_NE(r.passwd, std::string(16, '\0'));
  EXPECT_FALSE(r.read_only);
  EXPECT_FALSE(resp_.IsClosed(1));
  EXPECT_EQ(node_->sessions().size(), 1u);
  EXPECT_EQ(Connect(2, 1).timeout_ms, 4000);
  EXPECT_EQ(Connect(3, 1000000).timeout_ms, 40000);
  jute::ConnectResponse r4 = Connect(4, 4000);
  EXPECT_NE(r4.session_id, r.session_id);
  EXPECT_NE(r4.passwd, r.passwd);
  EXPECT_EQ(resp_.bad_prefixes(), 0u);
}

TEST_F(NodeTest, ReconnectWithSamePasswordKeepsSession) {
  jute::ConnectResponse first = Connect(1, 10000);
  ASSERT_EQ(Call(1, testing::MakeCreate(1, "/e", std::string("x"), 1)).header.err, 0);
  jute::ConnectResponse again = Connect(2, 20000, first.session_id, first.passwd);
  EXPECT_EQ(again.session_id, first.session_id);
  EXPECT_EQ(again.passwd, first.passwd);
  EXPECT_EQ(again.timeout_ms, 20000);
  EXPECT_TRUE(resp_.IsClosed(1));  // the old connection is closed
  EXPECT_FALSE(resp_.IsClosed(2));
  EXPECT_NE(node_->tree().Find("/e"), nullptr);  // the ephemeral survives
  Reply r = Call(2, testing::MakePathWatch(5, OpCode::kExists, "/e", false));
  EXPECT_EQ(r.header.xid, 5);
  EXPECT_EQ(r.header.err, 0);
}

TEST_F(NodeTest, WrongPasswordGetsTimeoutZeroAndClose) {
  jute::ConnectResponse first = Connect(1);
  std::string bad = first.passwd;
  bad[0] ^= 1;
  jute::ConnectResponse r = Connect(2, 10000, first.session_id, bad);
  EXPECT_EQ(r.timeout_ms, 0);
  EXPECT_EQ(r.session_id, 0);
  EXPECT_EQ(r.passwd, std::string(16, '\0'));
  EXPECT_TRUE(resp_.IsClosed(2));
  EXPECT_NE(node_->sessions().Find(first.session_id), nullptr);  // the session lives on
}

TEST_F(NodeTest, UnknownSessionGetsTimeoutZeroAndClose) {
  jute::ConnectResponse r = Connect(1, 10000, 0x0100000000001234LL, std::string(16, 'x'));
  EXPECT_EQ(r.timeout_ms, 0);
  EXPECT_TRUE(resp_.IsClosed(1));
  EXPECT_EQ(node_->sessions().size(), 0u);
}

TEST_F(NodeTest, ClientAheadOfServerIsRefused) {
  Open(1);
  node_->OnFrame(1, testing::EncodeConnect(0, std::string(16, '\0'), 10000, 999), At());
  EXPECT_TRUE(resp_.TakeFrames(1).empty());
  EXPECT_TRUE(resp_.IsClosed(1));
}

TEST_F(NodeTest, MalformedConnectIsClosed) {
  Open(1);
  node_->OnFrame(1, "short", At());
  EXPECT_TRUE(resp_.IsClosed(1));
  EXPECT_EQ(node_->sessions().size(), 0u);
}

TEST_F(NodeTest, CreateAndGetDataReplies) {
  Connect(1);
  int64_t before = node_->last_zxid();
  Reply c = Call(1, testing::MakeCreate(7, "/a", std::string("hello")));
  EXPECT_EQ(c.header.xid, 7);
  EXPECT_EQ(c.header.err, 0);
  EXPECT_EQ(c.header.zxid, before + 1);
  EXPECT_EQ(c.header.zxid, node_->last_zxid());
  jute::InArchive ca(c.body);
  std::string path;
  ASSERT_TRUE(ca.String(path));
  EXPECT_EQ(path, "/a");
  EXPECT_TRUE(ca.AtEnd());

  Reply g = Call(1, testing::MakePathWatch(8, OpCode::kGetData, "/a", false));
  EXPECT_EQ(g.header.xid, 8);
  EXPECT_EQ(g.header.err, 0);
  EXPECT_EQ(g.header.zxid, node_->last_zxid());
  jute::InArchive ga(g.body);
  std::optional<std::string> data;
  jute::Stat st;
  ASSERT_TRUE(ga.OptionalBuffer(data));
  ASSERT_TRUE(st.Read(ga));
  EXPECT_TRUE(ga.AtEnd());
  EXPECT_EQ(data, "hello");
  EXPECT_EQ(st.czxid, c.header.zxid);
  EXPECT_EQ(st.data_length, 5);
  EXPECT_EQ(st.ctime, kWall + mono_);

  Reply c2 = Call(1, testing::MakeCreate(9, "/n", std::nullopt, 0, {}, OpCode::kCreate2));
  jute::InArchive c2a(c2.body);
  ASSERT_TRUE(c2a.String(path));
  ASSERT_TRUE(st.Read(c2a));
  EXPECT_TRUE(c2a.AtEnd());
  EXPECT_EQ(st.czxid, c2.header.zxid);
  Reply gn = Call(1, testing::MakePathWatch(10, OpCode::kGetData, "/n", false));
  jute::InArchive gna(gn.body);
  ASSERT_TRUE(gna.OptionalBuffer(data));
  EXPECT_FALSE(data.has_value());  // null data stays null on the wire
}

TEST_F(NodeTest, ErrorRepliesHaveNoBody) {
  Connect(1);
  Reply g = Call(1, testing::MakePathWatch(3, OpCode::kGetData, "/missing", false));
  EXPECT_EQ(g.header.xid, 3);
  EXPECT_EQ(g.header.err, static_cast<int32_t>(Error::kNoNode));
  EXPECT_TRUE(g.body.empty());
  Reply c = Call(1, testing::MakeCreate(4, "/x/y", std::string()));
  EXPECT_EQ(c.header.err, static_cast<int32_t>(Error::kNoNode));
  EXPECT_TRUE(c.body.empty());
  EXPECT_EQ(c.header.zxid, node_->last_zxid());  // the failed write took a zxid
}

TEST_F(NodeTest, PingRepliesWithPingXid) {
  Connect(1);
  Reply p = Call(1, Req(-2, OpCode::kPing));
  EXPECT_EQ(p.header.xid, jute::kPingXid);
  EXPECT_EQ(p.header.err, 0);
}

TEST_F(NodeTest, WatchEventPrecedesTheReplyOfTheWriteThatFiredIt) {
  Connect(1);
  ASSERT_EQ(Call(1, testing::MakeCreate(1, "/a", std::string("v"))).header.err, 0);
  ASSERT_EQ(Call(1, testing::MakePathWatch(2, OpCode::kGetData, "/a", true)).header.err, 0);
  auto rs = Send(1, testing::MakeSetData(3, "/a", std::string("w")));
  ASSERT_EQ(rs.size(), 2u);
  EXPECT_EQ(rs[0].header.xid, jute::kNotificationXid);
  EXPECT_EQ(rs[0].header.zxid, -1);
  EXPECT_EQ(rs[0].header.err, 0);
  jute::WatcherEvent ev;
  ASSERT_TRUE(testing::ParseEvent(rs[0].body, ev));
  EXPECT_EQ(ev.type, static_cast<int32_t>(jute::EventType::kNodeDataChanged));
  EXPECT_EQ(ev.state, static_cast<int32_t>(jute::KeeperState::kSyncConnected));
  EXPECT_EQ(ev.path, "/a");
  EXPECT_EQ(rs[1].header.xid, 3);
  EXPECT_EQ(rs[1].header.err, 0);
  // One-shot: a second change notifies nobody.
  EXPECT_EQ(Send(1, testing::MakeSetData(4, "/a", std::string("x"))).size(), 1u);
}

TEST_F(NodeTest, WatchOnAnotherConnection) {
  Connect(1);
  Connect(2);
  ASSERT_EQ(Call(1, testing::MakePathWatch(1, OpCode::kExists, "/a", true)).header.err,
            static_cast<int32_t>(Error::kNoNode));
  ASSERT_EQ(Call(2, testing::MakeCreate(1, "/a", std::string())).header.err, 0);
  auto f = Parse(resp_.TakeFrames(1));
  ASSERT_EQ(f.size(), 1u);
  jute::WatcherEvent ev;
  ASSERT_TRUE(testing::ParseEvent(f[0].body, ev));
  EXPECT_EQ(ev.type, static_cast<int32_t>(jute::EventType::kNodeCreated));
  // Closing the watcher's connection drops its watches.
  ASSERT_EQ(Call(1, testing::MakePathWatch(2, OpCode::kGetChildren, "/a", true)).header.err, 0);
  node_->OnConnectionClosed(1);
  EXPECT_EQ(node_->tree().watches().WatchCount(), 0u);
}

TEST_F(NodeTest, CloseSessionRemovesEphemerals) {
  Connect(1);
  Connect(2);
  ASSERT_EQ(Call(1, testing::MakeCreate(1, "/e", std::string(), 1)).header.err, 0);
  ASSERT_EQ(Call(2, testing::MakePathWatch(1, OpCode::kExists, "/e", true)).header.err, 0);
  Reply r = Call(1, Req(2, OpCode::kCloseSession));
  EXPECT_EQ(r.header.xid, 2);
  EXPECT_EQ(r.header.err, 0);
  EXPECT_TRUE(resp_.IsClosed(1));
  EXPECT_EQ(node_->tree().Find("/e"), nullptr);
  EXPECT_EQ(node_->sessions().size(), 1u);
  auto f = Parse(resp_.TakeFrames(2));
  ASSERT_EQ(f.size(), 1u);
  jute::WatcherEvent ev;
  ASSERT_TRUE(testing::ParseEvent(f[0].body, ev));
  EXPECT_EQ(ev.type, static_cast<int32_t>(jute::EventType::kNodeDeleted));
}

TEST_F(NodeTest, SessionExpiryViaTickRemovesEphemerals) {
  jute::ConnectResponse s = Connect(1, 4000);
  ASSERT_EQ(Call(1, testing::MakeCreate(1, "/e", std::string(), 3)).header.err, 0);
  EXPECT_EQ(node_->tree().EphemeralCount(), 1u);
  mono_ += 3000;
  node_->Tick(At());
  EXPECT_EQ(node_->tree().EphemeralCount(), 1u);  // not yet
  EXPECT_FALSE(resp_.IsClosed(1));
  mono_ += 4000;
  node_->Tick(At());
  EXPECT_EQ(node_->tree().EphemeralCount(), 0u);
  EXPECT_TRUE(resp_.IsClosed(1));
  EXPECT_EQ(node_->sessions().Find(s.session_id), nullptr);
  // Reconnecting to the expired session is refused.
  jute::ConnectResponse again = Connect(2, 4000, s.session_id, s.passwd);
  EXPECT_EQ(again.timeout_ms, 0);
  EXPECT_TRUE(resp_.IsClosed(2));
}

TEST_F(NodeTest, RequestsKeepTheSessionAlive) {
  jute::ConnectResponse s = Connect(1, 4000);
  for (int i = 0; i < 5; ++i) {
    mono_ += 3000;
    Call(1, Req(-2, OpCode::kPing));
    node_->Tick(At());
  }
  EXPECT_NE(node_->sessions().Find(s.session_id), nullptr);
  EXPECT_FALSE(resp_.IsClosed(1));
}

TEST_F(NodeTest, UnknownOpcodeIsUnimplementedAndCloses) {
  Connect(1);
  std::string frame;
  jute::OutArchive a(frame);
  jute::RequestHeader{11, 77}.Write(a);
  auto rs = SendRaw(1, frame);
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].header.xid, 11);
  EXPECT_EQ(rs[0].header.zxid, -1);
  EXPECT_EQ(rs[0].header.err, static_cast<int32_t>(Error::kUnimplemented));
  EXPECT_TRUE(resp_.IsClosed(1));
}

// ZooKeeper 3.8 answers an undecodable body with MarshallingError and keeps the connection
// (PrepRequestProcessor / FinalRequestProcessor catch the IOException).
TEST_F(NodeTest, MalformedBodyIsMarshallingError) {
  Connect(1);
  std::string frame;
  jute::OutArchive a(frame);
  jute::RequestHeader{12, static_cast<int32_t>(OpCode::kGetData)}.Write(a);
  a.Int(1000);  // a path length with nothing behind it
  auto rs = SendRaw(1, frame);
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].header.xid, 12);
  EXPECT_EQ(rs[0].header.err, static_cast<int32_t>(Error::kMarshallingError));
  EXPECT_TRUE(rs[0].body.empty());
  EXPECT_FALSE(resp_.IsClosed(1));
  // A malformed write also answers in order.
  std::string w;
  jute::OutArchive wa(w);
  jute::RequestHeader{13, static_cast<int32_t>(OpCode::kCreate)}.Write(wa);
  wa.Int(-7);
  auto ws = SendRaw(1, w);
  ASSERT_EQ(ws.size(), 1u);
  EXPECT_EQ(ws[0].header.err, static_cast<int32_t>(Error::kMarshallingError));
  EXPECT_EQ(Call(1, Req(-2, OpCode::kPing)).header.err, 0);
}

TEST_F(NodeTest, TooShortRequestHeaderCloses) {
  Connect(1);
  node_->OnFrame(1, std::string("\0\0\0", 3), At());
  EXPECT_TRUE(resp_.IsClosed(1));
}

TEST_F(NodeTest, DigestAuthThenProtectedRead) {
  Connect(1);
  Reply a = Call(1, Auth("digest", "alice:secret"));
  EXPECT_EQ(a.header.xid, jute::kAuthXid);
  EXPECT_EQ(a.header.err, 0);
  jute::AclList acl = {jute::Acl{jute::perms::kAll, jute::Id{"auth", ""}}};
  ASSERT_EQ(Call(1, testing::MakeCreate(1, "/secret", std::string("s"), 0, acl)).header.err, 0);
  EXPECT_EQ(node_->tree().AclOf(*node_->tree().Find("/secret")),
            (jute::AclList{jute::Acl{31, jute::Id{"digest", auth::GenerateDigest("alice:secret")}}}));
  EXPECT_EQ(Call(1, testing::MakePathWatch(2, OpCode::kGetData, "/secret", false)).header.err, 0);

  Connect(2);
  EXPECT_EQ(Call(2, testing::MakePathWatch(1, OpCode::kGetData, "/secret", false)).header.err,
            static_cast<int32_t>(Error::kNoAuth));
  Call(2, Auth("digest", "bob:secret"));
  EXPECT_EQ(Call(2, testing::MakePathWatch(2, OpCode::kGetData, "/secret", false)).header.err,
            static_cast<int32_t>(Error::kNoAuth));
  Call(2, Auth("digest", "alice:secret"));
  EXPECT_EQ(Call(2, testing::MakePathWatch(3, OpCode::kGetData, "/secret", false)).header.err, 0);

  Connect(3);
  Call(3, Auth("digest", "super:test"));
  EXPECT_EQ(Call(3, testing::MakeSetData(1, "/secret", std::string("x"))).header.err, 0);
}

TEST_F(NodeTest, AuthWithUnknownSchemeFailsAndCloses) {
  Connect(1);
  Reply a = Call(1, Auth("kerberos", "x"));
  EXPECT_EQ(a.header.xid, jute::kAuthXid);
  EXPECT_EQ(a.header.err, static_cast<int32_t>(Error::kAuthFailed));
  EXPECT_TRUE(resp_.IsClosed(1));
}

TEST_F(NodeTest, WhoAmI) {
  Connect(1);
  Call(1, Auth("digest", "alice:secret"));
  Reply r = Call(1, Req(5, OpCode::kWhoAmI));
  EXPECT_EQ(r.header.xid, 5);
  EXPECT_EQ(r.header.err, 0);
  jute::InArchive a(r.body);
  int32_t n = 0;
  ASSERT_TRUE(a.Int(n));
  ASSERT_EQ(n, 2);
  jute::ClientInfo ip, digest;
  ASSERT_TRUE(ip.Read(a));
  ASSERT_TRUE(digest.Read(a));
  EXPECT_TRUE(a.AtEnd());
  EXPECT_EQ(ip.auth_scheme, "ip");
  EXPECT_EQ(ip.user, "127.0.0.1");
  EXPECT_EQ(digest.auth_scheme, "digest");
  EXPECT_EQ(digest.user, "alice");
}

TEST_F(NodeTest, MultiReplyFormat) {
  Connect(1);
  jute::MultiRequest m;
  jute::CreateRequest c{"/m", std::string("v"), testing::OpenAcl(), 0, -1};
  m.ops.push_back(jute::MultiOp{OpCode::kCreate, c});
  m.ops.push_back(jute::MultiOp{OpCode::kSetData, jute::SetDataRequest{"/m", std::nullopt, 0}});
  Reply ok = Call(1, Req(3, OpCode::kMulti, m));
  EXPECT_EQ(ok.header.err, 0);
  jute::InArchive a(ok.body);
  jute::MultiHeader h;
  std::string path;
  jute::Stat st;
  ASSERT_TRUE(h.Read(a));
  EXPECT_EQ(h.type, 1);
  EXPECT_FALSE(h.done);
  ASSERT_TRUE(a.String(path));
  EXPECT_EQ(path, "/m");
  ASSERT_TRUE(h.Read(a));
  EXPECT_EQ(h.type, 5);
  ASSERT_TRUE(st.Read(a));
  EXPECT_EQ(st.version, 1);
  ASSERT_TRUE(h.Read(a));
  EXPECT_TRUE(h.done);
  EXPECT_EQ(h.type, -1);
  EXPECT_TRUE(a.AtEnd());

  // A failed multi: header err OK, per-op ErrorResults.
  Reply bad = Call(1, Req(4, OpCode::kMulti, m));
  EXPECT_EQ(bad.header.err, 0);
  jute::InArchive b(bad.body);
  int32_t err = 0;
  ASSERT_TRUE(h.Read(b));
  EXPECT_EQ(h.type, -1);
  EXPECT_EQ(h.err, static_cast<int32_t>(Error::kNodeExists));
  ASSERT_TRUE(b.Int(err));
  EXPECT_EQ(err, static_cast<int32_t>(Error::kNodeExists));
  ASSERT_TRUE(h.Read(b));
  EXPECT_EQ(h.type, -1);
  ASSERT_TRUE(b.Int(err));
  EXPECT_EQ(err, static_cast<int32_t>(Error::kRuntimeInconsistency));
  ASSERT_TRUE(h.Read(b));
  EXPECT_TRUE(h.done);
  EXPECT_TRUE(b.AtEnd());
}

TEST_F(NodeTest, RequestBeforeSessionEstablishedIsTreatedAsConnect) {
  Open(1);
  // A request header where a ConnectRequest is expected is not a valid ConnectRequest.
  node_->OnFrame(1, testing::EncodeRequest(-2, OpCode::kPing), At());
  EXPECT_TRUE(resp_.IsClosed(1));
}

TEST_F(NodeTest, GetChildren2AndStatVersions) {
  Connect(1);
  Call(1, testing::MakeCreate(1, "/p", std::string()));
  Call(1, testing::MakeCreate(2, "/p/a", std::string()));
  Call(1, testing::MakeCreate(3, "/p/b", std::string()));
  Call(1, testing::MakeDelete(4, "/p/a"));
  Reply r = Call(1, testing::MakePathWatch(5, OpCode::kGetChildren2, "/p", false));
  jute::InArchive a(r.body);
  std::vector<std::string> kids;
  jute::Stat st;
  ASSERT_TRUE(a.StringVector(kids));
  ASSERT_TRUE(st.Read(a));
  EXPECT_TRUE(a.AtEnd());
  EXPECT_EQ(kids, (std::vector<std::string>{"b"}));
  EXPECT_EQ(st.num_children, 1);
  EXPECT_EQ(st.cversion, 3);  // two creates and one delete
  EXPECT_EQ(st.pzxid, r.header.zxid);
}

}  // namespace
}  // namespace caucus::node
