#include "server/storage/wal_checkpointer.h"

#include "server/base/log.h"
#include "server/storage/sqlite_log.h"

namespace caucus::storage {

WalCheckpointer::WalCheckpointer(std::string path, std::string vfs)
    : path_(std::move(path)), vfs_(std::move(vfs)), thread_([this] { Run(); }) {}

WalCheckpointer::~WalCheckpointer() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  thread_.join();
}

void WalCheckpointer::Request() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    requested_ = true;
  }
  cv_.notify_one();
}

int64_t WalCheckpointer::checkpoints() const {
  std::lock_guard<std::mutex> lock(mu_);
  return checkpoints_;
}

void WalCheckpointer::Run() {
  bool warned = false;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || requested_; });
      if (stopping_) return;
      requested_ = false;
    }
    if (!db_) {
      base::Status s;
      db_ = SqliteLog::Open(path_, &s, vfs_.empty() ? nullptr : vfs_.c_str());
      if (!db_) {
        // The writer falls back to checkpointing itself when the WAL keeps growing.
        if (!warned) CAUCUS_LOG(Warn) << "cannot open the log for checkpoints: " << s.message();
        warned = true;
        continue;
      }
    }
    base::Status s = db_->Checkpoint(SqliteLog::CheckpointMode::kPassive);
    if (!s.ok() && !warned) {
      CAUCUS_LOG(Warn) << "log checkpoint failed: " << s.message();
      warned = true;
    }
    std::lock_guard<std::mutex> lock(mu_);
    ++checkpoints_;
  }
}

}  // namespace caucus::storage
