// Snapshots: the whole state (tree, ACLs, sessions) at a zxid, written without stopping the
// server and read back at recovery.
//
// File format (docs/storage.md): the 8-byte magic "CAUCUSNP", a 4-byte version, then records
// [u32 length][u8 type][Protobuf message] (header, ACL lists, nodes in pre-order, sessions,
// end), then a CRC-32C of every preceding byte. A file whose CRC does not match, or that ends
// early, is rejected as a whole.
//
// Writing is *fuzzy*, as ZooKeeper's: SnapshotWriter walks the tree a bounded number of nodes
// per Step on the core thread, while transactions keep being applied in between. Nodes created,
// changed or deleted during the walk may or may not be in the file; recovery replays the log
// from the header's zxid (the zxid when the walk started), and replay is idempotent, so the
// result is exact. The walk keeps only a cursor per tree level (no copy of the tree).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "server/base/status.h"
#include "server/datatree/data_tree.h"
#include "server/session/session_tracker.h"

namespace caucus::storage {

struct SnapshotSession {
  int64_t id = 0;
  int32_t timeout_ms = 0;
};

class SnapshotWriter {
 public:
  // Starts a snapshot of `tree` as of `zxid` into `final_path` (written to a temporary file
  // next to it first).
  // `node_count_hint` lets recovery size its index up front.
  static std::unique_ptr<SnapshotWriter> Start(const std::string& final_path, int64_t zxid,
                                               uint64_t secret, base::Status* status,
                                               int64_t node_count_hint = 0);
  ~SnapshotWriter();
  SnapshotWriter(const SnapshotWriter&) = delete;
  SnapshotWriter& operator=(const SnapshotWriter&) = delete;

  // Writes up to `max_nodes` more nodes. Returns true when the tree walk is complete.
  bool Step(const datatree::DataTree& tree, size_t max_nodes, base::Status* status);
  // Writes the sessions and queues the trailer. Does not wait for the writes.
  base::Status Seal(const session::SessionTracker& sessions);
  // Waits for the writes, then fsync, rename into place, fsync the directory. May run on any
  // thread (the snapshotter runs it on a helper thread).
  base::Status Commit();
  void Abandon();  // removes the temporary file

  int64_t zxid() const { return zxid_; }
  int64_t nodes_written() const { return nodes_written_; }
  int64_t bytes_written() const { return bytes_written_; }
  const std::string& final_path() const { return final_path_; }

 private:
  SnapshotWriter() = default;
  void Record(uint8_t type, const std::string& payload);
  base::Status Flush();
  class FileSink;
  uint32_t AclRef(const jute::AclList& acl);
  void WriteNode(const datatree::DataTree& tree, std::string_view path,
                 const datatree::Znode& n);

  struct Level {
    std::string path;
    std::string last_child;  // resume after this name
    bool started = false;
  };
  std::string final_path_;
  std::string tmp_path_;
  int fd_ = -1;
  bool direct_ = false;  // fd_ is O_DIRECT (the file system took it)
  int64_t zxid_ = 0;
  int64_t nodes_written_ = 0;
  int64_t bytes_written_ = 0;
  std::string buffer_;
  std::vector<Level> stack_;
  std::unordered_map<std::string, uint32_t> acl_refs_;  // serialized ACL list -> ref
  // Nodes mostly share one ACL: the last one looked up and its ref spare the serialization.
  jute::AclList last_acl_;
  uint32_t last_acl_ref_ = 0;
  bool has_last_acl_ = false;
  // Checksums and writes full buffers on a thread of its own, so that the walk on the core
  // thread only serializes (a write costs as much as the serialization).
  std::unique_ptr<FileSink> sink_;
  bool root_written_ = false;
};

struct LoadedSnapshot {
  int64_t zxid = 0;
  uint64_t secret = 0;
  int64_t node_count = 0;
  std::vector<SnapshotSession> sessions;
};

// Reads a snapshot into `tree` (which must be fresh). Corruption or truncation is an error.
// `headroom`: how many nodes the caller may add afterwards (log replay), so that the index is
// sized once for all of them instead of being rehashed when replay crosses its capacity.
base::Status LoadSnapshot(const std::string& path, datatree::DataTree& tree, LoadedSnapshot* out,
                          size_t headroom = 0);

// "snapshot.<16 hex digits zxid>", so that names sort by zxid.
std::string SnapshotFileName(int64_t zxid);
// Deletes the temporary files of snapshots that were never finished (a crash while writing);
// returns how many.
int RemoveUnfinishedSnapshots(const std::string& dir);
// Snapshot files in `dir`, newest (highest zxid) first.
std::vector<std::pair<int64_t, std::string>> ListSnapshots(const std::string& dir);

}  // namespace caucus::storage
