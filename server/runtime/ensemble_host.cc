#include "server/runtime/ensemble_host.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iterator>

#include "server/base/assert.h"
#include "server/base/log.h"
#include "server/base/zxid.h"
#include "server/node/node.h"
#include "server/runtime/clock.h"
#include "server/runtime/snapshotter.h"
#include "server/storage/log_writer.h"
#include "server/storage/snapshot.h"
#include "server/storage/txn_codec.h"

namespace caucus::runtime {
namespace {

// Replication cannot go on safely if ZAB's own state cannot be made durable: stop loudly.
void MustSucceed(const base::Status& s, const char* what) {
  if (s.ok()) return;
  CAUCUS_LOG(Error) << what << ": " << s.message();
  CAUCUS_PANIC("could not persist the replication state");
}

base::Status WriteFileDurably(const std::string& path, const std::string& bytes) {
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return base::Status::IoError("cannot create " + tmp);
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n <= 0) {
      ::close(fd);
      return base::Status::IoError("cannot write " + tmp);
    }
    done += static_cast<size_t>(n);
  }
  bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced || ::rename(tmp.c_str(), path.c_str()) != 0) {
    return base::Status::IoError("cannot make " + path + " durable");
  }
  return base::Status::Ok();
}

}  // namespace

void EnsembleHost::PersistEpochs(const zab::Epochs& epochs) {
  MustSucceed(writer_.RunSync([epochs](storage::SqliteLog& log) {
    return log.SetMetas({{"acceptedEpoch", std::to_string(epochs.accepted)},
                         {"currentEpoch", std::to_string(epochs.current)},
                         {"readFloor", std::to_string(epochs.read_floor)}});
  }), "persisting the epochs");
}

void EnsembleHost::TruncateLog(int64_t after_zxid) {
  CAUCUS_LOG(Info) << "truncating the log after " << base::Hex(after_zxid)
                   << " to match the leader";
  MustSucceed(writer_.RunSync([after_zxid](storage::SqliteLog& log) {
    return log.TruncateAfter(after_zxid);
  }), "truncating the log");
}

// The leader's state replaces ours. Order matters for a crash in between: first the log goes
// (an old snapshot with an empty log is an older but consistent state), then every snapshot
// newer than the new one (it may hold a divergent history), then the new snapshot appears.
node::InstalledState EnsembleHost::InstallSnapshot(int64_t zxid, const std::string& state) {
  if (snapshotter_) snapshotter_->Cancel();
  MustSucceed(writer_.RunSync([](storage::SqliteLog& log) { return log.TruncateAfter(0); }),
              "emptying the log for the leader's snapshot");
  for (const auto& [z, path] : storage::ListSnapshots(snap_dir_)) {
    if (z >= zxid) ::unlink(path.c_str());
  }
  std::string path = snap_dir_ + "/" + storage::SnapshotFileName(zxid);
  MustSucceed(WriteFileDurably(path, state), "writing the leader's snapshot");
  node::InstalledState out;
  out.tree = std::make_unique<datatree::DataTree>();
  storage::LoadedSnapshot loaded;
  MustSucceed(storage::LoadSnapshot(path, *out.tree, &loaded), "loading the leader's snapshot");
  for (const auto& s : loaded.sessions) out.sessions.emplace_back(s.id, s.timeout_ms);
  return out;
}

std::string EnsembleHost::TakeSnapshot(const datatree::DataTree& tree,
                                       const session::SessionTracker& sessions, int64_t zxid) {
  std::string path = snap_dir_ + "/learner-sync.snapshot";
  base::Status s;
  auto w = storage::SnapshotWriter::Start(path, zxid, secret_, &s,
                                          static_cast<int64_t>(tree.node_count()));
  MustSucceed(s, "starting a snapshot for a learner");
  while (!w->Step(tree, 1 << 20, &s)) MustSucceed(s, "writing a snapshot for a learner");
  MustSucceed(s, "writing a snapshot for a learner");
  MustSucceed(w->Seal(sessions), "sealing a snapshot for a learner");
  MustSucceed(w->Commit(), "writing a snapshot for a learner");
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ::unlink(path.c_str());
  CAUCUS_LOG(Info) << "sending a snapshot at " << base::Hex(zxid) << " to a learner ("
                   << bytes.size() << " bytes)";
  return bytes;
}

void EnsembleHost::AppendLog(const zab::Entry& entry, uint64_t generation) {
  writer_.AppendEncoded(entry.zxid, *entry.data, generation);
}

void EnsembleHost::SendVote(zab::ServerId to, const zab::Notification& n) {
  transport_->SendVote(to, n);
}

void EnsembleHost::OpenChannel(zab::ChannelId channel, zab::ServerId to) {
  transport_->Open(channel, to);
}

void EnsembleHost::SendMessage(zab::ChannelId channel, const zab::Message& m) {
  transport_->Send(channel, m);
}

void EnsembleHost::CloseChannel(zab::ChannelId channel) { transport_->Close(channel); }

std::string EnsembleHost::EncodeTxn(const txn::Txn& t) { return storage::EncodeTxn(t); }

bool EnsembleHost::DecodeTxn(std::string_view bytes, txn::Txn* out) {
  return storage::DecodeTxn(bytes, *out);
}

void EnsembleHost::OnNotification(zab::ServerId from, const zab::Notification& n) {
  node_->OnPeerNotification(from, n, Clock());
}

void EnsembleHost::OnMessage(zab::ServerId from, zab::ChannelId channel, zab::Message m) {
  node_->OnPeerMessage(from, channel, m, Clock());
}

void EnsembleHost::OnChannelClosed(zab::ChannelId channel) {
  node_->OnPeerChannelClosed(channel, Clock());
}

}  // namespace caucus::runtime
