// Recovery: rebuilds a node's state from its data directory at start-up: the newest valid
// snapshot (falling back to older ones if the newest is damaged), then every logged
// transaction after it. Says plainly what it found; refuses to start (returns an error) when
// the state cannot be rebuilt consistently, rather than serving wrong data.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "server/base/status.h"
#include "server/datatree/data_tree.h"
#include "server/storage/snapshot.h"
#include "server/storage/sqlite_log.h"

namespace caucus::storage {

struct RecoveredState {
  std::unique_ptr<datatree::DataTree> tree;
  std::vector<SnapshotSession> sessions;  // live sessions at the last zxid
  int64_t last_zxid = 0;
  int64_t snapshot_zxid = 0;              // 0 when no snapshot was used
  uint64_t secret = 0;
  int64_t replayed = 0;
  std::vector<std::string> report;        // one line per finding, for the operator
};

// `snap_dir` holds snapshot files; `log` is the opened transaction log (it may be truncated
// when its last record is torn).
base::Status Recover(const std::string& snap_dir, SqliteLog& log, RecoveredState* out);

}  // namespace caucus::storage
