#include "caucus/recipes/rw_lock.h"

namespace caucus::recipes {
namespace {

bool IsWrite(const std::string& child) { return child.find("-write-") != std::string::npos; }

class ReadLock : public Lock {
 public:
  ReadLock(Client& c, const std::string& dir) : Lock(c, dir, {}, "read-") {}

 protected:
  // Readers share: only a writer queued before us blocks us (the nearest one).
  std::string Blocker(const std::vector<std::string>& children, size_t index) const override {
    for (size_t i = index; i-- > 0;)
      if (IsWrite(children[i])) return children[i];
    return "";
  }
};

class WriteLock : public Lock {
 public:
  WriteLock(Client& c, const std::string& dir) : Lock(c, dir, {}, "write-") {}
};

}  // namespace

ReadWriteLock::ReadWriteLock(Client& client, const std::string& dir)
    : read_(std::make_unique<ReadLock>(client, dir)),
      write_(std::make_unique<WriteLock>(client, dir)) {}

}  // namespace caucus::recipes
