#include "server/storage/wal_check.h"

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <vector>

namespace caucus::storage {
namespace {

constexpr uint32_t kMagicLe = 0x377f0682;  // checksum words little-endian
constexpr uint32_t kMagicBe = 0x377f0683;  // checksum words big-endian
constexpr size_t kWalHeader = 32;
constexpr size_t kFrameHeader = 24;

uint32_t Be32(const unsigned char* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}
uint32_t Le32(const unsigned char* p) {
  return uint32_t{p[3]} << 24 | uint32_t{p[2]} << 16 | uint32_t{p[1]} << 8 | p[0];
}

// SQLite's WAL checksum over `n` bytes (a multiple of 8), continuing from (s0, s1).
void Checksum(bool big_endian, const unsigned char* p, size_t n, uint32_t& s0, uint32_t& s1) {
  for (size_t i = 0; i + 8 <= n; i += 8) {
    uint32_t x0 = big_endian ? Be32(p + i) : Le32(p + i);
    uint32_t x1 = big_endian ? Be32(p + i + 4) : Le32(p + i + 4);
    s0 += x0 + s1;
    s1 += x1 + s0;
  }
}

}  // namespace

base::Status CheckWal(const std::string& wal_path, std::string* finding) {
  std::ifstream f(wal_path, std::ios::binary);
  if (!f) return base::Status::Ok();  // no WAL: nothing to check
  std::vector<unsigned char> wal((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (wal.size() < kWalHeader) return base::Status::Ok();
  uint32_t magic = Be32(wal.data());
  if (magic != kMagicLe && magic != kMagicBe) return base::Status::Ok();  // never initialised
  bool be = magic == kMagicBe;
  uint32_t page = Be32(wal.data() + 8);
  if (page < 512 || page > 65536 || (page & (page - 1)) != 0) {
    return base::Status::Corruption(wal_path + ": WAL header names an impossible page size");
  }
  uint32_t salt1 = Be32(wal.data() + 16), salt2 = Be32(wal.data() + 20);
  uint32_t h0 = 0, h1 = 0;
  Checksum(be, wal.data(), 24, h0, h1);
  if (h0 != Be32(wal.data() + 24) || h1 != Be32(wal.data() + 28)) {
    // SQLite ignores the whole WAL then: committed frames in it would be lost.
    return base::Status::Corruption(wal_path + ": WAL header checksum mismatch");
  }
  uint32_t prev0 = h0, prev1 = h1;
  long first_bad = -1;
  size_t frame_size = kFrameHeader + page;
  for (size_t off = kWalHeader, idx = 0; off + frame_size <= wal.size(); off += frame_size, ++idx) {
    const unsigned char* fh = wal.data() + off;
    if (Be32(fh + 8) != salt1 || Be32(fh + 12) != salt2) break;  // an older generation's leftovers
    uint32_t s0 = prev0, s1 = prev1;
    Checksum(be, fh, 8, s0, s1);
    Checksum(be, fh + kFrameHeader, page, s0, s1);
    bool ok = s0 == Be32(fh + 16) && s1 == Be32(fh + 20);
    bool commit = Be32(fh + 4) != 0;
    if (!ok && first_bad < 0) first_bad = static_cast<long>(idx);
    if (ok && commit && first_bad >= 0) {
      return base::Status::Corruption(
          wal_path + ": WAL frame " + std::to_string(first_bad) +
          " is damaged but committed transactions follow it; SQLite would silently drop them");
    }
    prev0 = Be32(fh + 16);
    prev1 = Be32(fh + 20);
  }
  if (first_bad >= 0) {
    *finding = wal_path + ": damaged WAL frame " + std::to_string(first_bad) +
               " in an unfinished (never acknowledged) transaction at the tail; SQLite drops it";
  }
  return base::Status::Ok();
}

}  // namespace caucus::storage
