#include "server/storage/sqlite_log.h"

#include <sqlite3.h>

#include "server/base/crc32c.h"
#include "server/base/zxid.h"

namespace caucus::storage {
namespace {

uint32_t RecordCrc(int64_t zxid, std::string_view payload) {
  unsigned char z[8];
  for (int i = 0; i < 8; ++i) z[i] = static_cast<unsigned char>(static_cast<uint64_t>(zxid) >> (8 * i));
  return base::Crc32c(base::Crc32c(0, z, sizeof z), payload.data(), payload.size());
}

// RAII for prepared statements.
struct Stmt {
  sqlite3_stmt* s = nullptr;
  ~Stmt() { sqlite3_finalize(s); }
};

constexpr const char* kSchema =
    "CREATE TABLE IF NOT EXISTS log ("
    "  zxid INTEGER PRIMARY KEY,"
    "  epoch INTEGER NOT NULL,"
    "  crc INTEGER NOT NULL,"
    "  payload BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);";

}  // namespace

std::unique_ptr<SqliteLog> SqliteLog::Open(const std::string& path, base::Status* status,
                                           const char* vfs) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, vfs);
  std::unique_ptr<SqliteLog> log(new SqliteLog(db, path, vfs));
  if (rc != SQLITE_OK) {
    *status = log->Error("open", rc);
    return nullptr;
  }
  sqlite3_extended_result_codes(db, 1);
  // WAL + synchronous=FULL: each commit fsyncs the WAL, so an acknowledged write survives a
  // crash or power loss. The busy timeout covers a checkpoint racing a reader. 16 KiB pages
  // (a new database only): a commit is fewer WAL frames, and SQLite writes each frame with
  // its own syscalls; measured faster than 4 KiB both for batches of 1 KiB creates (~9 %)
  // and for a lone client's small writes (p50 227 us vs 340 us), though a lone commit now
  // writes at least 16 KiB. Debian builds SQLite with SECURE_DELETE, which zero-fills every
  // page a purge frees: those zeros would go through the WAL and the checkpoint again.
  for (const char* sql : {"PRAGMA page_size=16384;", "PRAGMA journal_mode=WAL;",
                          "PRAGMA synchronous=FULL;", "PRAGMA busy_timeout=5000;",
                          "PRAGMA secure_delete=OFF;", kSchema}) {
    if (base::Status s = log->Exec(sql); !s.ok()) {
      *status = s;
      return nullptr;
    }
  }
  if (base::Status s = log->Prepare(&log->insert_,
                                    "INSERT OR REPLACE INTO log(zxid, epoch, crc, payload) "
                                    "VALUES(?, ?, ?, ?)");
      !s.ok()) {
    *status = s;
    return nullptr;
  }
  *status = base::Status::Ok();
  return log;
}

SqliteLog::~SqliteLog() {
  sqlite3_finalize(insert_);
  sqlite3_close_v2(db_);
}

base::Status SqliteLog::Error(const char* what, int rc) {
  std::string msg = std::string("sqlite ") + what + ": " + sqlite3_errstr(rc);
  if (db_ && sqlite3_errmsg(db_)) msg += std::string(" (") + sqlite3_errmsg(db_) + ")";
  int primary = rc & 0xff;
  if (primary == SQLITE_FULL) return base::Status::NoSpace(msg);
  if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB) return base::Status::Corruption(msg);
  return base::Status::IoError(msg);
}

base::Status SqliteLog::Exec(const char* sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
  sqlite3_free(err);
  return rc == SQLITE_OK ? base::Status::Ok() : Error(sql, rc);
}

base::Status SqliteLog::Prepare(sqlite3_stmt** stmt, const char* sql) {
  int rc = sqlite3_prepare_v2(db_, sql, -1, stmt, nullptr);
  return rc == SQLITE_OK ? base::Status::Ok() : Error("prepare", rc);
}

base::Status SqliteLog::Append(const std::vector<LogEntry>& batch) {
  if (batch.empty()) return base::Status::Ok();
  if (base::Status s = Exec("BEGIN IMMEDIATE;"); !s.ok()) return s;
  for (const auto& e : batch) {
    sqlite3_reset(insert_);
    sqlite3_bind_int64(insert_, 1, e.zxid);
    sqlite3_bind_int64(insert_, 2, static_cast<int64_t>(static_cast<uint64_t>(e.zxid) >> 32));
    sqlite3_bind_int64(insert_, 3, RecordCrc(e.zxid, e.payload));
    sqlite3_bind_blob(insert_, 4, e.payload.data(), static_cast<int>(e.payload.size()),
                      SQLITE_STATIC);
    int rc = sqlite3_step(insert_);
    if (rc != SQLITE_DONE) {
      base::Status s = Error("insert", rc);
      sqlite3_reset(insert_);
      (void)Exec("ROLLBACK;");
      return s;
    }
  }
  sqlite3_reset(insert_);
  base::Status s = Exec("COMMIT;");
  if (!s.ok()) (void)Exec("ROLLBACK;");
  return s;
}

base::Status SqliteLog::ReadAfter(int64_t after,
                                  const std::function<bool(int64_t, std::string_view)>& fn,
                                  int64_t* bad_zxid) {
  Stmt q;
  if (base::Status s = Prepare(&q.s, "SELECT zxid, crc, payload FROM log WHERE zxid > ? ORDER BY zxid");
      !s.ok()) {
    return s;
  }
  sqlite3_bind_int64(q.s, 1, after);
  int rc;
  while ((rc = sqlite3_step(q.s)) == SQLITE_ROW) {
    int64_t zxid = sqlite3_column_int64(q.s, 0);
    auto crc = static_cast<uint32_t>(sqlite3_column_int64(q.s, 1));
    auto data = static_cast<const char*>(sqlite3_column_blob(q.s, 2));
    std::string_view payload(data ? data : "", static_cast<size_t>(sqlite3_column_bytes(q.s, 2)));
    if (RecordCrc(zxid, payload) != crc) {
      if (bad_zxid) *bad_zxid = zxid;
      return base::Status::Corruption("checksum mismatch in log record zxid " + base::Hex(zxid));
    }
    if (!fn(zxid, payload)) return base::Status::Ok();
  }
  return rc == SQLITE_DONE ? base::Status::Ok() : Error("read", rc);
}

int64_t SqliteLog::ScalarInt(const char* sql) {
  Stmt q;
  if (!Prepare(&q.s, sql).ok()) return 0;
  return sqlite3_step(q.s) == SQLITE_ROW ? sqlite3_column_int64(q.s, 0) : 0;
}

int64_t SqliteLog::LastZxid() { return ScalarInt("SELECT COALESCE(MAX(zxid), 0) FROM log"); }
int64_t SqliteLog::FirstZxid() { return ScalarInt("SELECT COALESCE(MIN(zxid), 0) FROM log"); }

int SqliteLog::PageSize() { return static_cast<int>(ScalarInt("PRAGMA page_size")); }

bool SqliteLog::HasEntriesAfter(int64_t zxid) {
  Stmt q;
  if (!Prepare(&q.s, "SELECT 1 FROM log WHERE zxid > ? LIMIT 1").ok()) return false;
  sqlite3_bind_int64(q.s, 1, zxid);
  return sqlite3_step(q.s) == SQLITE_ROW;
}

base::Status SqliteLog::TruncateAfter(int64_t zxid) {
  Stmt q;
  if (base::Status s = Prepare(&q.s, "DELETE FROM log WHERE zxid > ?"); !s.ok()) return s;
  sqlite3_bind_int64(q.s, 1, zxid);
  int rc = sqlite3_step(q.s);
  return rc == SQLITE_DONE ? base::Status::Ok() : Error("truncate", rc);
}

base::Status SqliteLog::PurgeUpTo(int64_t zxid) {
  Stmt q;
  if (base::Status s = Prepare(&q.s, "DELETE FROM log WHERE zxid <= ?"); !s.ok()) return s;
  sqlite3_bind_int64(q.s, 1, zxid);
  int rc = sqlite3_step(q.s);
  return rc == SQLITE_DONE ? base::Status::Ok() : Error("purge", rc);
}

base::Status SqliteLog::PurgeSomeUpTo(int64_t zxid, int64_t max_rows, bool* done) {
  Stmt q;
  if (base::Status s = Prepare(&q.s, "SELECT zxid FROM log WHERE zxid <= ? ORDER BY zxid "
                                     "LIMIT 1 OFFSET ?");
      !s.ok()) {
    return s;
  }
  sqlite3_bind_int64(q.s, 1, zxid);
  sqlite3_bind_int64(q.s, 2, std::max<int64_t>(0, max_rows - 1));
  int rc = sqlite3_step(q.s);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return Error("purge", rc);
  *done = rc == SQLITE_DONE || sqlite3_column_int64(q.s, 0) == zxid;
  int64_t upto = rc == SQLITE_ROW ? sqlite3_column_int64(q.s, 0) : zxid;
  return PurgeUpTo(upto);
}

base::Status SqliteLog::Checkpoint(CheckpointMode mode, int* wal_frames) {
  int frames = 0;
  int copied = 0;
  int how = mode == CheckpointMode::kTruncate  ? SQLITE_CHECKPOINT_TRUNCATE
            : mode == CheckpointMode::kRestart ? SQLITE_CHECKPOINT_RESTART
                                               : SQLITE_CHECKPOINT_PASSIVE;
  int rc = sqlite3_wal_checkpoint_v2(db_, nullptr, how, &frames, &copied);
  if (wal_frames) *wal_frames = frames;
  // BUSY: another connection was checkpointing, or (restart) a reader held on; not an error.
  if (rc != SQLITE_OK && (rc & 0xff) != SQLITE_BUSY) return Error("checkpoint", rc);
  return base::Status::Ok();
}

void SqliteLog::OnCommit(std::function<void(int)> hook) {
  commit_hook_ = std::move(hook);
  sqlite3_wal_hook(
      db_,
      [](void* self, sqlite3*, const char*, int frames) {
        static_cast<SqliteLog*>(self)->commit_hook_(frames);
        return SQLITE_OK;
      },
      this);
}

base::Status SqliteLog::GetMeta(const std::string& key, std::string* value) {
  Stmt q;
  if (base::Status s = Prepare(&q.s, "SELECT value FROM meta WHERE key = ?"); !s.ok()) return s;
  sqlite3_bind_text(q.s, 1, key.data(), static_cast<int>(key.size()), SQLITE_STATIC);
  int rc = sqlite3_step(q.s);
  if (rc == SQLITE_DONE) return base::Status::NotFound(key);
  if (rc != SQLITE_ROW) return Error("meta read", rc);
  auto data = static_cast<const char*>(sqlite3_column_blob(q.s, 0));
  value->assign(data ? data : "", static_cast<size_t>(sqlite3_column_bytes(q.s, 0)));
  return base::Status::Ok();
}

base::Status SqliteLog::SetMeta(const std::string& key, const std::string& value) {
  Stmt q;
  if (base::Status s = Prepare(&q.s, "INSERT OR REPLACE INTO meta(key, value) VALUES(?, ?)");
      !s.ok()) {
    return s;
  }
  sqlite3_bind_text(q.s, 1, key.data(), static_cast<int>(key.size()), SQLITE_STATIC);
  sqlite3_bind_blob(q.s, 2, value.data(), static_cast<int>(value.size()), SQLITE_STATIC);
  int rc = sqlite3_step(q.s);
  return rc == SQLITE_DONE ? base::Status::Ok() : Error("meta write", rc);
}

base::Status SqliteLog::SetMetas(const std::vector<std::pair<std::string, std::string>>& kvs) {
  if (base::Status s = Exec("BEGIN IMMEDIATE"); !s.ok()) return s;
  for (const auto& [k, v] : kvs) {
    if (base::Status s = SetMeta(k, v); !s.ok()) {
      (void)Exec("ROLLBACK");
      return s;
    }
  }
  return Exec("COMMIT");
}

}  // namespace caucus::storage
