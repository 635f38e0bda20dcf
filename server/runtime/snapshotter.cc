#include "server/runtime/snapshotter.h"

#include <sys/stat.h>
#include <unistd.h>

#include <utility>  // must precede Asio: Boost 1.74 awaitable.hpp lacks it under C++20

#include <boost/asio.hpp>

#include "server/base/log.h"
#include "server/base/zxid.h"
#include "server/node/node.h"

namespace caucus::runtime {
namespace {
constexpr size_t kNodesPerStep = 2000;
}

Snapshotter::Snapshotter(boost::asio::io_context& io, node::Node& node, storage::LogWriter& log,
                         std::string dir, int32_t snap_count, int32_t retain, uint64_t secret)
    : io_(io),
      node_(node),
      log_(log),
      dir_(std::move(dir)),
      snap_count_(std::max(2, snap_count)),
      retain_(std::max(3, retain)),
      secret_(secret),
      rng_(std::random_device{}()) {
  // ZooKeeper's randomRoll: somewhere in [snapCount/2 + 1, snapCount].
  threshold_ = snap_count_ / 2 + 1 + static_cast<int64_t>(rng_() % (snap_count_ / 2 + 1));
  auto snaps = storage::ListSnapshots(dir_);
  struct stat st {};
  if (!snaps.empty() && ::stat(snaps.front().second.c_str(), &st) == 0) {
    last_snapshot_bytes_ = static_cast<int64_t>(st.st_size);
  }
}

Snapshotter::~Snapshotter() {
  if (committer_.joinable()) committer_.join();
}

// Both conditions must hold. The second keeps snapshot writing within the log's own bytes
// when every transaction grows the tree (1 KiB creates would otherwise write a snapshot of
// the whole, ever larger tree every snapCount transactions: quadratic), while recovery never
// replays more than about one snapshot's worth of log. Half a snapshot cost 1 KiB creates a
// fifth of their throughput (the walk runs on the core thread) for little recovery time. When the tree does not grow (updates
// in place), snapshots are small and snapCount alone decides, as in ZooKeeper.
void Snapshotter::MaybeStart() {
  if (writer_ || node_.txns_since_snapshot() < threshold_ ||
      node_.txn_bytes_since_snapshot() < last_snapshot_bytes_) {
    return;
  }
  if (committer_.joinable()) committer_.join();
  int64_t zxid = node_.last_zxid();
  base::Status s;
  writer_ = storage::SnapshotWriter::Start(dir_ + "/" + storage::SnapshotFileName(zxid), zxid,
                                           secret_, &s,
                                           static_cast<int64_t>(node_.tree().node_count()));
  if (!writer_) {
    CAUCUS_LOG(Warn) << "cannot start a snapshot: " << s.message();
    node_.ResetSnapshotCounter();  // retry after another snapCount transactions
    return;
  }
  node_.ResetSnapshotCounter();
  threshold_ = snap_count_ / 2 + 1 + static_cast<int64_t>(rng_() % (snap_count_ / 2 + 1));
  CAUCUS_LOG(Info) << "snapshot at zxid " << base::Hex(zxid) << " started";
  StepSoon();
}

void Snapshotter::Cancel() {
  if (committer_.joinable()) committer_.join();
  if (writer_) writer_->Abandon();
  writer_.reset();
}

void Snapshotter::StepSoon() {
  boost::asio::post(io_, [this] { Step(); });
}

void Snapshotter::Step() {
  if (!writer_) return;
  base::Status s;
  bool done = writer_->Step(node_.tree(), kNodesPerStep, &s);
  if (!s.ok()) {
    CAUCUS_LOG(Warn) << "snapshot abandoned: " << s.message();
    writer_->Abandon();
    writer_.reset();
    return;
  }
  if (done) {
    Finish();
  } else {
    StepSoon();
  }
}

void Snapshotter::Finish() {
  if (base::Status s = writer_->Seal(node_.sessions()); !s.ok()) {
    CAUCUS_LOG(Warn) << "snapshot abandoned: " << s.message();
    writer_->Abandon();
    writer_.reset();
    return;
  }
  // fsync can take long on a busy disk: do it off the core thread.
  committer_ = std::thread([this] {
    base::Status s = writer_->Commit();
    if (!s.ok()) CAUCUS_LOG(Warn) << "snapshot abandoned: " << s.message();
    boost::asio::post(io_, [this, ok = s.ok()] { OnCommitted(ok); });
  });
}

void Snapshotter::OnCommitted(bool ok) {
  if (!writer_) return;  // cancelled meanwhile
  if (!ok) {
    writer_->Abandon();
  } else {
    CAUCUS_LOG(Info) << "snapshot " << writer_->final_path() << " written ("
                     << writer_->nodes_written() << " znodes, " << writer_->bytes_written()
                     << " bytes)";
    last_snapshot_bytes_ = writer_->bytes_written();
  }
  writer_.reset();
  if (ok) ApplyRetention();
}

void Snapshotter::ApplyRetention() {
  auto snaps = storage::ListSnapshots(dir_);
  if (snaps.size() < static_cast<size_t>(retain_)) return;
  for (size_t i = static_cast<size_t>(retain_); i < snaps.size(); ++i) {
    ::unlink(snaps[i].second.c_str());
  }
  // Keep the log from the oldest retained snapshot on, so any of them can be the fallback.
  log_.Purge(snaps[static_cast<size_t>(retain_) - 1].first);
}

}  // namespace caucus::runtime
