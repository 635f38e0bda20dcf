#include "server/zab/wire_codec.h"

#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace caucus::zab {
namespace {

std::shared_ptr<const std::string> Bytes(std::string s) {
  return std::make_shared<const std::string>(std::move(s));
}

// Null and empty data are different values and must stay so.
void ExpectSameData(const std::shared_ptr<const std::string>& a,
                    const std::shared_ptr<const std::string>& b) {
  ASSERT_EQ(a == nullptr, b == nullptr);
  if (a) {
    EXPECT_EQ(*a, *b);
  }
}

void ExpectSameEntry(const Entry& a, const Entry& b) {
  EXPECT_EQ(a.zxid, b.zxid);
  ExpectSameData(a.data, b.data);
}

// Field-by-field equality per alternative (message.h gives the structs no operator==).
void ExpectSame(const FollowerInfo& a, const FollowerInfo& b) {
  EXPECT_EQ(a.epochs, b.epochs);
  EXPECT_EQ(a.last_zxid, b.last_zxid);
  EXPECT_EQ(a.applied_zxid, b.applied_zxid);
  EXPECT_EQ(a.log_base, b.log_base);
  EXPECT_EQ(a.observer, b.observer);
}
void ExpectSame(const AckEpoch& a, const AckEpoch& b) {
  EXPECT_EQ(a.current_epoch, b.current_epoch);
  EXPECT_EQ(a.last_zxid, b.last_zxid);
}
void ExpectSame(const AckNewLeader& a, const AckNewLeader& b) { EXPECT_EQ(a.zxid, b.zxid); }
void ExpectSame(const Ack& a, const Ack& b) { EXPECT_EQ(a.zxid, b.zxid); }
void ExpectSame(const LeaderInfo& a, const LeaderInfo& b) { EXPECT_EQ(a.epoch, b.epoch); }
void ExpectSame(const Sync& a, const Sync& b) {
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.trunc_zxid, b.trunc_zxid);
  EXPECT_EQ(a.snap_zxid, b.snap_zxid);
  ExpectSameData(a.snapshot, b.snapshot);
  ASSERT_EQ(a.entries.size(), b.entries.size());
  for (size_t i = 0; i < a.entries.size(); ++i) ExpectSameEntry(a.entries[i], b.entries[i]);
}
void ExpectSame(const NewLeader& a, const NewLeader& b) {
  EXPECT_EQ(a.epoch, b.epoch);
  EXPECT_EQ(a.zxid, b.zxid);
}
void ExpectSame(const UpToDate& a, const UpToDate& b) { EXPECT_EQ(a.committed, b.committed); }
void ExpectSame(const Proposal& a, const Proposal& b) { ExpectSameEntry(a.entry, b.entry); }
void ExpectSame(const Commit& a, const Commit& b) { EXPECT_EQ(a.zxid, b.zxid); }
void ExpectSame(const Ping& a, const Ping& b) { EXPECT_EQ(a.committed, b.committed); }
void ExpectSame(const AppData& a, const AppData& b) { EXPECT_EQ(a.payload, b.payload); }
void ExpectSame(const ReadProbe& a, const ReadProbe& b) { EXPECT_EQ(a.round, b.round); }
void ExpectSame(const ReadProbeReply& a, const ReadProbeReply& b) {
  EXPECT_EQ(a.round, b.round);
  EXPECT_EQ(a.persisted, b.persisted);
  EXPECT_EQ(a.epochs, b.epochs);
  EXPECT_EQ(a.committed, b.committed);
  EXPECT_EQ(a.leader, b.leader);
}

void ExpectRoundTrip(const Message& m) {
  SCOPED_TRACE(MessageName(m));
  std::string bytes = EncodeMessage(m);
  std::optional<Message> back = DecodeMessage(bytes);
  ASSERT_TRUE(back.has_value());
  ASSERT_EQ(back->index(), m.index());
  std::visit(
      [&](const auto& want) { ExpectSame(want, std::get<std::decay_t<decltype(want)>>(*back)); },
      m);
  EXPECT_EQ(EncodeMessage(*back), bytes);  // canonical: re-encoding gives the same bytes
}

std::vector<Message> EveryKind() {
  const int64_t big = (int64_t{0x7fffffff} << 32) | 0xffffffff;
  return {
      FollowerInfo{Epochs{3, 2}, big, big - 1, 17, true},
      AckEpoch{5, -1},
      AckNewLeader{(int64_t{4} << 32) | 9},
      Ack{42},
      LeaderInfo{7},
      Sync{SyncKind::kDiff, 0, 0, nullptr,
           {Entry{1, Bytes("a")}, Entry{2, Bytes("")}, Entry{3, nullptr}}},
      Sync{SyncKind::kTrunc, 99, 0, nullptr, {}},
      Sync{SyncKind::kSnap, 0, 1234, Bytes(std::string("snap\0shot", 9)),
           {Entry{1235, Bytes("x")}}},
      Sync{SyncKind::kSnap, 0, 1, Bytes(""), {}},
      NewLeader{8, big},
      UpToDate{77},
      Proposal{Entry{(int64_t{2} << 32) | 1, Bytes(std::string(100000, 'p'))}},
      Proposal{Entry{5, nullptr}},
      Commit{123},
      Ping{0},
      Ping{456},
      AppData{std::string("\x00\x01\xff", 3)},
      AppData{""},
      ReadProbe{0},
      ReadProbe{~uint64_t{0}},
      ReadProbeReply{9, big, Epochs{4, 3}, big - 5},
      ReadProbeReply{10, big, Epochs{4, 4}, big - 2, true},
  };
}

TEST(WireCodec, EveryMessageKindRoundTrips) {
  std::vector<Message> all = EveryKind();
  std::vector<bool> seen(std::variant_size_v<Message>, false);
  for (const Message& m : all) {
    seen[m.index()] = true;
    ExpectRoundTrip(m);
  }
  for (size_t i = 0; i < seen.size(); ++i) EXPECT_TRUE(seen[i]) << "kind " << i << " untested";
}

template <size_t... I>
std::vector<Message> DefaultsOf(std::index_sequence<I...>) {
  return {Message(std::in_place_index<I>)...};
}

TEST(WireCodec, DefaultMessagesRoundTrip) {
  // All-default fields encode to (almost) nothing; the oneof case must still come through.
  for (const Message& m : DefaultsOf(std::make_index_sequence<std::variant_size_v<Message>>{})) {
    ExpectRoundTrip(m);
  }
}

TEST(WireCodec, NotificationRoundTrips) {
  for (PeerState s : {PeerState::kLooking, PeerState::kFollowing, PeerState::kLeading,
                      PeerState::kObserving}) {
    Notification n{Vote{3, (int64_t{5} << 32) | 8, 5}, 12, s};
    auto back = DecodeNotification(EncodeNotification(n));
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(*back, n);
  }
  auto zero = DecodeNotification(EncodeNotification(Notification{}));
  ASSERT_TRUE(zero.has_value());
  EXPECT_EQ(*zero, Notification{});
}

TEST(WireCodec, HellosRoundTrip) {
  auto h = DecodeHello(EncodeHello({7, 0xfedcba9876543210ull}));
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(h->from, 7);
  EXPECT_EQ(h->channel, 0xfedcba9876543210ull);
  auto e = DecodeElectionHello(EncodeElectionHello(3));
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(*e, 3);
}

TEST(WireCodec, MalformedBytesAreRejected) {
  EXPECT_FALSE(DecodeMessage("").has_value());              // no oneof case
  EXPECT_FALSE(DecodeMessage("\xff\xff\xff").has_value());  // not Protobuf
  EXPECT_FALSE(DecodeNotification("").has_value());         // no vote
  EXPECT_FALSE(DecodeNotification("\x0a").has_value());     // truncated field
  EXPECT_FALSE(DecodeHello("").has_value());                // no version
  EXPECT_FALSE(DecodeElectionHello("").has_value());
  // A truncated encoding of a real message.
  std::string ok = EncodeMessage(Proposal{Entry{9, Bytes("payload")}});
  EXPECT_FALSE(DecodeMessage(std::string_view(ok).substr(0, ok.size() - 2)).has_value());
}

TEST(WireCodec, InvalidEnumValuesAreRejected) {
  // Notification.state (field 3, varint) = 9; Notification.vote (field 1) present but empty.
  EXPECT_FALSE(DecodeNotification(std::string("\x0a\x00\x18\x09", 4)).has_value());
  EXPECT_TRUE(DecodeNotification(std::string("\x0a\x00\x18\x03", 4)).has_value());
  // ChannelMessage.sync (field 6, length 2) holding Sync.kind (field 1) = 7.
  EXPECT_FALSE(DecodeMessage(std::string("\x32\x02\x08\x07", 4)).has_value());
  EXPECT_TRUE(DecodeMessage(std::string("\x32\x02\x08\x02", 4)).has_value());
  // ChannelHello with protocol (field 1) = 3, an unknown one.
  EXPECT_FALSE(DecodeHello(std::string("\x08\x03\x10\x01", 4)).has_value());
}

TEST(WireCodec, HellosAreNotInterchangeable) {
  // Swapped ports in a configuration must fail at the hello, not later.
  EXPECT_FALSE(DecodeElectionHello(EncodeHello({1, 2})).has_value());
  EXPECT_FALSE(DecodeHello(EncodeElectionHello(1)).has_value());
}

TEST(WireCodec, ProposalWithoutEntryIsRejected) {
  EXPECT_FALSE(DecodeMessage(std::string("\x4a\x00", 2)).has_value());  // field 9, empty
}

TEST(WireCodec, RandomBytesNeverCrash) {
  std::mt19937 rng(12345);
  for (int i = 0; i < 20000; ++i) {
    std::string s(rng() % 64, '\0');
    for (char& c : s) c = static_cast<char>(rng());
    // Whatever decodes must re-encode and decode again.
    if (auto m = DecodeMessage(s)) {
      EXPECT_TRUE(DecodeMessage(EncodeMessage(*m)).has_value());
    }
    if (auto n = DecodeNotification(s)) {
      EXPECT_EQ(DecodeNotification(EncodeNotification(*n)), n);
    }
    (void)DecodeHello(s);
    (void)DecodeElectionHello(s);
  }
}

}  // namespace
}  // namespace caucus::zab
