// WalCheck: verifies SQLite's write-ahead log file before SQLite opens it.
//
// SQLite recovers a WAL by keeping the frames up to the first frame whose checksum fails and
// silently dropping everything after it. That is right for a torn tail (an unfinished commit),
// but a damaged frame *followed by committed frames* means committed, acknowledged transactions
// would vanish without a word. This check tells the two apart: it verifies each frame against
// its predecessor's stored checksum, so one bad frame does not hide the frames after it.
#pragma once

#include <string>

#include "server/base/status.h"

namespace caucus::storage {

// Ok when the WAL at `wal_path` is absent, intact, or only torn at its tail (then `*finding`
// says so). Corruption when a damaged frame is followed by a valid commit frame of the same
// WAL generation.
base::Status CheckWal(const std::string& wal_path, std::string* finding);

}  // namespace caucus::storage
