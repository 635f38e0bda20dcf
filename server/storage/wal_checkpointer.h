// WalCheckpointer: copies the log's SQLite WAL back into the database file on a thread of its
// own, over a second connection, so that the log writer never stops to do it. SQLite's
// automatic checkpoint runs inside the commit that crosses the threshold, on the writer's
// thread, and each one holds up a group commit for a copy and an fsync of the database file
// (about a third of the durable write throughput at 1 KiB per write). A PASSIVE checkpoint
// from another connection neither waits for the writer nor blocks it.
//
// Thread-safety: Request may be called from any thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace caucus::storage {

class SqliteLog;

class WalCheckpointer {
 public:
  // `path` and `vfs` (empty: the default VFS) name the writer's database.
  WalCheckpointer(std::string path, std::string vfs);
  ~WalCheckpointer();
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

  // Asks for a checkpoint soon (the WAL grew past the writer's threshold).
  void Request();
  int64_t checkpoints() const;

 private:
  void Run();

  std::string path_;
  std::string vfs_;
  std::unique_ptr<SqliteLog> db_;  // checkpointer thread only; opened on first use
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool requested_ = false;  // guarded by mu_
  bool stopping_ = false;   // guarded by mu_
  int64_t checkpoints_ = 0; // guarded by mu_
  std::thread thread_;
};

}  // namespace caucus::storage
