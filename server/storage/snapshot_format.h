// The snapshot file layout shared by SnapshotWriter and LoadSnapshot (docs/storage.md).
#pragma once

#include <cstdint>
#include <string>

namespace caucus::storage::snapshot_format {

inline constexpr char kMagic[8] = {'C', 'A', 'U', 'C', 'U', 'S', 'N', 'P'};
inline constexpr uint32_t kVersion = 1;
inline constexpr size_t kPrologueBytes = sizeof kMagic + 4;  // magic, version
inline constexpr size_t kRecordHeadBytes = 5;                // u32 length, u8 type
inline constexpr size_t kTrailerBytes = 4;                   // CRC-32C
inline constexpr uint32_t kMaxRecordBytes = 256u << 20;

enum RecordType : uint8_t { kHeader = 1, kAcl = 2, kNode = 3, kSession = 4, kEnd = 5 };

inline void PutU32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}

inline uint32_t GetU32(const unsigned char* p) {
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}

}  // namespace caucus::storage::snapshot_format
