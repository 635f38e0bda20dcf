#include "server/storage/log_writer.h"

#include <algorithm>
#include <future>
#include <vector>

#include "server/base/log.h"
#include "server/storage/txn_codec.h"

namespace caucus::storage {
namespace {
// Rows a purge deletes between two batches of appends (about 2 MB of 1 KiB transactions).
constexpr int64_t kPurgeRowsPerStep = 2000;
// WAL bytes written since the last request after which the checkpointer is asked to copy them
// back: SQLite's own default threshold (1,000 frames) at its default 4 KiB page. In bytes, not
// frames, so that a larger page does not let the WAL outgrow a small disk before a checkpoint.
constexpr int64_t kCheckpointBytes = 4 << 20;
// The WAL starts over only if a commit finds it wholly copied back, which a steady stream of
// commits racing the checkpointer rarely allows. Past this size the writer checkpoints it
// itself (little is left to copy by then) so that the next commit starts it over.
constexpr int64_t kRestartBytes = 64 << 20;

int FramesFor(int64_t bytes, int page_size) {
  return static_cast<int>(std::max<int64_t>(1, bytes / std::max(512, page_size)));
}

// Payload buffers kept for reuse: about two batches' worth, none larger than a typical txn.
constexpr size_t kMaxSparePayloads = 1024;
constexpr size_t kMaxSparePayloadBytes = 16 << 10;

bool IsFile(const std::string& path) { return !path.empty() && path != ":memory:"; }
}  // namespace

LogWriter::LogWriter(std::unique_ptr<SqliteLog> log, Completion done)
    : log_(std::move(log)),
      done_(std::move(done)),
      checkpointer_(IsFile(log_->path())
                        ? std::make_unique<WalCheckpointer>(log_->path(), log_->vfs())
                        : nullptr),
      checkpoint_frames_(FramesFor(kCheckpointBytes, log_->PageSize())),
      restart_frames_(FramesFor(kRestartBytes, log_->PageSize())),
      thread_([this] { Run(); }) {}

void LogWriter::OnWalCommit(int frames) {
  if (frames < wal_frames_) requested_at_frames_ = 0;  // the WAL started over
  wal_frames_ = frames;
  // Asking once per kCheckpointBytes of new frames, not after every commit: each checkpoint
  // ends with an fsync of the database file.
  if (frames - requested_at_frames_ >= checkpoint_frames_) {
    requested_at_frames_ = frames;
    checkpointer_->Request();
  }
}

void LogWriter::BoundWal() {
  if (wal_frames_ < restart_frames_) return;
  int frames = 0;
  if (base::Status s = log_->Checkpoint(SqliteLog::CheckpointMode::kRestart, &frames); !s.ok()) {
    CAUCUS_LOG(Warn) << "log checkpoint failed: " << s.message();
  }
  wal_frames_ = requested_at_frames_ = 0;  // until the next commit says otherwise
  std::lock_guard<std::mutex> lock(mu_);
  ++stats_.forced_checkpoints;
}

// After a full disk, the WAL may hold most of the space, and it only starts over after a
// complete checkpoint. At the first commit that succeeds again (some space is back), copy it
// back and cut it to nothing, so that the log grows from the start of an empty WAL instead of
// filling the disk again at its end.
void LogWriter::ReclaimWal() {
  if (base::Status s = log_->Checkpoint(SqliteLog::CheckpointMode::kTruncate); !s.ok()) {
    CAUCUS_LOG(Warn) << "log checkpoint after a full disk failed: " << s.message();
    return;
  }
  reclaim_wal_ = false;
  wal_frames_ = requested_at_frames_ = 0;
}

LogWriter::~LogWriter() { Stop(); }

void LogWriter::Append(const txn::Txn& txn, uint64_t generation) {
  // Encoding happens on the caller's thread: it is cheap, and it keeps the Txn immutable here.
  // Into a buffer this thread wrote before and the storage thread gave back: a fresh one per
  // transaction, freed by the other thread, made the two contend for malloc's arena lock.
  Item item{generation, LogEntry{txn.zxid, {}}, {}};
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!spare_payloads_.empty()) {
      item.entry.payload.swap(spare_payloads_.back());
      spare_payloads_.pop_back();
    }
  }
  EncodeTxnInto(txn, item.entry.payload);
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(std::move(item));
  }
  cv_.notify_one();
}

void LogWriter::AppendEncoded(int64_t zxid, std::string payload, uint64_t generation) {
  Item item{generation, LogEntry{zxid, std::move(payload)}, {}};
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(std::move(item));
  }
  cv_.notify_one();
}

base::Status LogWriter::RunSync(std::function<base::Status(SqliteLog&)> job) {
  std::promise<base::Status> done;
  auto result = done.get_future();
  Item item{0, {}, [&job, &done](SqliteLog& log) { done.set_value(job(log)); }};
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(std::move(item));
  }
  cv_.notify_one();
  return result.get();
}

void LogWriter::Purge(int64_t zxid) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (zxid > purge_upto_) purge_upto_ = zxid;
  }
  cv_.notify_one();
}

void LogWriter::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

LogWriterStats LogWriter::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

void LogWriter::Run() {
  if (checkpointer_) log_->OnCommit([this](int frames) { OnWalCommit(frames); });
  while (true) {
    std::deque<Item> batch;
    int64_t purge = 0;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty() || purge_upto_ > 0; });
      if (queue_.empty() && purge_upto_ == 0 && stopping_) return;
      batch.swap(queue_);
      purge = purge_upto_;
      purge_upto_ = 0;
    }
    // Jobs run in queue order: the entries before a job are committed first.
    std::deque<Item> entries;
    for (auto& item : batch) {
      if (!item.job) {
        entries.push_back(std::move(item));
        continue;
      }
      if (!entries.empty()) CommitBatch(entries);
      entries.clear();
      item.job(*log_);
    }
    if (!entries.empty()) CommitBatch(entries);
    if (checkpointer_) BoundWal();
    if (purge > 0) {
      bool done = true;
      if (base::Status s = log_->PurgeSomeUpTo(purge, kPurgeRowsPerStep, &done); !s.ok()) {
        CAUCUS_LOG(Warn) << "could not purge the transaction log: " << s.message();
      } else if (!done) {
        // The rest after the appends that arrived meanwhile.
        std::lock_guard<std::mutex> lock(mu_);
        purge_upto_ = std::max(purge_upto_, purge);
      }
    }
  }
}

void LogWriter::CommitBatch(std::deque<Item>& batch) {
  // Items of a generation that already failed are never written: the core has told their
  // clients they failed and will reuse their zxids.
  std::vector<LogEntry> entries;
  uint64_t generation = 0;
  for (auto& item : batch) {
    if (any_failure_ && item.generation <= failed_generation_) continue;
    generation = item.generation;
    entries.push_back(std::move(item.entry));
  }
  if (entries.empty()) return;
  base::Status s = log_->Append(entries);
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& e : entries) {
      if (spare_payloads_.size() >= kMaxSparePayloads) break;
      if (e.payload.capacity() > kMaxSparePayloadBytes) continue;
      spare_payloads_.push_back(std::move(e.payload));
    }
    if (s.ok()) {
      ++stats_.batches;
      stats_.entries += static_cast<int64_t>(entries.size());
    } else {
      ++stats_.failures;
    }
  }
  if (!s.ok()) {
    any_failure_ = true;
    failed_generation_ = generation;
    done_(generation, 0, s);
    if (s.code() == base::Status::Code::kNoSpace && checkpointer_) reclaim_wal_ = true;
    return;
  }
  if (reclaim_wal_) ReclaimWal();
  done_(generation, entries.back().zxid, s);
}

}  // namespace caucus::storage
