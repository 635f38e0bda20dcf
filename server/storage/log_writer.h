// LogWriter: the storage thread. Takes transactions from the core (node::TxnLog::Append),
// and group-commits them: everything queued while the previous commit was running goes into
// the next SQLite transaction, one fsync for the whole batch, so durable throughput grows with
// concurrency. Reports each batch's outcome through `Completion`, called on the storage
// thread (the runtime forwards it to the core thread).
//
// Thread-safety: Append/Purge/Stop may be called from any thread; SqliteLog is used only by
// the storage thread after construction.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "server/base/status.h"
#include "server/node/txn_log.h"
#include "server/storage/sqlite_log.h"
#include "server/storage/wal_checkpointer.h"

namespace caucus::storage {

struct LogWriterStats {
  int64_t batches = 0;
  int64_t entries = 0;
  int64_t failures = 0;
  int64_t forced_checkpoints = 0;  // the WAL outgrew the background checkpoints
};

class LogWriter : public node::TxnLog {
 public:
  // (generation, last durable zxid of the batch, status). On failure the zxid is 0.
  using Completion = std::function<void(uint64_t, int64_t, const base::Status&)>;

  LogWriter(std::unique_ptr<SqliteLog> log, Completion done);
  ~LogWriter() override;
  LogWriter(const LogWriter&) = delete;
  LogWriter& operator=(const LogWriter&) = delete;

  void Append(const txn::Txn& txn, uint64_t generation) override;
  // Appends an already encoded entry (replication hands the leader's bytes on unchanged).
  void AppendEncoded(int64_t zxid, std::string payload, uint64_t generation);
  // Runs `job` on the storage thread after everything queued before it, and waits for it:
  // for the rare writes that must be durable before the core goes on (epochs, truncation).
  base::Status RunSync(std::function<base::Status(SqliteLog&)> job);
  // Drops log entries up to `zxid` (after a snapshot covering them is safely on disk).
  void Purge(int64_t zxid);
  // Finishes the queued work and joins the thread.
  void Stop();
  LogWriterStats stats() const;

 private:
  struct Item {
    uint64_t generation;
    LogEntry entry;
    std::function<void(SqliteLog&)> job;  // set for RunSync items
  };
  void Run();
  void CommitBatch(std::deque<Item>& batch);
  void OnWalCommit(int frames);
  void BoundWal();
  void ReclaimWal();

  std::unique_ptr<SqliteLog> log_;
  Completion done_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> queue_;      // guarded by mu_
  std::vector<std::string> spare_payloads_;  // guarded by mu_: written payloads, for reuse
  int64_t purge_upto_ = 0;      // guarded by mu_
  bool stopping_ = false;       // guarded by mu_
  uint64_t failed_generation_ = 0;  // storage thread only: drop items of failed generations
  bool any_failure_ = false;        // storage thread only
  bool reclaim_wal_ = false;        // storage thread only: a commit failed on a full disk
  LogWriterStats stats_;            // guarded by mu_
  std::unique_ptr<WalCheckpointer> checkpointer_;  // null for an in-memory log
  const int checkpoint_frames_;     // the WAL thresholds in frames of this log's page size
  const int restart_frames_;
  int wal_frames_ = 0;              // storage thread only: the WAL's size after the last commit
  int requested_at_frames_ = 0;     // storage thread only: its size at the last request
  std::thread thread_;
};

}  // namespace caucus::storage
