#include "server/storage/recovery.h"

#include <chrono>
#include <map>
#include <random>

#include "server/base/zxid.h"
#include "server/storage/txn_codec.h"
#include "server/txn/apply.h"

namespace caucus::storage {
namespace {

constexpr const char* kSecretKey = "session_secret";

// Milliseconds since `start`: the report says where recovery time goes (snapshot vs log).
int64_t MsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start).count();
}

// An upper bound of the transactions logged after `snap_zxid` (each creates at most one node,
// bar multis), from zxid arithmetic alone. 0 across an epoch change, where it is unknown.
size_t LoggedAfter(int64_t snap_zxid, int64_t log_last) {
  if (log_last <= snap_zxid || base::ZxidEpoch(log_last) != base::ZxidEpoch(snap_zxid)) return 0;
  return base::ZxidCounter(log_last) - base::ZxidCounter(snap_zxid);
}

// Loads the newest snapshot that verifies; damaged ones are reported and skipped.
base::Status LoadNewestSnapshot(const std::string& dir, int64_t log_first, int64_t log_last,
                                RecoveredState* out, LoadedSnapshot* loaded) {
  auto snaps = ListSnapshots(dir);
  for (const auto& [zxid, path] : snaps) {
    auto started = std::chrono::steady_clock::now();
    auto tree = std::make_unique<datatree::DataTree>();
    LoadedSnapshot ls;
    base::Status s = LoadSnapshot(path, *tree, &ls, LoggedAfter(zxid, log_last));
    if (s.ok()) {
      out->tree = std::move(tree);
      *loaded = std::move(ls);
      out->snapshot_zxid = loaded->zxid;
      out->report.push_back("loaded snapshot " + path + " (" + std::to_string(loaded->node_count) +
                            " znodes, zxid " + base::Hex(loaded->zxid) + ") in " +
                            std::to_string(MsSince(started)) + " ms");
      return base::Status::Ok();
    }
    out->report.push_back("skipping damaged snapshot " + path + ": " + s.message());
  }
  // No usable snapshot: only safe if the log still starts at the very beginning.
  if (!snaps.empty() && log_first > 1) {
    return base::Status::Corruption(
        "no valid snapshot, and the transaction log starts at zxid " + base::Hex(log_first) +
        ", so the state before it is lost; restore a snapshot or the data directory from backup");
  }
  out->tree = std::make_unique<datatree::DataTree>();
  return base::Status::Ok();
}

// Whether `next` may directly follow `prev`: the next counter, or the first of a later epoch.
bool Follows(int64_t prev, int64_t next) {
  if (next == prev + 1) return true;
  return base::ZxidEpoch(next) > base::ZxidEpoch(prev) && base::ZxidCounter(next) <= 1;
}

}  // namespace

base::Status Recover(const std::string& snap_dir, SqliteLog& log, RecoveredState* out) {
  if (int n = RemoveUnfinishedSnapshots(snap_dir); n > 0) {
    out->report.push_back("removed " + std::to_string(n) +
                          " unfinished snapshot file(s) left by an earlier crash");
  }
  LoadedSnapshot snap;
  base::Status loaded =
      LoadNewestSnapshot(snap_dir, log.FirstZxid(), log.LastZxid(), out, &snap);
  if (!loaded.ok()) return loaded;
  std::map<int64_t, int32_t> sessions;
  for (const auto& s : snap.sessions) sessions[s.id] = s.timeout_ms;
  int64_t last = snap.zxid;
  std::string decode_error;
  std::string gap_error;
  int64_t bad = 0;
  auto replay_started = std::chrono::steady_clock::now();
  base::Status scan = log.ReadAfter(snap.zxid, [&](int64_t zxid, std::string_view payload) {
    txn::Txn t;
    if (!DecodeTxn(payload, t) || t.zxid != zxid) {
      decode_error = "undecodable log record at zxid " + base::Hex(zxid);
      bad = zxid;
      return false;
    }
    // Every transaction takes the next zxid, so a hole means lost transactions.
    if (!Follows(last, zxid)) {
      gap_error = "transactions between zxid " + base::Hex(last) + " and " + base::Hex(zxid) +
                  " are missing from the log";
      return false;
    }
    txn::Apply(t, *out->tree, /*replay=*/true);
    if (t.type == jute::OpCode::kCreateSession) sessions[t.session_id] = t.ops.at(0).timeout_ms;
    if (t.type == jute::OpCode::kCloseSession) sessions.erase(t.session_id);
    last = zxid;
    ++out->replayed;
    return true;
  }, &bad);
  if (!scan.ok() && scan.code() != base::Status::Code::kCorruption) return scan;
  if (!gap_error.empty()) return base::Status::Corruption(gap_error + ": refusing to start");
  if (!scan.ok() || !decode_error.empty()) {
    std::string why = !scan.ok() ? scan.message() : decode_error;
    // A damaged *last* record is a torn tail: it was never acknowledged (the commit that
    // would have made it durable did not finish), so it is dropped. Damage before intact
    // records is not a torn write, and we refuse to guess.
    if (log.HasEntriesAfter(bad)) {
      return base::Status::Corruption(why + ", followed by intact records: refusing to start");
    }
    if (base::Status t = log.TruncateAfter(bad - 1); !t.ok()) return t;
    out->report.push_back("truncated damaged tail of the transaction log: " + why);
  }
  int64_t replay_ms = MsSince(replay_started);
  out->tree->set_last_processed_zxid(last);
  out->last_zxid = last;
  for (const auto& [id, timeout] : sessions) out->sessions.push_back(SnapshotSession{id, timeout});
  // The session secret outlives snapshots: it is in the log database.
  std::string secret;
  if (log.GetMeta(kSecretKey, &secret).ok() && secret.size() == 8) {
    for (int i = 0; i < 8; ++i) out->secret |= uint64_t{static_cast<unsigned char>(secret[static_cast<size_t>(i)])} << (8 * i);
  } else {
    std::random_device rd;
    out->secret = (uint64_t{rd()} << 32) ^ rd();
    if (snap.secret != 0) out->secret = snap.secret;
    secret.clear();
    for (int i = 0; i < 8; ++i) secret.push_back(static_cast<char>(out->secret >> (8 * i)));
    if (base::Status s = log.SetMeta(kSecretKey, secret); !s.ok()) return s;
  }
  out->report.push_back("replayed " + std::to_string(out->replayed) +
                        " transactions from the log in " + std::to_string(replay_ms) +
                        " ms; last zxid " + base::Hex(last) + ", " +
                        std::to_string(out->sessions.size()) + " live sessions");
  return base::Status::Ok();
}

}  // namespace caucus::storage
