// Jute binary archives: the big-endian encoding of ZooKeeper's wire records
// (zookeeper-jute BinaryInputArchive / BinaryOutputArchive).
//
// OutArchive appends to a caller-owned std::string. InArchive reads from a borrowed byte
// range and never throws or reads past the end: the first malformed field makes ok() false
// and every later read fails too, so a decoder checks ok() once at the end.
// Neither class is thread-safe; each is owned by one decoder/encoder at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace caucus::jute {

// Largest length accepted for a single buffer/string/vector inside a record. Frames are
// bounded by jute.maxbuffer before decoding; this bound only stops absurd lengths from
// reserving memory.
inline constexpr int32_t kMaxFieldLength = 64 * 1024 * 1024;

class OutArchive {
 public:
  explicit OutArchive(std::string& out) : out_(out) {}

  void Int(int32_t v);
  void Long(int64_t v);
  void Bool(bool v) { out_.push_back(v ? 1 : 0); }
  // A jute `buffer`/`ustring`: int32 length then bytes.
  void Buffer(std::string_view v);
  void String(std::string_view v) { Buffer(v); }
  // The null buffer/string, encoded as length -1.
  void Null() { Int(-1); }
  void OptionalBuffer(const std::optional<std::string>& v);
  void StringVector(const std::vector<std::string>& v);
  // Reserves a 4-byte big-endian length placeholder at the current position; PatchLength
  // fills in the number of bytes written after it. Used for frame prefixes.
  size_t BeginLength();
  void PatchLength(size_t at);
  std::string& out() { return out_; }

 private:
  std::string& out_;
};

class InArchive {
 public:
  InArchive(const void* data, size_t size)
      : p_(static_cast<const uint8_t*>(data)), end_(p_ + size) {}
  explicit InArchive(std::string_view s) : InArchive(s.data(), s.size()) {}

  bool Int(int32_t& v);
  bool Long(int64_t& v);
  bool Bool(bool& v);
  // Null (-1) decodes as empty; use OptionalBuffer to keep the distinction.
  bool Buffer(std::string& v);
  bool String(std::string& v) { return Buffer(v); }
  bool OptionalBuffer(std::optional<std::string>& v);
  bool StringVector(std::vector<std::string>& v);

  bool ok() const { return ok_; }
  size_t remaining() const { return static_cast<size_t>(end_ - p_); }
  bool AtEnd() const { return ok_ && p_ == end_; }
  // Marks the archive as failed (used by records whose field values are invalid).
  void Fail() { ok_ = false; }

 private:
  bool Take(size_t n, const uint8_t*& at);
  const uint8_t* p_;
  const uint8_t* end_;
  bool ok_ = true;
};

}  // namespace caucus::jute
