// ReadWriteLock: a fair distributed shared/exclusive lock (Curator's
// InterProcessReadWriteLock). Readers share the lock; a writer excludes everyone. Waiting
// is in arrival order: a reader waits only for the last writer queued before it, a writer for
// the node just before it. Same fault handling and fencing tokens as Lock.
//
// Thread-safety: as Lock; read() and write() are separate Lock objects.
#pragma once

#include "caucus/recipes/lock.h"

namespace caucus::recipes {

class ReadWriteLock {
 public:
  ReadWriteLock(Client& client, const std::string& dir);
  Lock& read() { return *read_; }
  Lock& write() { return *write_; }

 private:
  std::unique_ptr<Lock> read_, write_;
};

}  // namespace caucus::recipes
