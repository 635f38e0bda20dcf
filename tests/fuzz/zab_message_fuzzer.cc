// libFuzzer target: the peer wire codec on arbitrary bytes (what a peer port receives).
//   DecodeMessage, DecodeNotification, DecodeHello and DecodeElectionHello on the whole input;
//   every successful decode is re-encoded, and that encoding must decode again and re-encode
//   to the same bytes (a canonical round trip).
#include <cstdint>
#include <string>
#include <string_view>

#include "server/zab/wire_codec.h"
#include "tests/fuzz/fuzz_check.h"

namespace zab = caucus::zab;

namespace {

void FuzzMessage(std::string_view in) {
  auto m = zab::DecodeMessage(in);
  if (!m) return;
  std::string enc = zab::EncodeMessage(*m);
  auto again = zab::DecodeMessage(enc);
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(again->index() == m->index());
  FUZZ_CHECK(zab::EncodeMessage(*again) == enc);
}

void FuzzNotification(std::string_view in) {
  auto n = zab::DecodeNotification(in);
  if (!n) return;
  auto again = zab::DecodeNotification(zab::EncodeNotification(*n));
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(*again == *n);
}

void FuzzHellos(std::string_view in) {
  if (auto h = zab::DecodeHello(in)) {
    auto again = zab::DecodeHello(zab::EncodeHello(*h));
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(again->from == h->from && again->channel == h->channel);
  }
  if (auto from = zab::DecodeElectionHello(in)) {
    auto again = zab::DecodeElectionHello(zab::EncodeElectionHello(*from));
    FUZZ_CHECK(again.has_value() && *again == *from);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  FuzzMessage(in);
  FuzzNotification(in);
  FuzzHellos(in);
  return 0;
}
