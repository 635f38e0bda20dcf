#include "server/net/peer_transport.h"

#include <gtest/gtest.h>

#include <utility>  // must precede Asio: Boost 1.74 awaitable.hpp lacks it under C++20

#include <boost/asio.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "server/zab/wire_codec.h"

namespace caucus::net {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
using zab::ChannelId;
using zab::Message;
using zab::Notification;
using zab::ServerId;

struct Received {
  ServerId from;
  ChannelId channel;
  Message message;
};

class Recorder : public PeerTransport::Handler {
 public:
  void OnNotification(ServerId from, const Notification& n) override {
    votes.emplace_back(from, n);
  }
  void OnMessage(ServerId from, ChannelId channel, Message m) override {
    messages.push_back({from, channel, std::move(m)});
  }
  void OnChannelClosed(ChannelId channel) override { closed.push_back(channel); }

  std::vector<std::pair<ServerId, Notification>> votes;
  std::vector<Received> messages;
  std::vector<ChannelId> closed;
};

std::string Frame(std::string_view payload) {
  size_t n = payload.size();
  std::string f = {static_cast<char>(n >> 24), static_cast<char>(n >> 16),
                   static_cast<char>(n >> 8), static_cast<char>(n)};
  return f.append(payload);
}

Notification VoteFor(ServerId leader, int64_t round) {
  return Notification{zab::Vote{leader, 100 + round, 1}, round, zab::PeerState::kLooking};
}

class PeerTransportTest : public ::testing::Test {
 protected:
  struct Server {
    PeerAddress addr;
    Recorder rec;
    std::unique_ptr<PeerTransport> transport;
  };

  // Addresses for `n` servers on free loopback ports: all 2n are bound at once, so they are
  // distinct, then released for the transports to take.
  void MakeAddresses(int n) {
    std::vector<std::unique_ptr<tcp::acceptor>> holders;
    auto free_port = [&] {
      holders.push_back(std::make_unique<tcp::acceptor>(
          io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)));
      return static_cast<int>(holders.back()->local_endpoint().port());
    };
    for (int i = 1; i <= n; ++i) {
      auto s = std::make_unique<Server>();
      s->addr = PeerAddress{i, "127.0.0.1", free_port(), free_port()};
      servers_.push_back(std::move(s));
    }
  }

  // Creates the transport of server `id` (1-based) with every other server as a peer.
  Server& Create(ServerId id) {
    Server& s = *servers_[static_cast<size_t>(id - 1)];
    std::vector<PeerAddress> peers;
    for (auto& o : servers_) {
      if (o->addr.id != id) peers.push_back(o->addr);
    }
    s.transport = std::make_unique<PeerTransport>(io_, s.addr, peers, s.rec);
    return s;
  }

  Server& Start(ServerId id) {
    Server& s = Create(id);
    EXPECT_EQ(s.transport->Start(), "");
    return s;
  }

  Server& At(ServerId id) { return *servers_[static_cast<size_t>(id - 1)]; }
  PeerTransport& T(ServerId id) { return *At(id).transport; }

  // Runs the io_context until `done` holds; false when `limit` passes first.
  bool RunUntil(const std::function<bool()>& done, std::chrono::milliseconds limit = 5s) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      if (io_.stopped()) io_.restart();
      io_.run_for(5ms);
    }
    return true;
  }
  void RunFor(std::chrono::milliseconds d) {
    RunUntil([] { return false; }, d);
  }

  // Opens channel `ch` from server `from` to server `to` and waits until `to` has seen it.
  void OpenAndConfirm(ServerId from, ServerId to, ChannelId ch) {
    T(from).Open(ch, to);
    T(from).Send(ch, zab::Ping{0});
    size_t before = At(to).rec.messages.size();
    ASSERT_TRUE(RunUntil([&] { return At(to).rec.messages.size() > before; }));
  }

  asio::io_context io_;  // first: outlives the transports
  std::vector<std::unique_ptr<Server>> servers_;
};

TEST_F(PeerTransportTest, VotesAreDeliveredBetweenThreeServers) {
  MakeAddresses(3);
  for (ServerId id = 1; id <= 3; ++id) Start(id);
  for (ServerId from = 1; from <= 3; ++from) {
    for (ServerId to = 1; to <= 3; ++to) {
      if (from != to) T(from).SendVote(to, VoteFor(from, 1));
    }
  }
  ASSERT_TRUE(RunUntil([&] {
    return At(1).rec.votes.size() == 2 && At(2).rec.votes.size() == 2 &&
           At(3).rec.votes.size() == 2;
  }));
  for (ServerId id = 1; id <= 3; ++id) {
    for (auto& [from, n] : At(id).rec.votes) {
      EXPECT_NE(from, id);
      EXPECT_EQ(n, VoteFor(from, 1));
    }
  }
  // Once connected, every vote goes through, in order.
  T(1).SendVote(2, VoteFor(1, 2));
  T(1).SendVote(2, VoteFor(1, 3));
  ASSERT_TRUE(RunUntil([&] { return At(2).rec.votes.size() == 4; }));
  EXPECT_EQ(At(2).rec.votes[2].second, VoteFor(1, 2));
  EXPECT_EQ(At(2).rec.votes[3].second, VoteFor(1, 3));
}

TEST_F(PeerTransportTest, OnlyTheLatestVoteWaitsForTheConnection) {
  MakeAddresses(2);
  Start(1);
  Start(2);
  T(1).SendVote(2, VoteFor(1, 1));
  T(1).SendVote(2, VoteFor(1, 2));  // supersedes the first before the connection is up
  ASSERT_TRUE(RunUntil([&] { return !At(2).rec.votes.empty(); }));
  RunFor(100ms);
  ASSERT_EQ(At(2).rec.votes.size(), 1u);
  EXPECT_EQ(At(2).rec.votes[0], std::make_pair(ServerId{1}, VoteFor(1, 2)));
}

TEST_F(PeerTransportTest, VotesReachAPeerThatStartsLater) {
  MakeAddresses(2);
  Start(1);
  Create(2);  // not listening yet
  T(1).SendVote(2, VoteFor(1, 1));
  RunFor(50ms);
  ASSERT_EQ(T(2).Start(), "");
  // As a LOOKING peer does: repeat the vote until it gets through.
  int64_t round = 1;
  ASSERT_TRUE(RunUntil([&] {
    T(1).SendVote(2, VoteFor(1, ++round));
    return !At(2).rec.votes.empty();
  }));
  EXPECT_EQ(At(2).rec.votes[0].first, 1);
}

TEST_F(PeerTransportTest, ChannelCarriesMessagesInOrderBothWays) {
  MakeAddresses(2);
  Start(1);
  Start(2);
  constexpr ChannelId kCh = 0xabc0000000000001ull;
  T(1).Open(kCh, 2);
  // Queued before the connection is up; must arrive after the hello, in order.
  T(1).Send(kCh, zab::FollowerInfo{zab::Epochs{1, 1}, 10, 10, 0, false});
  for (int64_t z = 1; z <= 200; ++z) T(1).Send(kCh, zab::Ack{z});
  ASSERT_TRUE(RunUntil([&] { return At(2).rec.messages.size() == 201; }));
  for (size_t i = 0; i < 201; ++i) {
    const Received& r = At(2).rec.messages[i];
    EXPECT_EQ(r.from, 1);
    EXPECT_EQ(r.channel, kCh);
    if (i == 0) {
      EXPECT_TRUE(std::holds_alternative<zab::FollowerInfo>(r.message));
    } else {
      ASSERT_TRUE(std::holds_alternative<zab::Ack>(r.message));
      EXPECT_EQ(std::get<zab::Ack>(r.message).zxid, static_cast<int64_t>(i));
    }
  }
  // The accepting side answers on the same channel, including a frame far larger than a read.
  auto snapshot = std::make_shared<const std::string>(6 * 1024 * 1024, 's');
  T(2).Send(kCh, zab::LeaderInfo{2});
  T(2).Send(kCh, zab::Sync{zab::SyncKind::kSnap, 0, 10, snapshot, {}});
  T(2).Send(kCh, zab::UpToDate{10});
  ASSERT_TRUE(RunUntil([&] { return At(1).rec.messages.size() == 3; }));
  const auto& got = At(1).rec.messages;
  for (const Received& r : got) {
    EXPECT_EQ(r.from, 2);
    EXPECT_EQ(r.channel, kCh);
  }
  EXPECT_TRUE(std::holds_alternative<zab::LeaderInfo>(got[0].message));
  ASSERT_TRUE(std::holds_alternative<zab::Sync>(got[1].message));
  ASSERT_NE(std::get<zab::Sync>(got[1].message).snapshot, nullptr);
  EXPECT_EQ(*std::get<zab::Sync>(got[1].message).snapshot, *snapshot);
  EXPECT_TRUE(std::holds_alternative<zab::UpToDate>(got[2].message));
  EXPECT_TRUE(At(1).rec.closed.empty());
  EXPECT_TRUE(At(2).rec.closed.empty());
}

TEST_F(PeerTransportTest, RemoteStopIsReportedOnce) {
  MakeAddresses(2);
  Start(1);
  Start(2);
  OpenAndConfirm(1, 2, 7);
  T(2).Stop();
  ASSERT_TRUE(RunUntil([&] { return !At(1).rec.closed.empty(); }));
  T(1).Send(7, zab::Ping{0});  // dropped: the channel is gone
  RunFor(100ms);
  EXPECT_EQ(At(1).rec.closed, std::vector<ChannelId>{7});
  EXPECT_TRUE(At(2).rec.closed.empty());  // Stop() tells no one
}

TEST_F(PeerTransportTest, LocalCloseIsReportedOnlyToTheOtherEnd) {
  MakeAddresses(2);
  Start(1);
  Start(2);
  OpenAndConfirm(1, 2, 8);
  T(1).Close(8);
  ASSERT_TRUE(RunUntil([&] { return !At(2).rec.closed.empty(); }));
  RunFor(50ms);
  EXPECT_EQ(At(2).rec.closed, std::vector<ChannelId>{8});
  EXPECT_TRUE(At(1).rec.closed.empty());
}

TEST_F(PeerTransportTest, ConnectingToADeadPortReportsTheChannelClosed) {
  MakeAddresses(2);
  Start(1);  // server 2 never listens
  T(1).Open(9, 2);
  T(1).Send(9, zab::Ping{0});
  ASSERT_TRUE(RunUntil([&] { return !At(1).rec.closed.empty(); }));
  RunFor(50ms);
  EXPECT_EQ(At(1).rec.closed, std::vector<ChannelId>{9});
}

TEST_F(PeerTransportTest, OpeningToAnUnknownServerIsReportedLater) {
  MakeAddresses(1);
  Start(1);
  T(1).Open(10, 42);
  EXPECT_TRUE(At(1).rec.closed.empty());  // never from inside the caller's call
  ASSERT_TRUE(RunUntil([&] { return !At(1).rec.closed.empty(); }));
  EXPECT_EQ(At(1).rec.closed, std::vector<ChannelId>{10});
}

// Connects a raw socket to `port`, writes `bytes`, and reports whether the server closed it.
bool ServerClosesAfter(asio::io_context& io, int port, const std::string& bytes,
                       const std::function<bool(const std::function<bool()>&)>& run_until) {
  tcp::socket raw(io);
  raw.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(port)));
  asio::write(raw, asio::buffer(bytes));
  bool closed = false;
  char byte;
  raw.async_read_some(asio::buffer(&byte, 1), [&](boost::system::error_code ec, size_t) {
    closed = ec == asio::error::eof || ec == asio::error::connection_reset;
  });
  bool ok = run_until([&] { return closed; });
  boost::system::error_code ec;
  raw.close(ec);
  return ok;
}

TEST_F(PeerTransportTest, AMalformedFrameClosesOnlyThatConnection) {
  MakeAddresses(2);
  Start(1);
  Start(2);
  OpenAndConfirm(1, 2, 11);
  T(1).SendVote(2, VoteFor(1, 1));
  ASSERT_TRUE(RunUntil([&] { return At(2).rec.votes.size() == 1; }));
  auto run = [this](const std::function<bool()>& done) { return RunUntil(done); };
  const int quorum = At(2).addr.quorum_port;
  const int election = At(2).addr.election_port;

  // A registered channel whose next frame is garbage: closed and reported, once.
  std::string hello = Frame(zab::EncodeHello({1, 12}));
  EXPECT_TRUE(ServerClosesAfter(io_, quorum, hello + Frame("\xff\xff\xff\xff"), run));
  RunFor(20ms);
  EXPECT_EQ(At(2).rec.closed, std::vector<ChannelId>{12});
  // A hello that is not one; a length over the hello limit; an unknown server.
  EXPECT_TRUE(ServerClosesAfter(io_, quorum, Frame("garbage"), run));
  EXPECT_TRUE(ServerClosesAfter(io_, quorum, std::string("\x00\x10\x00\x00", 4), run));
  EXPECT_TRUE(ServerClosesAfter(io_, quorum, Frame(zab::EncodeHello({99, 13})), run));
  // The same on the election port, and a bad notification after a good hello.
  EXPECT_TRUE(ServerClosesAfter(io_, election, std::string("\x7f\xff\xff\xff", 4), run));
  EXPECT_TRUE(ServerClosesAfter(
      io_, election, Frame(zab::EncodeElectionHello(1)) + Frame(std::string(10, '\xff')), run));
  // A duplicate of a live channel id is refused without disturbing the live one.
  EXPECT_TRUE(ServerClosesAfter(io_, quorum, Frame(zab::EncodeHello({1, 11})), run));
  RunFor(20ms);
  EXPECT_EQ(At(2).rec.closed, std::vector<ChannelId>{12});
  EXPECT_TRUE(At(1).rec.closed.empty());

  // The good connections are untouched.
  size_t before = At(2).rec.messages.size();
  T(1).Send(11, zab::Ack{5});
  T(1).SendVote(2, VoteFor(1, 2));
  ASSERT_TRUE(RunUntil([&] {
    return At(2).rec.messages.size() == before + 1 && At(2).rec.votes.size() == 2;
  }));
  T(2).Send(11, zab::Commit{5});
  ASSERT_TRUE(RunUntil([&] { return At(1).rec.messages.size() == 1; }));
}

TEST_F(PeerTransportTest, StopThenDestroyWithTrafficInFlight) {
  MakeAddresses(2);
  Start(1);
  Start(2);
  OpenAndConfirm(1, 2, 14);
  for (int i = 0; i < 100; ++i) T(1).Send(14, zab::AppData{std::string(10000, 'a')});
  T(1).SendVote(2, VoteFor(1, 1));
  At(1).transport.reset();  // destroyed with writes pending; their handlers must be harmless
  RunFor(50ms);
  ASSERT_TRUE(RunUntil([&] { return !At(2).rec.closed.empty(); }));
  EXPECT_EQ(At(2).rec.closed, std::vector<ChannelId>{14});
}

}  // namespace
}  // namespace caucus::net
