#include "server/base/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace caucus::base {
namespace {

Status Failed(const char* what, const std::string& path) {
  return Status::IoError(std::string(what) + " " + path + ": " + std::strerror(errno));
}

// Closes the descriptor on every path out of Open; the mapping outlives it.
struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

MappedFile::~MappedFile() {
  if (addr_) ::munmap(addr_, size_);
}

Status MappedFile::Open(const std::string& path) {
  Fd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (f.fd < 0) return Failed("cannot open", path);
  struct stat st;
  if (::fstat(f.fd, &st) != 0) return Failed("cannot stat", path);
  if (st.st_size == 0) return Status::Ok();
  // MAP_POPULATE maps the whole file up front (it is read entirely anyway), instead of taking a
  // page fault every few pages while parsing.
  void* p = ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ,
                   MAP_PRIVATE | MAP_POPULATE, f.fd, 0);
  if (p == MAP_FAILED) return Failed("cannot map", path);
  addr_ = p;
  size_ = static_cast<size_t>(st.st_size);
  ::madvise(addr_, size_, MADV_SEQUENTIAL);
  return Status::Ok();
}

}  // namespace caucus::base
