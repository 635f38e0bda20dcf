// Snapshotter: decides when to snapshot (every ~snapCount transactions, randomized like
// ZooKeeper so replicas do not all snapshot at once, and not before the log written since the
// last snapshot is as large as that snapshot), drives the fuzzy SnapshotWriter in small
// steps on the core thread between other work, fsyncs and renames the file on a helper thread,
// then applies retention: keeps the newest autopurge.snapRetainCount snapshots and purges the
// log up to the oldest one kept.
#pragma once

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <thread>

#include "server/storage/log_writer.h"
#include "server/storage/snapshot.h"

namespace boost::asio {
class io_context;
}

namespace caucus::node {
class Node;
}

namespace caucus::runtime {

class Snapshotter {
 public:
  Snapshotter(boost::asio::io_context& io, node::Node& node, storage::LogWriter& log,
              std::string dir, int32_t snap_count, int32_t retain, uint64_t secret);
  ~Snapshotter();
  // Called every tick on the core thread.
  void MaybeStart();
  bool in_progress() const { return writer_ != nullptr; }
  // Stops the snapshot in progress, if any, and waits for its file work to end: the tree it
  // walks is about to be replaced (a learner installing its leader's snapshot).
  void Cancel();

 private:
  void StepSoon();
  void Step();
  void Finish();
  void OnCommitted(bool ok);
  void ApplyRetention();

  boost::asio::io_context& io_;
  node::Node& node_;
  storage::LogWriter& log_;
  std::string dir_;
  int32_t snap_count_;
  int32_t retain_;
  uint64_t secret_;
  int64_t threshold_;
  int64_t last_snapshot_bytes_ = 0;  // the newest snapshot's size (on disk at start, or written)
  std::mt19937_64 rng_;
  std::unique_ptr<storage::SnapshotWriter> writer_;
  std::thread committer_;
};

}  // namespace caucus::runtime
