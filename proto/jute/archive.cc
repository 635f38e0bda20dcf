#include "proto/jute/archive.h"

#include <cstring>

namespace caucus::jute {

void OutArchive::Int(int32_t v) {
  auto u = static_cast<uint32_t>(v);
  char b[4] = {static_cast<char>(u >> 24), static_cast<char>(u >> 16), static_cast<char>(u >> 8),
               static_cast<char>(u)};
  out_.append(b, 4);
}

void OutArchive::Long(int64_t v) {
  auto u = static_cast<uint64_t>(v);
  Int(static_cast<int32_t>(u >> 32));
  Int(static_cast<int32_t>(u & 0xffffffffu));
}

void OutArchive::Buffer(std::string_view v) {
  Int(static_cast<int32_t>(v.size()));
  out_.append(v.data(), v.size());
}

void OutArchive::OptionalBuffer(const std::optional<std::string>& v) {
  if (v) {
    Buffer(*v);
  } else {
    Null();
  }
}

void OutArchive::StringVector(const std::vector<std::string>& v) {
  Int(static_cast<int32_t>(v.size()));
  for (const auto& s : v) String(s);
}

size_t OutArchive::BeginLength() {
  size_t at = out_.size();
  Int(0);
  return at;
}

void OutArchive::PatchLength(size_t at) {
  auto len = static_cast<uint32_t>(out_.size() - at - 4);
  out_[at] = static_cast<char>(len >> 24);
  out_[at + 1] = static_cast<char>(len >> 16);
  out_[at + 2] = static_cast<char>(len >> 8);
  out_[at + 3] = static_cast<char>(len);
}

bool InArchive::Take(size_t n, const uint8_t*& at) {
  if (!ok_ || remaining() < n) {
    ok_ = false;
    return false;
  }
  at = p_;
  p_ += n;
  return true;
}

bool InArchive::Int(int32_t& v) {
  const uint8_t* b;
  if (!Take(4, b)) return false;
  v = static_cast<int32_t>((uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) |
                           uint32_t{b[3]});
  return true;
}

bool InArchive::Long(int64_t& v) {
  int32_t hi, lo;
  if (!Int(hi) || !Int(lo)) return false;
  v = static_cast<int64_t>((static_cast<uint64_t>(static_cast<uint32_t>(hi)) << 32) |
                           static_cast<uint32_t>(lo));
  return true;
}

bool InArchive::Bool(bool& v) {
  const uint8_t* b;
  if (!Take(1, b)) return false;
  v = *b != 0;
  return true;
}

bool InArchive::OptionalBuffer(std::optional<std::string>& v) {
  int32_t len;
  if (!Int(len)) return false;
  if (len == -1) {
    v.reset();
    return true;
  }
  if (len < 0 || len > kMaxFieldLength) {
    ok_ = false;
    return false;
  }
  const uint8_t* b;
  if (!Take(static_cast<size_t>(len), b)) return false;
  v.emplace(reinterpret_cast<const char*>(b), static_cast<size_t>(len));
  return true;
}

bool InArchive::Buffer(std::string& v) {
  std::optional<std::string> o;
  if (!OptionalBuffer(o)) return false;
  v = o ? std::move(*o) : std::string();
  return true;
}

bool InArchive::StringVector(std::vector<std::string>& v) {
  int32_t n;
  if (!Int(n)) return false;
  v.clear();
  if (n == -1) return true;
  // Each element needs at least 4 bytes, which bounds n by the bytes actually present.
  if (n < 0 || static_cast<size_t>(n) > remaining() / 4) {
    ok_ = false;
    return false;
  }
  v.resize(static_cast<size_t>(n));
  for (auto& s : v) {
    if (!String(s)) return false;
  }
  return true;
}

}  // namespace caucus::jute
