// MappedFile: a whole file mapped read-only, for reading a large file once front to back
// without copying it through a buffer (snapshot loading). Unmapped on destruction.
#pragma once

#include <string>
#include <string_view>

#include "server/base/status.h"

namespace caucus::base {

class MappedFile {
 public:
  MappedFile() = default;
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  // Maps `path` (an empty file maps to an empty view) and asks the kernel to read ahead.
  Status Open(const std::string& path);
  std::string_view data() const { return {static_cast<const char*>(addr_), size_}; }

 private:
  void* addr_ = nullptr;
  size_t size_ = 0;
};

}  // namespace caucus::base
