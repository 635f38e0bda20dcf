#include "proto/jute/framing.h"

namespace caucus::jute {

FrameResult NextFrame(std::string_view buf, int32_t max_length) {
  FrameResult r;
  if (buf.size() < 4) return r;
  auto b = reinterpret_cast<const uint8_t*>(buf.data());
  auto len = static_cast<int32_t>((uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) |
                                  (uint32_t{b[2]} << 8) | uint32_t{b[3]});
  r.length = len;
  if (len < 0 || len > max_length) {
    r.status = FrameStatus::kBadLength;
    return r;
  }
  if (buf.size() - 4 < static_cast<size_t>(len)) return r;
  r.status = FrameStatus::kFrame;
  r.payload = buf.substr(4, static_cast<size_t>(len));
  r.consumed = 4 + static_cast<size_t>(len);
  return r;
}

std::string FourLetterWord(std::string_view first4) {
  if (first4.size() < 4) return {};
  for (size_t i = 0; i < 4; ++i) {
    if (first4[i] < 'a' || first4[i] > 'z') return {};
  }
  return std::string(first4.substr(0, 4));
}

}  // namespace caucus::jute
