// Integration tests of caucus::Client against a live server (caucusd, or Apache ZooKeeper
// with CAUCUS_COMPAT_TARGET=zookeeper): every operation, typed errors, watches, sessions.
#include "caucus/client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <thread>

#include "tests/client/test_server.h"

namespace caucus {
namespace {

using namespace std::chrono_literals;
using testing::Server;
using testing::UniquePath;

ClientOptions Options(std::chrono::milliseconds timeout = 4000ms) {
  return testing::TestClientOptions(timeout);
}

// Collects events from watchers (called on the callback thread) for the test thread.
template <class T>
class Inbox {
 public:
  void Push(T v) {
    std::lock_guard l(mu_);
    q_.push_back(std::move(v));
    cv_.notify_all();
  }
  std::optional<T> Pop(std::chrono::milliseconds timeout = 10s) {
    std::unique_lock l(mu_);
    if (!cv_.wait_for(l, timeout, [&] { return !q_.empty(); })) return std::nullopt;
    T v = std::move(q_.front());
    q_.pop_front();
    return v;
  }
  size_t size() {
    std::lock_guard l(mu_);
    return q_.size();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<T> q_;
};

Error CodeOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const KeeperException& e) {
    return e.code();
  }
  return Error::kOk;
}

TEST(ClientTest, ConnectsAndNegotiatesTimeout) {
  Client c(Options());
  EXPECT_TRUE(c.connected());
  EXPECT_NE(c.session_id(), 0);
  EXPECT_EQ(c.negotiated_timeout(), 4000ms);
  EXPECT_EQ(c.state(), SessionState::kConnected);
}

TEST(ClientTest, FailsFastWithNoServer) {
  ClientOptions o;
  o.connect_string = "127.0.0.1:1";
  o.connect_wait = 300ms;
  EXPECT_THROW(Client c(o), KeeperException);
}

TEST(ClientTest, CreateGetSetDelete) {
  Client c(Options());
  auto p = UniquePath("crud");
  auto r = c.CreateWithStat(p, "hello");
  EXPECT_EQ(r.path, p);
  EXPECT_GT(r.stat.czxid, 0);
  auto d = c.GetData(p);
  EXPECT_EQ(d.data, "hello");
  EXPECT_EQ(d.stat.version, 0);
  Stat s = c.SetData(p, "world", 0);
  EXPECT_EQ(s.version, 1);
  EXPECT_EQ(c.GetData(p).data, "world");
  EXPECT_EQ(c.Exists(p)->data_length, 5);
  c.Delete(p, 1);
  EXPECT_FALSE(c.Exists(p).has_value());
  EXPECT_GT(c.last_zxid_seen(), 0);
}

TEST(ClientTest, TypedErrors) {
  Client c(Options());
  auto p = UniquePath("errors");
  EXPECT_EQ(CodeOf([&] { c.GetData(p); }), Error::kNoNode);
  c.Create(p);
  EXPECT_EQ(CodeOf([&] { c.Create(p); }), Error::kNodeExists);
  EXPECT_EQ(CodeOf([&] { c.SetData(p, "x", 7); }), Error::kBadVersion);
  c.Create(p + "/child");
  EXPECT_EQ(CodeOf([&] { c.Delete(p); }), Error::kNotEmpty);
  EXPECT_EQ(CodeOf([&] { c.Create(p + "/a/b"); }), Error::kNoNode);
  try {
    c.GetData(p + "/nope");
    FAIL();
  } catch (const KeeperException& e) {
    EXPECT_EQ(e.path(), p + "/nope");
    EXPECT_NE(std::string(e.what()).find("NONODE"), std::string::npos);
  }
}

TEST(ClientTest, CreateModes) {
  Client c(Options());
  auto p = UniquePath("modes");
  c.Create(p);
  auto seq1 = c.Create(p + "/s-", "", CreateMode::kPersistentSequential);
  auto seq2 = c.Create(p + "/s-", "", CreateMode::kEphemeralSequential);
  EXPECT_EQ(seq1, p + "/s-0000000000");
  EXPECT_EQ(seq2, p + "/s-0000000001");
  auto e = c.CreateWithStat(p + "/eph", "", CreateMode::kEphemeral);
  EXPECT_EQ(e.stat.ephemeral_owner, c.session_id());
  c.Create(p + "/container", "", CreateMode::kContainer);
  c.Create(p + "/ttl", "", CreateMode::kPersistentWithTtl, OpenAclUnsafe(), 60000);
  EXPECT_EQ(CodeOf([&] { c.Create(p + "/ttl2", "", CreateMode::kPersistentWithTtl); }),
            Error::kBadArguments);
  auto ttl_seq = c.Create(p + "/ts-", "", CreateMode::kPersistentSequentialWithTtl,
                          OpenAclUnsafe(), 60000);
  EXPECT_EQ(ttl_seq.rfind(p + "/ts-", 0), 0u);
  EXPECT_EQ(c.GetEphemerals(p).size(), 2u);
  EXPECT_EQ(c.GetAllChildrenNumber(p), 6);
}

TEST(ClientTest, EphemeralsVanishWithTheSession) {
  auto p = UniquePath("eph");
  {
    Client c(Options());
    c.Create(p, "", CreateMode::kEphemeral);
  }
  Client c2(Options());
  EXPECT_FALSE(c2.Exists(p).has_value());
}

TEST(ClientTest, ChildrenWithStat) {
  Client c(Options());
  auto p = UniquePath("children");
  c.Create(p);
  for (auto n : {"b", "a", "c"}) c.Create(p + "/" + n);
  auto r = c.GetChildrenWithStat(p);
  std::sort(r.children.begin(), r.children.end());
  EXPECT_EQ(r.children, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(r.stat.num_children, 3);
}

TEST(ClientTest, AclsAndDigestAuth) {
  auto p = UniquePath("acl");
  ClientOptions o = Options();
  o.auth = {{"digest", "alice:secret"}};
  Client alice(o);
  alice.Create(p, "private", CreateMode::kPersistent, CreatorAllAcl());
  auto acl = alice.GetAcl(p);
  ASSERT_EQ(acl.acl.size(), 1u);
  EXPECT_EQ(acl.acl[0].id.scheme, "digest");
  EXPECT_EQ(acl.acl[0].id.id.rfind("alice:", 0), 0u);
  Client other(Options());
  EXPECT_EQ(CodeOf([&] { other.GetData(p); }), Error::kNoAuth);
  other.AddAuth("digest", "alice:secret");
  EXPECT_EQ(other.GetData(p).data, "private");
  auto who = other.WhoAmI();
  bool found = false;
  for (auto& w : who) found |= w.auth_scheme == "digest" && w.user == "alice";
  EXPECT_TRUE(found);
  Stat s = alice.SetAcl(p, OpenAclUnsafe(), 0);
  EXPECT_EQ(s.aversion, 1);
}

TEST(ClientTest, AuthIsResentAfterReconnect) {
  auto p = UniquePath("reauth");
  ClientOptions o = Options();
  Client c(o);
  c.AddAuth("digest", "bob:pw");
  c.Create(p, "x", CreateMode::kPersistent, CreatorAllAcl());
  c.DropConnection();
  ASSERT_TRUE(c.WaitConnected(10s));
  std::this_thread::sleep_for(100ms);
  std::string data;
  for (int i = 0; i < 50; ++i) {  // the first call may race the reconnect
    try {
      data = c.GetData(p).data;
      break;
    } catch (const KeeperException& e) {
      ASSERT_EQ(e.code(), Error::kConnectionLoss);
      std::this_thread::sleep_for(50ms);
    }
  }
  EXPECT_EQ(data, "x");
}

TEST(ClientTest, TransactionCommitsAtomically) {
  Client c(Options());
  auto p = UniquePath("multi");
  c.Create(p);
  auto results = c.Commit(Transaction()
                              .Create(p + "/a", "1")
                              .Create(p + "/s-", "", CreateMode::kPersistentSequential)
                              .SetData(p, "top", 0)
                              .Check(p + "/a", 0));
  ASSERT_EQ(results.size(), 4u);
  EXPECT_EQ(results[0].path, p + "/a");
  EXPECT_EQ(results[1].path, p + "/s-0000000001");
  EXPECT_EQ(results[2].stat.version, 1);
  try {
    c.Commit(Transaction().Create(p + "/b", "").Delete(p + "/missing").Create(p + "/c", ""));
    FAIL() << "expected TransactionFailed";
  } catch (const TransactionFailed& e) {
    EXPECT_EQ(e.code(), Error::kNoNode);
    EXPECT_EQ(e.failed_index(), 1);
    ASSERT_EQ(e.results().size(), 3u);
  }
  EXPECT_FALSE(c.Exists(p + "/b").has_value());
}

TEST(ClientTest, MultiReadReportsEachRead) {
  Client c(Options());
  auto p = UniquePath("multiread");
  c.Create(p, "d");
  c.Create(p + "/x");
  auto r = c.MultiRead(ReadBatch().GetData(p).GetChildren(p).GetData(p + "/missing"));
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].data, "d");
  EXPECT_EQ(r[1].children, std::vector<std::string>{"x"});
  EXPECT_EQ(r[2].error, Error::kNoNode);
}

TEST(ClientTest, SyncAndChroot) {
  Inbox<WatchEvent> events;
  Client root(Options());
  auto p = UniquePath("chroot");
  root.Create(p);
  ClientOptions o = Options();
  o.connect_string += p;
  Client c(o);
  c.Sync("/");
  EXPECT_EQ(c.Create("/inside", "1"), "/inside");
  EXPECT_EQ(root.GetData(p + "/inside").data, "1");
  EXPECT_EQ(c.Create("/s-", "", CreateMode::kPersistentSequential), "/s-0000000001");
  c.GetData("/inside", [&](const WatchEvent& e) { events.Push(e); });
  root.SetData(p + "/inside", "2");
  auto e = events.Pop();
  ASSERT_TRUE(e);
  EXPECT_EQ(e->path, "/inside");
  c.Create("/eph", "", CreateMode::kEphemeral);
  EXPECT_EQ(c.GetEphemerals("/"), std::vector<std::string>{"/eph"});
}

TEST(ClientTest, AsyncCallbacksRunInOrderOffTheIoThread) {
  Client c(Options());
  auto p = UniquePath("async");
  std::promise<void> done;
  std::vector<int> order;
  std::thread::id cb_thread;
  c.CreateAsync(p, "a", CreateMode::kPersistent, OpenAclUnsafe(), -1,
                [&](Result<CreateResult> r) {
                  EXPECT_TRUE(r.ok());
                  order.push_back(1);
                  cb_thread = std::this_thread::get_id();
                });
  c.GetDataAsync(p, {}, [&](Result<DataResult> r) {
    // A pipelined read must see the session's earlier write (ZooKeeper's FIFO order).
    EXPECT_EQ(r.error(), Error::kOk);
    if (r.ok()) {
      EXPECT_EQ(r.value().data, "a");
    }
    order.push_back(2);
  });
  c.DeleteAsync(p + "/none", -1, [&](Result<void> r) {
    EXPECT_EQ(r.error(), Error::kNoNode);
    order.push_back(3);
    done.set_value();
  });
  ASSERT_EQ(done.get_future().wait_for(10s), std::future_status::ready);
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
  EXPECT_NE(cb_thread, std::this_thread::get_id());
}

TEST(ClientTest, BlockingCallsWorkInsideCallbacks) {
  Client c(Options());
  auto p = UniquePath("nested");
  c.Create(p, "v");
  std::promise<std::string> got;
  c.ExistsAsync(p, {}, [&](Result<std::optional<Stat>>) { got.set_value(c.GetData(p).data); });
  auto f = got.get_future();
  ASSERT_EQ(f.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(f.get(), "v");
}

TEST(ClientTest, UserExecutorReceivesCallbacks) {
  std::atomic<int> posted{0};
  ClientOptions o = Options();
  auto queue = std::make_shared<Inbox<std::function<void()>>>();
  o.executor = [&posted, queue](std::function<void()> f) {
    posted++;
    queue->Push(std::move(f));
  };
  Client c(o);
  std::atomic<bool> ran{false};
  c.SyncAsync("/", [&](Result<void> r) { ran = r.ok(); });
  // Run the executor's tasks on this thread until the callback has run.
  for (int i = 0; i < 10 && !ran; ++i)
    if (auto f = queue->Pop(2s)) (*f)();
  EXPECT_TRUE(ran);
  EXPECT_GT(posted.load(), 0);
}

// ------------------------------------------------------------------ watches

TEST(WatchTest, DataWatchFiresOnce) {
  Inbox<WatchEvent> events;
  Client c(Options());
  auto p = UniquePath("wdata");
  c.Create(p, "0");
  c.GetData(p, [&](const WatchEvent& e) { events.Push(e); });
  c.SetData(p, "1");
  c.SetData(p, "2");
  auto e = events.Pop();
  ASSERT_TRUE(e);
  EXPECT_EQ(e->type, EventType::kNodeDataChanged);
  EXPECT_EQ(e->path, p);
  EXPECT_FALSE(events.Pop(300ms));  // one-shot
}

TEST(WatchTest, ExistsWatchSeesCreationAndChildWatchSeesChildren) {
  Inbox<WatchEvent> events;
  Client c(Options());
  auto p = UniquePath("wexists");
  EXPECT_FALSE(c.Exists(p, [&](const WatchEvent& e) { events.Push(e); }));
  c.Create(p);
  auto e = events.Pop();
  ASSERT_TRUE(e);
  EXPECT_EQ(e->type, EventType::kNodeCreated);
  c.GetChildren(p, [&](const WatchEvent& e) { events.Push(e); });
  c.Create(p + "/kid");
  e = events.Pop();
  ASSERT_TRUE(e);
  EXPECT_EQ(e->type, EventType::kNodeChildrenChanged);
  c.GetData(p, [&](const WatchEvent& e) { events.Push(e); });
  c.Delete(p + "/kid");
  c.Delete(p);
  e = events.Pop();
  ASSERT_TRUE(e);
  EXPECT_EQ(e->type, EventType::kNodeDeleted);
}

TEST(WatchTest, WatchEventPrecedesTheReplyThatSawTheChange) {
  Client watcher(Options());
  Client writer(Options());
  auto p = UniquePath("worder");
  writer.Create(p, "0");
  std::mutex mu;
  std::vector<std::string> seen;
  watcher.GetData(p, [&](const WatchEvent&) {
    std::lock_guard l(mu);
    seen.push_back("event");
  });
  writer.SetData(p, "1");
  std::promise<void> done;
  watcher.GetDataAsync(p, {}, [&](Result<DataResult> r) {
    std::lock_guard l(mu);
    seen.push_back("read " + r.value().data);
    done.set_value();
  });
  ASSERT_EQ(done.get_future().wait_for(10s), std::future_status::ready);
  std::lock_guard l(mu);
  EXPECT_EQ(seen, (std::vector<std::string>{"event", "read 1"}));
}

TEST(WatchTest, PersistentAndRecursiveWatches) {
  Inbox<WatchEvent> persistent, recursive;
  Client c(Options());
  // Separate nodes: the server keeps one watch mode per (path, session), so a recursive watch
  // added on the same path would replace the persistent one.
  auto p = UniquePath("wpersist");
  auto q = UniquePath("wrecursive");
  c.Create(p);
  c.Create(q);
  c.AddWatch(p, AddWatchMode::kPersistent, [&](const WatchEvent& e) { persistent.Push(e); });
  c.AddWatch(q, AddWatchMode::kPersistentRecursive,
             [&](const WatchEvent& e) { recursive.Push(e); });
  c.SetData(p, "1");
  c.SetData(p, "2");
  c.Create(p + "/a");
  c.SetData(q, "1");
  c.Create(q + "/a");
  c.Create(q + "/a/b");
  for (int i = 0; i < 2; ++i) EXPECT_EQ(persistent.Pop()->type, EventType::kNodeDataChanged);
  EXPECT_EQ(persistent.Pop()->type, EventType::kNodeChildrenChanged);
  EXPECT_EQ(recursive.Pop()->type, EventType::kNodeDataChanged);
  EXPECT_EQ(recursive.Pop()->path, q + "/a");
  EXPECT_EQ(recursive.Pop()->path, q + "/a/b");
  // kAny: ZooKeeper 3.8's server accepts only Children/Data/Any here.
  c.CheckWatches(p, WatcherType::kAny);
  c.RemoveWatches(p, WatcherType::kAny);
  auto removed = persistent.Pop();
  ASSERT_TRUE(removed);
  EXPECT_EQ(removed->type, EventType::kPersistentWatchRemoved);
  c.SetData(p, "3");
  c.SetData(q + "/a/b", "x");
  EXPECT_EQ(recursive.Pop()->type, EventType::kNodeDataChanged);
  EXPECT_FALSE(persistent.Pop(300ms));
  EXPECT_EQ(CodeOf([&] { c.CheckWatches(p, WatcherType::kAny); }), Error::kNoWatcher);
}

TEST(WatchTest, RemoveDataWatch) {
  Inbox<WatchEvent> events;
  Client c(Options());
  auto p = UniquePath("wremove");
  c.Create(p);
  c.GetData(p, [&](const WatchEvent& e) { events.Push(e); });
  c.RemoveWatches(p, WatcherType::kData);
  EXPECT_EQ(events.Pop()->type, EventType::kDataWatchRemoved);
  c.SetData(p, "x");
  EXPECT_FALSE(events.Pop(300ms));
  EXPECT_EQ(CodeOf([&] { c.RemoveWatches(p, WatcherType::kData); }), Error::kNoWatcher);
}

TEST(WatchTest, WatchesSurviveReconnect) {
  // Declared before the clients: a client's destructor still delivers its final callbacks.
  Inbox<WatchEvent> events;
  Inbox<SessionState> states;
  Client c(Options());
  Client writer(Options());
  auto p = UniquePath("wreconnect");
  c.Create(p, "0");
  c.GetData(p, [&](const WatchEvent& e) { events.Push(e); });
  c.AddWatch(p, AddWatchMode::kPersistent, [&](const WatchEvent& e) { events.Push(e); });
  int64_t session = c.session_id();
  c.AddSessionListener([&](SessionState s) { states.Push(s); });
  c.SimulatePartition(500ms);
  EXPECT_EQ(states.Pop(), SessionState::kSuspended);
  writer.SetData(p, "1");  // while c is offline: setWatches must catch it (relativeZxid)
  EXPECT_EQ(states.Pop(), SessionState::kReconnected);
  EXPECT_EQ(c.session_id(), session);
  EXPECT_EQ(events.Pop()->type, EventType::kNodeDataChanged);
  EXPECT_EQ(events.Pop()->type, EventType::kNodeDataChanged);
  writer.SetData(p, "2");
  EXPECT_EQ(events.Pop()->type, EventType::kNodeDataChanged);  // persistent only
  EXPECT_FALSE(events.Pop(300ms));
}

// ------------------------------------------------------------------ sessions and faults

TEST(SessionTest, InFlightCallFailsWithConnectionLoss) {
  auto p = UniquePath("inflight");
  ClientOptions o = Options();
  std::atomic<bool> armed{true};
  o.drop_after_send = [&](int32_t, const std::string& path) {
    return path == p && armed.exchange(false);
  };
  Client c(o);
  EXPECT_EQ(CodeOf([&] { c.Create(p); }), Error::kConnectionLoss);
  ASSERT_TRUE(c.WaitConnected(10s));
  // The create reached the server before the connection dropped: a retry sees NodeExists.
  for (int i = 0; i < 100 && !c.Exists(p); ++i) std::this_thread::sleep_for(20ms);
  EXPECT_TRUE(c.Exists(p).has_value());
}

TEST(SessionTest, CallsMadeWhileDisconnectedWaitForTheConnection) {
  Client c(Options());
  c.SimulatePartition(500ms);
  std::this_thread::sleep_for(100ms);
  auto p = UniquePath("queued");
  EXPECT_EQ(c.Create(p), p);  // queued, then sent after the reconnect
}

TEST(SessionTest, ExpiryIsReportedAndANewSessionStarts) {
  // Declared before the client: its destructor still delivers its final callbacks.
  Inbox<SessionState> states;
  Inbox<WatchEvent> events;
  Client c(Options(1500ms));
  c.AddSessionListener([&](SessionState s) { states.Push(s); });
  auto p = UniquePath("expiry");
  c.Create(p, "", CreateMode::kEphemeral);
  c.GetData(p, [&](const WatchEvent& e) { events.Push(e); });
  int64_t old = c.session_id();
  c.SimulatePartition(4000ms);
  EXPECT_EQ(states.Pop(), SessionState::kSuspended);
  EXPECT_EQ(states.Pop(), SessionState::kExpired);
  auto e = events.Pop();
  ASSERT_TRUE(e);
  EXPECT_EQ(e->state, KeeperState::kExpired);
  EXPECT_EQ(states.Pop(15s), SessionState::kConnected);
  EXPECT_NE(c.session_id(), old);
  EXPECT_FALSE(c.Exists(p).has_value());  // the ephemeral died with the old session
}

TEST(SessionTest, ResumingAnotherClientsSession) {
  Client a(Options());
  auto p = UniquePath("resume");
  a.Create(p, "", CreateMode::kEphemeral);
  a.SimulatePartition(3000ms);  // or `a` would take its session back when b takes it
  ClientOptions o = Options();
  o.session_id = a.session_id();
  o.session_password = a.session_password();
  Client b(o);
  EXPECT_EQ(b.session_id(), a.session_id());
  auto eph = b.GetEphemerals("/");
  EXPECT_NE(std::find(eph.begin(), eph.end(), p), eph.end());
}

TEST(SessionTest, NoRenewalLeavesTheClientExpired) {
  ClientOptions o = Options(1500ms);
  o.renew_session_on_expiry = false;
  Client c(o);
  c.SimulatePartition(4000ms);
  for (int i = 0; i < 200 && c.state() != SessionState::kExpired; ++i)
    std::this_thread::sleep_for(50ms);
  EXPECT_EQ(c.state(), SessionState::kExpired);
  EXPECT_EQ(CodeOf([&] { c.Exists("/"); }), Error::kSessionExpired);
}

// Runs last in this binary (it restarts the shared server).
TEST(ZRestartTest, ClientSurvivesServerRestart) {
  Inbox<SessionState> states;  // before the client, which calls back until it is destroyed
  Client c(Options(2000ms));
  c.AddSessionListener([&](SessionState s) { states.Push(s); });
  c.Create(UniquePath("restart"));
  Server().Stop();
  EXPECT_EQ(states.Pop(), SessionState::kSuspended);
  std::this_thread::sleep_for(500ms);
  Server().Start();
  // ZooKeeper keeps the session on disk (kReconnected); in-memory caucusd lost it, so the
  // client declares it expired after the session timeout and opens a new one.
  auto s = states.Pop(30s);
  ASSERT_TRUE(s);
  if (*s == SessionState::kExpired) s = states.Pop(30s);
  ASSERT_TRUE(s);
  EXPECT_TRUE(*s == SessionState::kReconnected || *s == SessionState::kConnected);
  ASSERT_TRUE(c.WaitConnected(10s));
  c.Create(UniquePath("after-restart"));
}

}  // namespace
}  // namespace caucus
