// Framing of the client port: every packet is a 4-byte big-endian length and that many bytes.
// The first 4 bytes of a fresh connection may instead be a four-letter word ("ruok", ...),
// which ZooKeeper recognises by reading them as the length field.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace caucus::jute {

enum class FrameStatus {
  kNeedMore,     // not enough bytes yet
  kFrame,        // `payload` holds one frame; `consumed` bytes used
  kBadLength,    // negative or larger than the limit: the connection must be closed
};

struct FrameResult {
  FrameStatus status = FrameStatus::kNeedMore;
  size_t consumed = 0;
  std::string_view payload;
  int64_t length = 0;  // the length field as read (for error messages)
};

// Extracts the first frame from `buf`. `max_length` is jute.maxbuffer.
FrameResult NextFrame(std::string_view buf, int32_t max_length);

// If the first 4 bytes of a connection spell a four-letter word (4 lowercase ASCII letters),
// returns it; otherwise an empty string.
std::string FourLetterWord(std::string_view first4);

}  // namespace caucus::jute
