// CRC-32C (Castagnoli), used to detect torn or corrupted log records and snapshots.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace caucus::base {

// Extends `crc` (0 to start) with `n` bytes.
uint32_t Crc32c(uint32_t crc, const void* data, size_t n);
inline uint32_t Crc32c(std::string_view s) { return Crc32c(0, s.data(), s.size()); }

}  // namespace caucus::base
