// Znode path rules, as ZooKeeper's PathUtils.validatePath enforces them.
#pragma once

#include <string_view>

namespace caucus::datatree {

// True if `path` is a valid absolute znode path: starts with '/', no trailing '/', no empty,
// "." or ".." component, and none of the code points ZooKeeper rejects (controls, U+007F to
// U+009F, U+D800 to U+F8FF, U+FFF0 to U+FFFF, anything beyond the BMP).
bool IsValidPath(std::string_view path);

// "/a/b" -> "/a"; "/a" -> "/". Requires a valid path other than "/".
std::string_view ParentPath(std::string_view path);
// "/a/b" -> "b".
std::string_view BaseName(std::string_view path);

}  // namespace caucus::datatree
