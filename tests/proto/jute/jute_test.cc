// Unit tests for the jute codec: archives, records, request decoding and framing.
#include <gtest/gtest.h>

#include <atomic>
#include <climits>
#include <cstdlib>
#include <new>

#include "proto/jute/archive.h"
#include "proto/jute/errors.h"
#include "proto/jute/framing.h"
#include "proto/jute/opcodes.h"
#include "proto/jute/records.h"
#include "proto/jute/requests.h"

#if defined(__GNUC__) && !defined(__clang__)
// The replacement operators below pair new/malloc and delete/free on purpose.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

// Tracks the largest single allocation while enabled, so the tests can prove that an absurd
// length field is rejected before anything is reserved for it.
namespace {
std::atomic<bool> g_track{false};
std::atomic<size_t> g_largest{0};
void Note(size_t n) {
  if (!g_track.load(std::memory_order_relaxed)) return;
  size_t cur = g_largest.load(std::memory_order_relaxed);
  while (n > cur && !g_largest.compare_exchange_weak(cur, n)) {
  }
}
}  // namespace

void* operator new(size_t n) {
  Note(n);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t n) {
  Note(n);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }

namespace caucus::jute {
namespace {

struct AllocationTracker {
  AllocationTracker() {
    g_largest = 0;
    g_track = true;
  }
  ~AllocationTracker() { g_track = false; }
  size_t largest() const { return g_largest.load(); }
};

std::string Bytes(std::initializer_list<int> b) {
  std::string s;
  for (int c : b) s.push_back(static_cast<char>(c));
  return s;
}

template <typename T>
std::string Encode(const T& v) {
  std::string out;
  OutArchive a(out);
  v.Write(a);
  return out;
}

// Decodes `bytes` as T, requiring every byte to be consumed.
template <typename T>
bool DecodeAll(std::string_view bytes, T& v) {
  InArchive a(bytes);
  return v.Read(a) && a.AtEnd();
}

// Encode -> decode -> encode gives the same bytes, and every strict prefix fails to decode.
template <typename T>
T RoundTrip(const T& v, bool check_prefixes = true) {
  std::string bytes = Encode(v);
  T back;
  EXPECT_TRUE(DecodeAll(bytes, back)) << "decode failed";
  EXPECT_EQ(Encode(back), bytes) << "re-encoding differs";
  if (check_prefixes) {
    for (size_t n = 0; n < bytes.size(); ++n) {
      T partial;
      InArchive a(std::string_view(bytes).substr(0, n));
      EXPECT_FALSE(partial.Read(a) && a.ok()) << "prefix of " << n << "/" << bytes.size()
                                              << " bytes decoded";
    }
  }
  return back;
}

// ---------------------------------------------------------------- archives

TEST(JuteArchive, IntIsBigEndian) {
  std::string out;
  OutArchive a(out);
  a.Int(1);
  a.Int(-1);
  a.Int(0x12345678);
  EXPECT_EQ(out, Bytes({0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0x12, 0x34, 0x56, 0x78}));
}

TEST(JuteArchive, LongIsBigEndian) {
  std::string out;
  OutArchive a(out);
  a.Long(0x0102030405060708LL);
  a.Long(-2);
  EXPECT_EQ(out, Bytes({1, 2, 3, 4, 5, 6, 7, 8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe}));
}

TEST(JuteArchive, IntAndLongRoundTripExtremes) {
  const int32_t ints[] = {0, 1, -1, 127, 128, 255, 256, -128, -129, INT32_MAX, INT32_MIN};
  const int64_t longs[] = {0, 1, -1, INT64_MAX, INT64_MIN, 0xffffffffLL, -0x100000000LL,
                           0x7fffffff80000000LL};
  std::string out;
  OutArchive w(out);
  for (int32_t v : ints) w.Int(v);
  for (int64_t v : longs) w.Long(v);
  EXPECT_EQ(out.size(), sizeof ints + sizeof longs);
  InArchive r(out);
  for (int32_t v : ints) {
    int32_t got = 0;
    ASSERT_TRUE(r.Int(got));
    EXPECT_EQ(got, v);
  }
  for (int64_t v : longs) {
    int64_t got = 0;
    ASSERT_TRUE(r.Long(got));
    EXPECT_EQ(got, v);
  }
  EXPECT_TRUE(r.AtEnd());
}

TEST(JuteArchive, BoolIsOneByteAndAnyNonZeroIsTrue) {
  std::string out;
  OutArchive w(out);
  w.Bool(true);
  w.Bool(false);
  EXPECT_EQ(out, Bytes({1, 0}));
  std::string in = Bytes({1, 0, 0x7f});
  InArchive r(in);
  bool b = false;
  ASSERT_TRUE(r.Bool(b));
  EXPECT_TRUE(b);
  ASSERT_TRUE(r.Bool(b));
  EXPECT_FALSE(b);
  ASSERT_TRUE(r.Bool(b));
  EXPECT_TRUE(b);
  EXPECT_FALSE(r.Bool(b));
  EXPECT_FALSE(r.ok());
}

TEST(JuteArchive, NullBufferVersusEmptyBuffer) {
  std::string out;
  OutArchive w(out);
  w.OptionalBuffer(std::nullopt);
  w.OptionalBuffer(std::string());
  w.Null();
  w.Buffer("ab");
  EXPECT_EQ(out, Bytes({0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 2,
                        'a', 'b'}));
  InArchive r(out);
  std::optional<std::string> o = "sentinel";
  ASSERT_TRUE(r.OptionalBuffer(o));
  EXPECT_FALSE(o.has_value());
  ASSERT_TRUE(r.OptionalBuffer(o));
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(*o, "");
  std::string s = "sentinel";
  ASSERT_TRUE(r.Buffer(s));  // null read as a plain buffer is empty
  EXPECT_EQ(s, "");
  ASSERT_TRUE(r.Buffer(s));
  EXPECT_EQ(s, "ab");
  EXPECT_TRUE(r.AtEnd());
}

TEST(JuteArchive, BufferWithBinaryContent) {
  std::string payload("\0\xff\x80zz\0", 6);
  std::string out;
  OutArchive w(out);
  w.Buffer(payload);
  InArchive r(out);
  std::string back;
  ASSERT_TRUE(r.Buffer(back));
  EXPECT_EQ(back, payload);
}

TEST(JuteArchive, NegativeLengthOtherThanMinusOneFails) {
  std::string in = Bytes({0xff, 0xff, 0xff, 0xfe, 'a', 'b'});
  InArchive r(in);
  std::optional<std::string> o;
  EXPECT_FALSE(r.OptionalBuffer(o));
  EXPECT_FALSE(r.ok());
}

TEST(JuteArchive, TruncatedBufferFails) {
  std::string in = Bytes({0, 0, 0, 5, 'a', 'b'});
  InArchive r(in);
  std::string s;
  EXPECT_FALSE(r.Buffer(s));
  EXPECT_FALSE(r.ok());
}

TEST(JuteArchive, TruncatedIntAndLongFail) {
  for (size_t n = 0; n < 4; ++n) {
    std::string in(n, '\x01');
    InArchive r(in);
    int32_t v;
    EXPECT_FALSE(r.Int(v)) << n;
  }
  for (size_t n = 0; n < 8; ++n) {
    std::string in(n, '\x01');
    InArchive r(in);
    int64_t v;
    EXPECT_FALSE(r.Long(v)) << n;
  }
}

TEST(JuteArchive, FailureIsSticky) {
  std::string in = Bytes({0, 0, 0, 9, 0, 0, 0, 1});
  InArchive r(in);
  std::string s;
  EXPECT_FALSE(r.Buffer(s));
  int32_t v;
  EXPECT_FALSE(r.Int(v));  // 8 bytes were there, but the archive has failed
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(r.AtEnd());
}

TEST(JuteArchive, LengthAboveMaxFieldLengthFailsWithoutAllocating) {
  std::string in;
  OutArchive w(in);
  w.Int(kMaxFieldLength + 1);
  in.append(64, 'x');
  AllocationTracker t;
  InArchive r(in);
  std::string s;
  EXPECT_FALSE(r.Buffer(s));
  EXPECT_LT(t.largest(), 4096u);
}

TEST(JuteArchive, HugeBufferLengthWithFewBytesFailsWithoutAllocating) {
  std::string in = Bytes({0x03, 0xff, 0xff, 0xff, 'a'});  // 64 MiB - 1, within the field limit
  AllocationTracker t;
  InArchive r(in);
  std::string s;
  EXPECT_FALSE(r.Buffer(s));
  EXPECT_LT(t.largest(), 4096u);
}

TEST(JuteArchive, StringVectorRoundTrip) {
  std::vector<std::string> v = {"", "a", "/zookeeper/quota", std::string("\0x", 2)};
  std::string out;
  OutArchive w(out);
  w.StringVector(v);
  w.StringVector({});
  EXPECT_EQ(out.substr(0, 4), Bytes({0, 0, 0, 4}));
  InArchive r(out);
  std::vector<std::string> back = {"junk"};
  ASSERT_TRUE(r.StringVector(back));
  EXPECT_EQ(back, v);
  ASSERT_TRUE(r.StringVector(back));
  EXPECT_TRUE(back.empty());
  EXPECT_TRUE(r.AtEnd());
}

TEST(JuteArchive, NullStringVectorReadsEmpty) {
  std::string in = Bytes({0xff, 0xff, 0xff, 0xff});
  InArchive r(in);
  std::vector<std::string> v = {"x"};
  ASSERT_TRUE(r.StringVector(v));
  EXPECT_TRUE(v.empty());
}

TEST(JuteArchive, AbsurdVectorCountFailsWithoutAllocating) {
  for (int32_t n : {INT32_MAX, 0x10000000, 3, -2, INT32_MIN}) {
    std::string in;
    OutArchive w(in);
    w.Int(n);
    w.String("ab");  // room for one element at most
    AllocationTracker t;
    InArchive r(in);
    std::vector<std::string> v;
    EXPECT_FALSE(r.StringVector(v)) << n;
    EXPECT_LT(t.largest(), 4096u) << n;
  }
}

TEST(JuteArchive, AbsurdAclCountFailsWithoutAllocating) {
  std::string in;
  OutArchive w(in);
  w.Int(0x7ffffff0);
  Acl{31, Id{"world", "anyone"}}.Write(w);
  AllocationTracker t;
  InArchive r(in);
  AclList acl;
  EXPECT_FALSE(ReadAclList(r, acl));
  EXPECT_LT(t.largest(), 4096u);
}

TEST(JuteArchive, LengthPrefixPatch) {
  std::string out = "xx";
  OutArchive w(out);
  size_t at = w.BeginLength();
  w.Int(7);
  w.Buffer("abc");
  w.PatchLength(at);
  EXPECT_EQ(out.substr(0, 2), "xx");
  EXPECT_EQ(out.substr(2, 4), Bytes({0, 0, 0, 11}));
  EXPECT_EQ(out.size(), 2u + 4u + 11u);
}

// ---------------------------------------------------------------- records

TEST(JuteRecords, IdAndAclRoundTrip) {
  Id id = RoundTrip(Id{"digest", "user:abc="});
  EXPECT_EQ(id, (Id{"digest", "user:abc="}));
  Acl acl = RoundTrip(Acl{perms::kRead | perms::kAdmin, Id{"ip", "10.0.0.0/8"}});
  EXPECT_EQ(acl, (Acl{17, Id{"ip", "10.0.0.0/8"}}));
  AclList list = {Acl{31, Id{"world", "anyone"}}, Acl{1, Id{"auth", ""}}};
  std::string bytes;
  OutArchive w(bytes);
  WriteAclList(w, list);
  InArchive r(bytes);
  AclList back;
  ASSERT_TRUE(ReadAclList(r, back));
  EXPECT_TRUE(r.AtEnd());
  EXPECT_EQ(back, list);
}

TEST(JuteRecords, StatRoundTripAndLayout) {
  Stat s{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
  std::string bytes = Encode(s);
  EXPECT_EQ(bytes.size(), 68u);  // 6 longs + 5 ints
  EXPECT_EQ(bytes.substr(0, 8), Bytes({0, 0, 0, 0, 0, 0, 0, 1}));
  EXPECT_EQ(bytes.substr(60, 8), Bytes({0, 0, 0, 0, 0, 0, 0, 11}));
  EXPECT_EQ(RoundTrip(s), s);
  Stat neg{-1, INT64_MIN, -3, INT64_MAX, -1, INT32_MIN, -1, INT64_MIN, 0, INT32_MAX, -7};
  EXPECT_EQ(RoundTrip(neg), neg);
}

TEST(JuteRecords, ConnectRequestWithAndWithoutReadOnly) {
  ConnectRequest c;
  c.protocol_version = 0;
  c.last_zxid_seen = 0x100000005LL;
  c.timeout_ms = 30000;
  c.session_id = -0x7000000000000001LL;
  c.passwd = std::string(16, '\x9c');
  c.has_read_only = true;
  c.read_only = true;
  std::string bytes = Encode(c);
  EXPECT_EQ(bytes.size(), 4u + 8 + 4 + 8 + 4 + 16 + 1);
  ConnectRequest back;
  ASSERT_TRUE(DecodeAll(bytes, back));
  EXPECT_EQ(back.last_zxid_seen, c.last_zxid_seen);
  EXPECT_EQ(back.timeout_ms, 30000);
  EXPECT_EQ(back.session_id, c.session_id);
  EXPECT_EQ(back.passwd, c.passwd);
  EXPECT_TRUE(back.has_read_only);
  EXPECT_TRUE(back.read_only);

  // A pre-3.5 client omits the readOnly byte.
  ConnectRequest old;
  ASSERT_TRUE(DecodeAll(std::string_view(bytes).substr(0, bytes.size() - 1), old));
  EXPECT_FALSE(old.has_read_only);
  EXPECT_FALSE(old.read_only);
  EXPECT_EQ(old.passwd, c.passwd);
  // Anything shorter fails.
  for (size_t n = 0; n + 1 < bytes.size(); ++n) {
    ConnectRequest p;
    InArchive a(std::string_view(bytes).substr(0, n));
    EXPECT_FALSE(p.Read(a)) << n;
  }
}

TEST(JuteRecords, ConnectResponseRoundTrip) {
  ConnectResponse r;
  r.protocol_version = 0;
  r.timeout_ms = 4000;
  r.session_id = 0x0100018a2b3c4d5eLL;
  r.passwd = std::string(16, '\x01');
  r.read_only = false;
  std::string bytes = Encode(r);
  EXPECT_EQ(bytes.size(), 4u + 4 + 8 + 4 + 16 + 1);
  ConnectResponse back;
  ASSERT_TRUE(DecodeAll(bytes, back));
  EXPECT_EQ(back.timeout_ms, 4000);
  EXPECT_EQ(back.session_id, r.session_id);
  EXPECT_EQ(back.passwd, r.passwd);
}

TEST(JuteRecords, HeadersRoundTrip) {
  RequestHeader rq = RoundTrip(RequestHeader{-8, 101});
  EXPECT_EQ(rq.xid, -8);
  EXPECT_EQ(rq.type, 101);
  EXPECT_EQ(Encode(RequestHeader{1, 4}), Bytes({0, 0, 0, 1, 0, 0, 0, 4}));
  ReplyHeader rp = RoundTrip(ReplyHeader{-1, -1, -101});
  EXPECT_EQ(rp.xid, -1);
  EXPECT_EQ(rp.zxid, -1);
  EXPECT_EQ(rp.err, -101);
  EXPECT_EQ(Encode(ReplyHeader{}).size(), 16u);
  MultiHeader mh = RoundTrip(MultiHeader{-1, true, -1});
  EXPECT_EQ(mh.type, -1);
  EXPECT_TRUE(mh.done);
  EXPECT_EQ(mh.err, -1);
  EXPECT_EQ(Encode(MultiHeader{1, false, 0}), Bytes({0, 0, 0, 1, 0, 0, 0, 0, 0}));
}

TEST(JuteRecords, AuthPacketRoundTrip) {
  AuthPacket p = RoundTrip(AuthPacket{0, "digest", "super:test"});
  EXPECT_EQ(p.scheme, "digest");
  EXPECT_EQ(p.auth, "super:test");
}

TEST(JuteRecords, SetWatchesRoundTrip) {
  SetWatches s{0x500000001LL, {"/a", "/b"}, {}, {"/c"}};
  SetWatches back = RoundTrip(s);
  EXPECT_EQ(back.relative_zxid, s.relative_zxid);
  EXPECT_EQ(back.data_watches, s.data_watches);
  EXPECT_TRUE(back.exist_watches.empty());
  EXPECT_EQ(back.child_watches, s.child_watches);
  SetWatches2 s2{7, {"/d"}, {"/e"}, {}, {"/p"}, {"/r", "/r2"}};
  SetWatches2 back2 = RoundTrip(s2);
  EXPECT_EQ(back2.persistent_watches, s2.persistent_watches);
  EXPECT_EQ(back2.persistent_recursive_watches, s2.persistent_recursive_watches);
  EXPECT_EQ(back2.exist_watches, s2.exist_watches);
}

TEST(JuteRecords, PathRequestsRoundTrip) {
  EXPECT_EQ(RoundTrip(PathRequest{"/x/y"}).path, "/x/y");
  PathWatchRequest pw = RoundTrip(PathWatchRequest{"/w", true});
  EXPECT_EQ(pw.path, "/w");
  EXPECT_TRUE(pw.watch);
  EXPECT_EQ(Encode(PathWatchRequest{"/", false}), Bytes({0, 0, 0, 1, '/', 0}));
}

TEST(JuteRecords, CreateRequestWithAndWithoutTtl) {
  CreateRequest c;
  c.path = "/node";
  c.data = std::string("v\0v", 3);
  c.acl = {Acl{31, Id{"world", "anyone"}}, Acl{1, Id{"digest", "u:h"}}};
  c.flags = 5;
  c.ttl = 12345;
  for (bool ttl : {false, true}) {
    std::string bytes;
    OutArchive w(bytes);
    c.Write(w, ttl);
    CreateRequest back;
    InArchive r(bytes);
    ASSERT_TRUE(back.Read(r, ttl));
    EXPECT_TRUE(r.AtEnd());
    EXPECT_EQ(back.path, c.path);
    EXPECT_EQ(back.data, c.data);
    EXPECT_EQ(back.acl, c.acl);
    EXPECT_EQ(back.flags, 5);
    EXPECT_EQ(back.ttl, ttl ? 12345 : -1);
    for (size_t n = 0; n < bytes.size(); ++n) {
      CreateRequest p;
      InArchive a(std::string_view(bytes).substr(0, n));
      EXPECT_FALSE(p.Read(a, ttl) && a.ok()) << n;
    }
  }
  CreateRequest nulldata;
  nulldata.path = "/n";
  std::string bytes;
  OutArchive w(bytes);
  nulldata.Write(w, false);
  CreateRequest back;
  back.data = "x";
  InArchive r(bytes);
  ASSERT_TRUE(back.Read(r, false));
  EXPECT_FALSE(back.data.has_value());
}

TEST(JuteRecords, WriteRequestsRoundTrip) {
  DeleteRequest d = RoundTrip(DeleteRequest{"/d", 3});
  EXPECT_EQ(d.path, "/d");
  EXPECT_EQ(d.version, 3);
  SetDataRequest s = RoundTrip(SetDataRequest{"/s", std::nullopt, -1});
  EXPECT_FALSE(s.data.has_value());
  EXPECT_EQ(s.version, -1);
  SetDataRequest s2 = RoundTrip(SetDataRequest{"/s", std::string(), 9});
  ASSERT_TRUE(s2.data.has_value());
  EXPECT_TRUE(s2.data->empty());
  CheckVersionRequest cv = RoundTrip(CheckVersionRequest{"/c", INT32_MAX});
  EXPECT_EQ(cv.version, INT32_MAX);
  SetAclRequest sa = RoundTrip(SetAclRequest{"/a", {Acl{3, Id{"ip", "1.2.3.4"}}}, 2});
  EXPECT_EQ(sa.acl.size(), 1u);
  EXPECT_EQ(sa.acl[0].id.id, "1.2.3.4");
  EXPECT_EQ(sa.version, 2);
}

TEST(JuteRecords, MiscRecordsRoundTrip) {
  AddWatchRequest aw = RoundTrip(AddWatchRequest{"/aw", 1});
  EXPECT_EQ(aw.mode, 1);
  WatchTypeRequest wt = RoundTrip(WatchTypeRequest{"/wt", 3});
  EXPECT_EQ(wt.type, 3);
  ReconfigRequest rc = RoundTrip(ReconfigRequest{"server.1=a:1:2", "", "x", -1});
  EXPECT_EQ(rc.joining_servers, "server.1=a:1:2");
  EXPECT_EQ(rc.cur_config_id, -1);
  WatcherEvent ev = RoundTrip(WatcherEvent{4, 3, "/p"});
  EXPECT_EQ(ev.type, 4);
  EXPECT_EQ(ev.state, 3);
  EXPECT_EQ(ev.path, "/p");
  ClientInfo ci = RoundTrip(ClientInfo{"ip", "127.0.0.1"});
  EXPECT_EQ(ci.user, "127.0.0.1");
}

TEST(JuteErrors, NamesAndValues) {
  EXPECT_STREQ(ErrorName(Error::kOk), "OK");
  EXPECT_STREQ(ErrorName(Error::kNoNode), "NONODE");
  EXPECT_STREQ(ErrorName(Error::kNodeExists), "NODEEXISTS");
  EXPECT_STREQ(ErrorName(static_cast<Error>(-9999)), "UNKNOWN");
  EXPECT_EQ(static_cast<int32_t>(Error::kMarshallingError), -5);
  EXPECT_EQ(static_cast<int32_t>(Error::kNoAuth), -102);
  EXPECT_EQ(static_cast<int32_t>(Error::kSessionExpired), -112);
  EXPECT_EQ(static_cast<int32_t>(Error::kNoWatcher), -121);
}

// ---------------------------------------------------------------- DecodeRequest

std::optional<Request> Decode(int32_t type, std::string_view body, int32_t xid = 7) {
  return DecodeRequest(RequestHeader{xid, type}, body);
}

std::string EncodeBody(const Request& r) {
  std::string out;
  OutArchive a(out);
  EncodeRequestBody(r, a);
  return out;
}

Request Make(OpCode op, decltype(Request::body) body) {
  Request r;
  r.xid = 42;
  r.op = op;
  r.body = std::move(body);
  return r;
}

// Every opcode a client may send, with a representative body.
std::vector<Request> AllClientRequests() {
  CreateRequest c{"/c", std::string("d"), {Acl{31, Id{"world", "anyone"}}}, 0, -1};
  CreateRequest ttl = c;
  ttl.flags = 5;
  ttl.ttl = 1000;
  MultiRequest multi;
  multi.ops.push_back(MultiOp{OpCode::kCreate, c});
  multi.ops.push_back(MultiOp{OpCode::kCreateTTL, ttl});
  multi.ops.push_back(MultiOp{OpCode::kDelete, DeleteRequest{"/d", 1}});
  multi.ops.push_back(MultiOp{OpCode::kSetData, SetDataRequest{"/s", std::nullopt, 2}});
  multi.ops.push_back(MultiOp{OpCode::kCheck, CheckVersionRequest{"/k", 3}});
  multi.ops.push_back(MultiOp{OpCode::kCreate2, c});
  multi.ops.push_back(MultiOp{OpCode::kCreateContainer, c});
  MultiRequest mread;
  mread.ops.push_back(MultiOp{OpCode::kGetData, PathWatchRequest{"/a", true}});
  mread.ops.push_back(MultiOp{OpCode::kGetChildren, PathWatchRequest{"/b", false}});
  return {
      Make(OpCode::kCreate, c),
      Make(OpCode::kDelete, DeleteRequest{"/d", -1}),
      Make(OpCode::kExists, PathWatchRequest{"/e", true}),
      Make(OpCode::kGetData, PathWatchRequest{"/g", false}),
      Make(OpCode::kSetData, SetDataRequest{"/s", std::string("x"), 4}),
      Make(OpCode::kGetACL, PathRequest{"/ga"}),
      Make(OpCode::kSetACL, SetAclRequest{"/sa", {Acl{1, Id{"world", "anyone"}}}, 0}),
      Make(OpCode::kGetChildren, PathWatchRequest{"/gc", true}),
      Make(OpCode::kSync, PathRequest{"/"}),
      Make(OpCode::kPing, std::monostate{}),
      Make(OpCode::kGetChildren2, PathWatchRequest{"/gc2", false}),
      Make(OpCode::kCheck, CheckVersionRequest{"/ck", 1}),
      Make(OpCode::kMulti, multi),
      Make(OpCode::kCreate2, c),
      Make(OpCode::kReconfig, ReconfigRequest{"j", "l", "", 5}),
      Make(OpCode::kCheckWatches, WatchTypeRequest{"/cw", 1}),
      Make(OpCode::kRemoveWatches, WatchTypeRequest{"/rw", 3}),
      Make(OpCode::kCreateContainer, c),
      Make(OpCode::kCreateTTL, ttl),
      Make(OpCode::kMultiRead, mread),
      Make(OpCode::kAuth, AuthPacket{0, "digest", "u:p"}),
      Make(OpCode::kSetWatches, SetWatches{1, {"/a"}, {"/b"}, {"/c"}}),
      Make(OpCode::kGetEphemerals, PathRequest{"/"}),
      Make(OpCode::kGetAllChildrenNumber, PathRequest{"/n"}),
      Make(OpCode::kSetWatches2, SetWatches2{1, {"/a"}, {}, {}, {"/p"}, {"/r"}}),
      Make(OpCode::kAddWatch, AddWatchRequest{"/aw", 0}),
      Make(OpCode::kWhoAmI, std::monostate{}),
      Make(OpCode::kCloseSession, std::monostate{}),
  };
}

TEST(DecodeRequest, EveryClientOpcodeRoundTrips) {
  auto reqs = AllClientRequests();
  EXPECT_EQ(reqs.size(), 28u);
  for (const Request& r : reqs) {
    SCOPED_TRACE(static_cast<int32_t>(r.op));
    EXPECT_TRUE(IsKnownClientOp(static_cast<int32_t>(r.op)));
    std::string body = EncodeBody(r);
    auto d = Decode(static_cast<int32_t>(r.op), body, r.xid);
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(d->xid, 42);
    EXPECT_EQ(d->op, r.op);
    EXPECT_EQ(d->body.index(), r.body.index());
    EXPECT_EQ(EncodeBody(*d), body);
    // Every strict prefix of a non-empty body is malformed.
    for (size_t n = 0; n < body.size(); ++n) {
      EXPECT_FALSE(Decode(static_cast<int32_t>(r.op), std::string_view(body).substr(0, n)))
          << "prefix " << n << "/" << body.size();
    }
  }
}

TEST(DecodeRequest, DecodedFieldsMatch) {
  CreateRequest c{"/ttl", std::nullopt, {Acl{31, Id{"world", "anyone"}}}, 6, 777};
  std::string body;
  OutArchive a(body);
  c.Write(a, true);
  auto d = Decode(21, body);
  ASSERT_TRUE(d);
  const auto& got = std::get<CreateRequest>(d->body);
  EXPECT_EQ(got.path, "/ttl");
  EXPECT_FALSE(got.data.has_value());
  EXPECT_EQ(got.flags, 6);
  EXPECT_EQ(got.ttl, 777);
  // The same bytes as a plain create: the ttl becomes trailing bytes, ttl stays -1.
  auto plain = Decode(1, body);
  ASSERT_TRUE(plain);
  EXPECT_EQ(std::get<CreateRequest>(plain->body).ttl, -1);
}

TEST(DecodeRequest, TrailingBytesAreTolerated) {
  std::string body = EncodeBody(Make(OpCode::kGetData, PathWatchRequest{"/g", true}));
  body += "garbage";
  auto d = Decode(4, body);
  ASSERT_TRUE(d);
  EXPECT_EQ(std::get<PathWatchRequest>(d->body).path, "/g");
}

TEST(DecodeRequest, UnknownOpcodesAreRejected) {
  for (int32_t op : {0, 10, 20, 23, 50, 99, 108, 1000, -1, -10, -12, INT32_MIN, INT32_MAX}) {
    EXPECT_FALSE(IsKnownClientOp(op)) << op;
    EXPECT_FALSE(Decode(op, "")) << op;
    EXPECT_FALSE(Decode(op, std::string(64, '\0'))) << op;
  }
}

TEST(DecodeRequest, SaslIsKnownButNotDecoded) {
  EXPECT_TRUE(IsKnownClientOp(102));
  EXPECT_FALSE(Decode(102, std::string(16, '\0')));
}

TEST(DecodeRequest, BadLengthInsideBodyIsRejected) {
  std::string body;
  OutArchive a(body);
  a.Int(-5);
  a.Bool(true);
  EXPECT_FALSE(Decode(4, body));
  std::string big;
  OutArchive b(big);
  b.Int(1 << 30);
  b.Bool(true);
  EXPECT_FALSE(Decode(4, big));
}

std::string MultiBody(const std::vector<std::pair<int32_t, std::string>>& ops, bool done = true) {
  std::string out;
  OutArchive a(out);
  for (const auto& [type, body] : ops) {
    MultiHeader{type, false, -1}.Write(a);
    out.append(body);
  }
  if (done) MultiHeader{-1, true, -1}.Write(a);
  return out;
}

TEST(DecodeRequest, MultiRejectsReadOps) {
  std::string create = EncodeBody(Make(OpCode::kCreate, CreateRequest{"/a", {}, {}, 0, -1}));
  std::string getdata = Encode(PathWatchRequest{"/a", false});
  EXPECT_TRUE(Decode(14, MultiBody({{1, create}})));
  EXPECT_FALSE(Decode(14, MultiBody({{1, create}, {4, getdata}})));
  EXPECT_FALSE(Decode(14, MultiBody({{4, getdata}})));
  EXPECT_FALSE(Decode(14, MultiBody({{8, getdata}})));
}

TEST(DecodeRequest, MultiReadRejectsWriteOps) {
  std::string getdata = Encode(PathWatchRequest{"/a", false});
  std::string del = Encode(DeleteRequest{"/a", -1});
  EXPECT_TRUE(Decode(22, MultiBody({{4, getdata}, {8, getdata}})));
  EXPECT_FALSE(Decode(22, MultiBody({{4, getdata}, {2, del}})));
  EXPECT_FALSE(Decode(22, MultiBody({{2, del}})));
}

TEST(DecodeRequest, MultiRejectsOpsThatCannotBeInAMulti) {
  std::string path = Encode(PathRequest{"/a"});
  for (int32_t op : {0, 3, 6, 7, 9, 11, 12, 14, 22, 100, 101, -11}) {
    EXPECT_FALSE(Decode(14, MultiBody({{op, path}}))) << op;
    EXPECT_FALSE(Decode(22, MultiBody({{op, path}}))) << op;
  }
}

TEST(DecodeRequest, EmptyMultiAndMissingTerminator) {
  auto empty = Decode(14, MultiBody({}));
  ASSERT_TRUE(empty);
  EXPECT_TRUE(std::get<MultiRequest>(empty->body).ops.empty());
  auto empty_read = Decode(22, MultiBody({}));
  ASSERT_TRUE(empty_read);
  std::string del = Encode(DeleteRequest{"/a", -1});
  EXPECT_FALSE(Decode(14, MultiBody({{2, del}}, /*done=*/false)));
  EXPECT_FALSE(Decode(14, ""));
}

TEST(DecodeRequest, MultiOpsKeepTheirOrderAndBodies) {
  auto reqs = AllClientRequests();
  const Request* multi = nullptr;
  for (const auto& r : reqs) {
    if (r.op == OpCode::kMulti) multi = &r;
  }
  ASSERT_NE(multi, nullptr);
  auto d = Decode(14, EncodeBody(*multi));
  ASSERT_TRUE(d);
  const auto& ops = std::get<MultiRequest>(d->body).ops;
  ASSERT_EQ(ops.size(), 7u);
  EXPECT_EQ(ops[0].op, OpCode::kCreate);
  EXPECT_EQ(ops[1].op, OpCode::kCreateTTL);
  EXPECT_EQ(std::get<CreateRequest>(ops[1].body).ttl, 1000);
  EXPECT_EQ(std::get<DeleteRequest>(ops[2].body).version, 1);
  EXPECT_FALSE(std::get<SetDataRequest>(ops[3].body).data.has_value());
  EXPECT_EQ(std::get<CheckVersionRequest>(ops[4].body).path, "/k");
  EXPECT_EQ(ops[5].op, OpCode::kCreate2);
  EXPECT_EQ(ops[6].op, OpCode::kCreateContainer);
}

// ---------------------------------------------------------------- framing

std::string Frame(int32_t len, std::string_view payload) {
  std::string out;
  OutArchive a(out);
  a.Int(len);
  out.append(payload);
  return out;
}

TEST(NextFrame, NeedsMoreThanFourBytes) {
  for (size_t n = 0; n < 4; ++n) {
    auto r = NextFrame(std::string(n, '\0'), 1024);
    EXPECT_EQ(r.status, FrameStatus::kNeedMore) << n;
    EXPECT_EQ(r.consumed, 0u);
  }
}

TEST(NextFrame, NeedsTheWholePayload) {
  std::string f = Frame(10, "12345");
  auto r = NextFrame(f, 1024);
  EXPECT_EQ(r.status, FrameStatus::kNeedMore);
  EXPECT_EQ(r.length, 10);
  EXPECT_EQ(r.consumed, 0u);
}

TEST(NextFrame, ExactFrame) {
  std::string f = Frame(5, "hello");
  auto r = NextFrame(f, 1024);
  ASSERT_EQ(r.status, FrameStatus::kFrame);
  EXPECT_EQ(r.payload, "hello");
  EXPECT_EQ(r.consumed, 9u);
}

TEST(NextFrame, ZeroLengthFrame) {
  std::string f = Frame(0, "");
  auto r = NextFrame(f, 1024);
  ASSERT_EQ(r.status, FrameStatus::kFrame);
  EXPECT_TRUE(r.payload.empty());
  EXPECT_EQ(r.consumed, 4u);
}

TEST(NextFrame, TakesOnlyTheFirstOfTwoFrames) {
  std::string f = Frame(2, "ab") + Frame(3, "cde");
  auto r = NextFrame(f, 1024);
  ASSERT_EQ(r.status, FrameStatus::kFrame);
  EXPECT_EQ(r.payload, "ab");
  EXPECT_EQ(r.consumed, 6u);
  auto r2 = NextFrame(std::string_view(f).substr(r.consumed), 1024);
  ASSERT_EQ(r2.status, FrameStatus::kFrame);
  EXPECT_EQ(r2.payload, "cde");
}

TEST(NextFrame, LengthAtMaxIsAcceptedAboveIsRejected) {
  std::string payload(100, 'x');
  auto ok = NextFrame(Frame(100, payload), 100);
  EXPECT_EQ(ok.status, FrameStatus::kFrame);
  // Rejected from the header alone, before the payload arrives.
  auto bad = NextFrame(Frame(101, ""), 100);
  EXPECT_EQ(bad.status, FrameStatus::kBadLength);
  EXPECT_EQ(bad.length, 101);
  auto huge = NextFrame(Frame(INT32_MAX, ""), 0xfffff);
  EXPECT_EQ(huge.status, FrameStatus::kBadLength);
}

TEST(NextFrame, NegativeLengthIsRejected) {
  for (int32_t len : {-1, -2, INT32_MIN}) {
    auto r = NextFrame(Frame(len, "abcdef"), 1024);
    EXPECT_EQ(r.status, FrameStatus::kBadLength) << len;
    EXPECT_EQ(r.length, len);
  }
}

TEST(NextFrame, FourLetterWordReadAsLengthIsTooLarge) {
  // "ruok" read as a length is 0x72756f6b, far above jute.maxbuffer (0xfffff by default).
  auto r = NextFrame("ruok", 0xfffff);
  EXPECT_EQ(r.status, FrameStatus::kBadLength);
  EXPECT_EQ(r.length, 0x72756f6b);
}

TEST(FourLetterWord, Recognition) {
  EXPECT_EQ(FourLetterWord("ruok"), "ruok");
  EXPECT_EQ(FourLetterWord("mntr"), "mntr");
  EXPECT_EQ(FourLetterWord("statextra"), "stat");
  EXPECT_EQ(FourLetterWord("RUOK"), "");
  EXPECT_EQ(FourLetterWord("ru0k"), "");
  EXPECT_EQ(FourLetterWord("ruo"), "");
  EXPECT_EQ(FourLetterWord(""), "");
  EXPECT_EQ(FourLetterWord(std::string("\0\0\0\x2c", 4)), "");
  EXPECT_EQ(FourLetterWord("r{ok"), "");
  EXPECT_EQ(FourLetterWord("`uok"), "");
}

}  // namespace
}  // namespace caucus::jute
