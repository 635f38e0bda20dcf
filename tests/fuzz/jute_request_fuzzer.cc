// libFuzzer target: the request decoding path of the client port on arbitrary bytes.
//   NextFrame over the whole input, FourLetterWord, ConnectRequest::Read, and
//   RequestHeader + DecodeRequest; every request that decodes is re-encoded, and the
//   re-encoding must decode again to the same encoding (a canonical round trip).
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <string>
#include <string_view>

#include "proto/jute/archive.h"
#include "proto/jute/framing.h"
#include "proto/jute/records.h"
#include "proto/jute/requests.h"
#include "tests/fuzz/fuzz_check.h"

namespace j = caucus::jute;

namespace {

void FuzzFraming(std::string_view in) {
  constexpr int32_t kMax = 0xfffff;  // jute.maxbuffer default
  std::string_view rest = in;
  while (true) {
    j::FrameResult r = j::NextFrame(rest, kMax);
    if (r.status != j::FrameStatus::kFrame) {
      FUZZ_CHECK(r.consumed == 0);
      if (r.status == j::FrameStatus::kBadLength) FUZZ_CHECK(r.length < 0 || r.length > kMax);
      break;
    }
    FUZZ_CHECK(r.consumed == 4 + r.payload.size());
    FUZZ_CHECK(r.consumed <= rest.size());
    FUZZ_CHECK(r.payload.data() == rest.data() + 4);
    rest.remove_prefix(r.consumed);
  }
  std::string w = j::FourLetterWord(in);
  FUZZ_CHECK(w.empty() || (w.size() == 4 && in.substr(0, 4) == w));
}

void FuzzConnect(std::string_view in) {
  j::InArchive a(in);
  j::ConnectRequest c;
  if (!c.Read(a)) return;
  std::string enc;
  j::OutArchive w(enc);
  c.Write(w);
  j::InArchive b(enc);
  j::ConnectRequest d;
  FUZZ_CHECK(d.Read(b));
  FUZZ_CHECK(b.AtEnd());
  FUZZ_CHECK(d.protocol_version == c.protocol_version);
  FUZZ_CHECK(d.last_zxid_seen == c.last_zxid_seen);
  FUZZ_CHECK(d.timeout_ms == c.timeout_ms);
  FUZZ_CHECK(d.session_id == c.session_id);
  FUZZ_CHECK(d.passwd == c.passwd);
  FUZZ_CHECK(d.has_read_only == c.has_read_only);
  FUZZ_CHECK(d.read_only == c.read_only);
}

void FuzzRequest(std::string_view in) {
  j::InArchive a(in);
  j::RequestHeader h;
  if (!h.Read(a)) return;
  std::string_view body = in.substr(8);
  auto req = j::DecodeRequest(h, body);
  if (!req) return;
  FUZZ_CHECK(j::IsKnownClientOp(h.type));
  FUZZ_CHECK(req->xid == h.xid);
  FUZZ_CHECK(static_cast<int32_t>(req->op) == h.type);
  std::string enc;
  j::OutArchive w(enc);
  j::EncodeRequestBody(*req, w);
  // The canonical encoding is never longer than what was decoded (null -> empty keeps the
  // length field, trailing bytes are dropped).
  FUZZ_CHECK(enc.size() <= body.size());
  auto again = j::DecodeRequest(h, enc);
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(again->body.index() == req->body.index());
  std::string enc2;
  j::OutArchive w2(enc2);
  j::EncodeRequestBody(*again, w2);
  FUZZ_CHECK(enc2 == enc);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  FuzzFraming(in);
  FuzzConnect(in);
  FuzzRequest(in);
  // The same input as the payload of the first frame, when it is one.
  j::FrameResult f = j::NextFrame(in, 0xfffff);
  if (f.status == j::FrameStatus::kFrame) {
    FuzzConnect(f.payload);
    FuzzRequest(f.payload);
  }
  return 0;
}
