// SqliteLog: the transaction log, one row per transaction in an SQLite database in WAL mode
// with synchronous=FULL, so a committed batch is on disk (fsync'ed) when Append returns.
// Rows are keyed by zxid and carry the epoch and a CRC-32C of (zxid, payload), which catches
// damage SQLite cannot see (a flipped byte inside a payload).
//
// Supports what replication needs too: reading a range after a zxid and truncating after a
// zxid. Not thread-safe: used by one thread at a time (the log writer thread, or recovery
// before the server starts).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "server/base/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace caucus::storage {

struct LogEntry {
  int64_t zxid = 0;
  std::string payload;
};

class SqliteLog {
 public:
  // Opens (creating if needed) the log database at `path`. `vfs` selects an SQLite VFS by name
  // (nullptr = the default); tests pass the fault-injection VFS.
  static std::unique_ptr<SqliteLog> Open(const std::string& path, base::Status* status,
                                         const char* vfs = nullptr);
  ~SqliteLog();
  SqliteLog(const SqliteLog&) = delete;
  SqliteLog& operator=(const SqliteLog&) = delete;

  // Appends the batch in one transaction; durable when it returns Ok. On error nothing of the
  // batch is in the log.
  base::Status Append(const std::vector<LogEntry>& batch);

  // Calls `fn(zxid, payload)` for every entry with zxid > `after`, in zxid order, until it
  // returns false. A record whose checksum does not match stops the scan with Corruption and
  // sets *bad_zxid.
  base::Status ReadAfter(int64_t after,
                         const std::function<bool(int64_t, std::string_view)>& fn,
                         int64_t* bad_zxid = nullptr);
  // Whether any entry with zxid > `zxid` exists.
  bool HasEntriesAfter(int64_t zxid);
  base::Status TruncateAfter(int64_t zxid);  // drops entries with zxid > `zxid`
  base::Status PurgeUpTo(int64_t zxid);      // drops entries with zxid <= `zxid`
  // Drops at most `max_rows` of the oldest entries with zxid <= `zxid`; *done tells whether
  // none of those is left. A purge in small steps never holds up appends for long.
  base::Status PurgeSomeUpTo(int64_t zxid, int64_t max_rows, bool* done);
  int64_t LastZxid();                        // 0 when empty
  int PageSize();                            // bytes per page (per WAL frame)
  int64_t FirstZxid();                       // 0 when empty

  base::Status GetMeta(const std::string& key, std::string* value);
  base::Status SetMeta(const std::string& key, const std::string& value);
  // Several keys in one transaction (one fsync): replication's two epochs change together.
  base::Status SetMetas(const std::vector<std::pair<std::string, std::string>>& kvs);

  // Copies the WAL into the database file. Passive copies what it can without waiting for
  // (or blocking) a writer on another connection; restart waits, copies everything, and
  // makes the next commit start the WAL over; truncate also cuts the WAL file to nothing
  // (gives its space back). *wal_frames: the WAL's size in frames.
  enum class CheckpointMode { kPassive, kRestart, kTruncate };
  base::Status Checkpoint(CheckpointMode mode, int* wal_frames = nullptr);
  // Calls `hook(frames)` after each commit with the WAL's size in frames. Replaces SQLite's
  // automatic checkpoint on this connection: the caller checkpoints.
  void OnCommit(std::function<void(int)> hook);
  const std::string& path() const { return path_; }
  const std::string& vfs() const { return vfs_; }

 private:
  SqliteLog(sqlite3* db, std::string path, const char* vfs)
      : db_(db), path_(std::move(path)), vfs_(vfs ? vfs : "") {}
  base::Status Exec(const char* sql);
  base::Status Error(const char* what, int rc);
  base::Status Prepare(sqlite3_stmt** stmt, const char* sql);
  int64_t ScalarInt(const char* sql);

  sqlite3* db_;
  std::string path_;
  std::string vfs_;
  std::function<void(int)> commit_hook_;
  sqlite3_stmt* insert_ = nullptr;
};

}  // namespace caucus::storage
