// Zxid: ZooKeeper's transaction id, epoch << 32 | counter. Every committed change carries one,
// and Stat fields (czxid, mzxid, pzxid) expose them to clients, so the layout is fixed.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

namespace caucus::base {

using Zxid = int64_t;
using SessionId = int64_t;

constexpr Zxid MakeZxid(uint32_t epoch, uint32_t counter) {
  return static_cast<Zxid>((static_cast<uint64_t>(epoch) << 32) | counter);
}
constexpr uint32_t ZxidEpoch(Zxid z) { return static_cast<uint32_t>(static_cast<uint64_t>(z) >> 32); }
constexpr uint32_t ZxidCounter(Zxid z) { return static_cast<uint32_t>(static_cast<uint64_t>(z) & 0xffffffffu); }

// "0x1a2b", as ZooKeeper prints zxids and session ids.
inline std::string Hex(int64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
  return b;
}

}  // namespace caucus::base
