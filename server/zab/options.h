// PeerOptions: the ensemble as this peer sees it, and its timing in ticks (the host decides
// how long a tick is; production uses a fraction of tickTime).
#pragma once

#include <cstdint>
#include <vector>

#include "server/zab/types.h"

namespace caucus::zab {

struct PeerOptions {
  ServerId id = 0;
  // Distinguishes this run of the process from earlier ones, so that its channel ids are new
  // (a message of a dead channel must never be taken for one of a new channel).
  uint32_t incarnation = 0;
  std::vector<ServerId> voters;     // participants (server.N without :observer), self included
  std::vector<ServerId> observers;  // non-voting members
  int32_t init_limit_ticks = 100;   // discovery + sync must finish within this
  int32_t sync_limit_ticks = 50;    // a link silent for this long is dead
  int32_t finalize_ticks = 2;       // FLE's finalizeWait: how long a quorum vote may be bettered
  int32_t vote_resend_ticks = 10;   // a LOOKING peer repeats its vote this often
  size_t log_window_entries = 10000;  // committed entries kept in memory for DIFF

  bool IsVoter(ServerId s) const;
  bool IsObserver(ServerId s) const;
  size_t Quorum() const { return voters.size() / 2 + 1; }
};

// What a peer restarts from: its durable epochs, and the tail of its log after its snapshot.
// Every entry here is durable and was applied to the host's state during recovery.
struct PersistentState {
  Epochs epochs;
  int64_t log_base = 0;  // the snapshot's zxid (0 = none)
  std::vector<Entry> entries;
};

}  // namespace caucus::zab
