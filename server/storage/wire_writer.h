// WireWriter: appends Protobuf wire-format fields to a string, for the hot records (log
// entries, snapshot nodes) whose Protobuf message would cost a copy of the data and an
// allocation per field. Writes proto3's canonical form when fields are written in number
// order: zero scalars and empty strings left out, repeated elements always written.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace caucus::storage {

// Field numbers 1 to 15 only (one-byte tags), which is all the hot records use.
class WireWriter {
 public:
  explicit WireWriter(std::string& out) : out_(out) {}
  static size_t VarintSize(uint64_t v) {
    size_t n = 1;
    while (v >= 0x80) {
      v >>= 7;
      ++n;
    }
    return n;
  }
  // Negative int32s are sign-extended to 64 bits, as Protobuf does.
  static uint64_t Wide(int64_t v) { return static_cast<uint64_t>(v); }
  static size_t IntField(int64_t v) { return v ? 1 + VarintSize(Wide(v)) : 0; }
  static size_t LenField(size_t len, bool always = false) {
    return len || always ? 1 + VarintSize(len) + len : 0;
  }

  void Varint(uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<char>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
  }
  void Int(int field, int64_t v) {
    if (v == 0) return;
    Varint(static_cast<uint64_t>(field) << 3);
    Varint(Wide(v));
  }
  void Len(int field, size_t len) {
    Varint(static_cast<uint64_t>(field) << 3 | 2);
    Varint(len);
  }
  void Bytes(int field, std::string_view b) {
    if (b.empty()) return;
    Len(field, b.size());
    out_.append(b);
  }
  void Raw(std::string_view b) { out_.append(b); }

 private:
  std::string& out_;
};

}  // namespace caucus::storage
