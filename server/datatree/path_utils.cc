#include "server/datatree/path_utils.h"

#include <cstdint>

namespace caucus::datatree {
namespace {

// Decodes one UTF-8 sequence at s[i] strictly; returns the code point, or -1 for anything
// Java's UTF-8 decoder would replace with U+FFFD (which ZooKeeper then rejects): bad lead or
// continuation bytes, overlong forms, surrogates, values past U+10FFFF, truncation.
int32_t DecodeUtf8(std::string_view s, size_t& i) {
  auto c = static_cast<uint8_t>(s[i++]);
  if (c < 0x80) return c;
  int extra;
  int32_t min;
  if (c >= 0xC2 && c <= 0xDF) {
    extra = 1, min = 0x80;
  } else if (c >= 0xE0 && c <= 0xEF) {
    extra = 2, min = 0x800;
  } else if (c >= 0xF0 && c <= 0xF4) {
    extra = 3, min = 0x10000;
  } else {
    return -1;
  }
  if (i + static_cast<size_t>(extra) > s.size()) return -1;
  int32_t cp = c & (0x3F >> extra);
  for (int k = 0; k < extra; ++k) {
    auto d = static_cast<uint8_t>(s[i++]);
    if ((d & 0xC0) != 0x80) return -1;
    cp = (cp << 6) | (d & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return -1;
  return cp;
}

bool IsForbiddenCodePoint(int32_t cp) {
  // Code points beyond the BMP are surrogate pairs in Java's strings, which ZooKeeper rejects.
  return cp < 0 || cp <= 0x1F || (cp >= 0x7F && cp <= 0x9F) ||
         (cp >= 0xD800 && cp <= 0xF8FF) || (cp >= 0xFFF0);
}

bool IsValidComponent(std::string_view c) { return !c.empty() && c != "." && c != ".."; }

}  // namespace

bool IsValidPath(std::string_view path) {
  if (path.empty() || path[0] != '/') return false;
  if (path.size() == 1) return true;
  if (path.back() == '/') return false;
  size_t start = 1;
  for (size_t i = 1; i <= path.size(); ++i) {
    if (i == path.size() || path[i] == '/') {
      if (!IsValidComponent(path.substr(start, i - start))) return false;
      start = i + 1;
    }
  }
  for (size_t i = 0; i < path.size();) {
    if (path[i] == '\0') return false;
    if (IsForbiddenCodePoint(DecodeUtf8(path, i))) return false;
  }
  return true;
}

std::string_view ParentPath(std::string_view path) {
  auto pos = path.rfind('/');
  return pos == 0 ? path.substr(0, 1) : path.substr(0, pos);
}

std::string_view BaseName(std::string_view path) { return path.substr(path.rfind('/') + 1); }

}  // namespace caucus::datatree
