// StateSource: how a leader gets a snapshot of its host's state to SNAP a learner that is too
// far behind for a DIFF, and the no-op that opens each epoch. Called on the core thread; the state must reflect every entry the
// core has handed to the host for apply, and nothing more.
#pragma once

#include <memory>
#include <string>

namespace caucus::zab {

struct StateSnapshot {
  int64_t zxid = 0;
  std::shared_ptr<const std::string> bytes;
};

class StateSource {
 public:
  virtual ~StateSource() = default;
  virtual StateSnapshot TakeSnapshot() = 0;
  // The host's encoding of a transaction that changes nothing, with this zxid: the first
  // entry of every epoch.
  virtual std::shared_ptr<const std::string> EpochStartEntry(int64_t zxid) = 0;
};

}  // namespace caucus::zab
