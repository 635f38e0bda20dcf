#include "server/storage/snapshot.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "caucus/storage.pb.h"
#include "server/base/crc32c.h"
#include "server/storage/snapshot_format.h"
#include "server/storage/wire_writer.h"

namespace caucus::storage {
namespace {

using namespace snapshot_format;

constexpr size_t kFlushBytes = 1 << 20;

base::Status Errno(const std::string& what, const std::string& path) {
  int e = errno;
  std::string msg = what + " " + path + ": " + std::strerror(e);
  return e == ENOSPC || e == EDQUOT ? base::Status::NoSpace(msg) : base::Status::IoError(msg);
}

// `err` (if given) gets the errno of a failed write.
base::Status WriteAll(int fd, std::string_view buf, const std::string& path,
                      int* err = nullptr) {
  size_t off = 0;
  while (off < buf.size()) {
    ssize_t n = ::write(fd, buf.data() + off, buf.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      if (err) *err = errno;
      return Errno("cannot write", path);
    }
    off += static_cast<size_t>(n);
  }
  return base::Status::Ok();
}

std::string DirOf(const std::string& path) {
  auto pos = path.rfind('/');
  return pos == std::string::npos ? "." : path.substr(0, pos == 0 ? 1 : pos);
}

}  // namespace

std::string SnapshotFileName(int64_t zxid) {
  char b[40];
  std::snprintf(b, sizeof b, "snapshot.%016llx", static_cast<unsigned long long>(zxid));
  return b;
}

int RemoveUnfinishedSnapshots(const std::string& dir) {
  int removed = 0;
  DIR* d = opendir(dir.c_str());
  if (!d) return 0;
  std::vector<std::string> victims;
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name.rfind("snapshot.", 0) == 0 && name.size() > 4 &&
        name.compare(name.size() - 4, 4, ".tmp") == 0) {
      victims.push_back(dir + "/" + name);
    }
  }
  closedir(d);
  for (const auto& v : victims) removed += ::unlink(v.c_str()) == 0 ? 1 : 0;
  return removed;
}

std::vector<std::pair<int64_t, std::string>> ListSnapshots(const std::string& dir) {
  std::vector<std::pair<int64_t, std::string>> out;
  DIR* d = opendir(dir.c_str());
  if (!d) return out;
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name.rfind("snapshot.", 0) != 0 || name.size() != 9 + 16) continue;
    char* end = nullptr;
    unsigned long long z = std::strtoull(name.c_str() + 9, &end, 16);
    if (end && *end == '\0') out.emplace_back(static_cast<int64_t>(z), dir + "/" + name);
  }
  closedir(d);
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  return out;
}

std::unique_ptr<SnapshotWriter> SnapshotWriter::Start(const std::string& final_path, int64_t zxid,
                                                      uint64_t secret, base::Status* status,
                                                      int64_t node_count_hint) {
  std::unique_ptr<SnapshotWriter> w(new SnapshotWriter());
  w->final_path_ = final_path;
  w->tmp_path_ = final_path + ".tmp";
  w->zxid_ = zxid;
  constexpr int kFlags = O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC;
  w->fd_ = ::open(w->tmp_path_.c_str(), kFlags | O_DIRECT, 0644);
  w->direct_ = w->fd_ >= 0;
  if (w->fd_ < 0 && errno == EINVAL) w->fd_ = ::open(w->tmp_path_.c_str(), kFlags, 0644);
  if (w->fd_ < 0) {
    *status = Errno("cannot create", w->tmp_path_);
    return nullptr;
  }
  w->buffer_.append(kMagic, sizeof kMagic);
  PutU32(w->buffer_, kVersion);
  pb::SnapshotHeader h;
  h.set_zxid(zxid);
  h.set_secret(secret);
  h.set_node_count_hint(node_count_hint);
  w->Record(kHeader, h.SerializeAsString());
  *status = base::Status::Ok();
  return w;
}

// Checksums and writes the walk's buffers on a thread of its own, then the trailer (the CRC
// of every byte before it). With O_DIRECT (where the file system takes it) the bytes go from
// an aligned staging buffer straight to the disk: no copy into the page cache and no dirty
// pages for the kernel to write back later, at the time the log's fsyncs need the disk.
class SnapshotWriter::FileSink {
 public:
  FileSink(int fd, std::string path, bool direct)
      : fd_(fd), path_(std::move(path)), direct_(direct), thread_([this] { Run(); }) {}
  ~FileSink() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  FileSink(const FileSink&) = delete;
  FileSink& operator=(const FileSink&) = delete;

  // Queues `buf` and leaves an empty (recycled) buffer in its place. Waits while a few
  // buffers are queued already: a slow disk slows the walk down rather than filling memory.
  base::Status Write(std::string& buf) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return queue_.size() < kMaxQueued || !status_.ok(); });
    if (!status_.ok()) return status_;
    queue_.push_back(std::move(buf));
    buf.clear();
    if (!spare_.empty()) {
      buf.swap(spare_.back());
      spare_.pop_back();
    }
    cv_.notify_all();
    return base::Status::Ok();
  }
  // After what is queued: the trailer, then the file is complete. Does not wait.
  void Finish() {
    std::lock_guard<std::mutex> lock(mu_);
    finish_ = true;
    cv_.notify_all();
  }
  // Waits until Finish's work is done; the first error, if any.
  base::Status WaitFinished() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return finished_ || !status_.ok(); });
    return status_;
  }

 private:
  static constexpr size_t kMaxQueued = 4;
  static constexpr size_t kAlign = 4096;
  static constexpr size_t kStaging = 1 << 20;

  void Run() {
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty() || (finish_ && !finished_); });
      if (queue_.empty()) {
        if (finish_ && !finished_) {
          if (status_.ok()) {
            lock.unlock();
            base::Status s = WriteTrailer();
            lock.lock();
            if (!s.ok()) status_ = s;
          }
          finished_ = true;
          cv_.notify_all();
          continue;
        }
        if (stopping_) return;
        continue;
      }
      std::string buf = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      crc_ = base::Crc32c(crc_, buf.data(), buf.size());
      base::Status s = Put(buf);
      lock.lock();
      if (!s.ok() && status_.ok()) status_ = s;
      buf.clear();
      if (spare_.size() < kMaxQueued) spare_.push_back(std::move(buf));
      cv_.notify_all();
    }
  }

  base::Status WriteTrailer() {
    std::string trailer;
    PutU32(trailer, crc_);
    if (base::Status s = Put(trailer); !s.ok()) return s;
    if (!direct_ || staged_ == 0) return base::Status::Ok();
    // The last block goes out padded to the alignment; the file is then cut to its size.
    size_t padded = (staged_ + kAlign - 1) / kAlign * kAlign;
    std::memset(staging_.get() + staged_, 0, padded - staged_);
    if (base::Status s = WriteStaged(padded); !s.ok()) return s;
    if (::ftruncate(fd_, static_cast<off_t>(total_)) != 0) return Errno("cannot truncate", path_);
    return base::Status::Ok();
  }

  // Only this thread touches the staging buffer and the counters below.
  base::Status Put(std::string_view bytes) {
    total_ += bytes.size();
    if (!direct_) return WriteAll(fd_, bytes, path_);
    if (!staging_) {
      staging_.reset(static_cast<char*>(std::aligned_alloc(kAlign, kStaging)));
      if (!staging_) return base::Status::IoError("out of memory for a snapshot buffer");
    }
    while (!bytes.empty()) {
      size_t n = std::min(kStaging - staged_, bytes.size());
      std::memcpy(staging_.get() + staged_, bytes.data(), n);
      staged_ += n;
      bytes.remove_prefix(n);
      if (staged_ == kStaging) {
        if (base::Status s = WriteStaged(kStaging); !s.ok()) return s;
      }
    }
    return base::Status::Ok();
  }

  // Writes the first `n` (aligned) staged bytes. A file system that refuses O_DIRECT writes
  // (EINVAL) gets this and every later write through the page cache instead.
  base::Status WriteStaged(size_t n) {
    if (direct_) {
      int err = 0;
      base::Status s = WriteAll(fd_, std::string_view(staging_.get(), n), path_, &err);
      if (s.ok() || err != EINVAL) {
        staged_ = 0;
        return s;
      }
      int flags = ::fcntl(fd_, F_GETFL);
      if (flags < 0 || ::fcntl(fd_, F_SETFL, flags & ~O_DIRECT) != 0) return s;
      direct_ = false;
    }
    // Only the real bytes: padding is for direct writes.
    size_t real = std::min(n, staged_);
    staged_ = 0;
    return WriteAll(fd_, std::string_view(staging_.get(), real), path_);
  }

  struct FreeDeleter {
    void operator()(char* p) const { std::free(p); }
  };

  int fd_;
  std::string path_;
  bool direct_;
  std::unique_ptr<char, FreeDeleter> staging_;
  size_t staged_ = 0;
  uint64_t total_ = 0;
  uint32_t crc_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;   // guarded by mu_
  std::vector<std::string> spare_;  // guarded by mu_: written buffers, for reuse
  bool finish_ = false;             // guarded by mu_
  bool finished_ = false;           // guarded by mu_
  bool stopping_ = false;           // guarded by mu_
  base::Status status_;             // guarded by mu_: the first write error
  std::thread thread_;
};

SnapshotWriter::~SnapshotWriter() {
  if (fd_ >= 0) Abandon();
}

void SnapshotWriter::Record(uint8_t type, const std::string& payload) {
  PutU32(buffer_, static_cast<uint32_t>(payload.size()));
  buffer_.push_back(static_cast<char>(type));
  buffer_.append(payload);
}


base::Status SnapshotWriter::Flush() {
  if (buffer_.empty()) return base::Status::Ok();
  if (!sink_) sink_ = std::make_unique<FileSink>(fd_, tmp_path_, direct_);
  bytes_written_ += static_cast<int64_t>(buffer_.size());
  return sink_->Write(buffer_);
}

uint32_t SnapshotWriter::AclRef(const jute::AclList& acl) {
  if (has_last_acl_ && acl == last_acl_) return last_acl_ref_;
  last_acl_ = acl;
  has_last_acl_ = true;
  std::string key;
  jute::OutArchive a(key);
  jute::WriteAclList(a, acl);
  if (auto it = acl_refs_.find(key); it != acl_refs_.end()) return last_acl_ref_ = it->second;
  auto ref = static_cast<uint32_t>(acl_refs_.size());
  last_acl_ref_ = ref;
  acl_refs_.emplace(std::move(key), ref);
  pb::SnapAcl rec;
  rec.set_ref(ref);
  for (const auto& e : acl) {
    pb::Acl* p = rec.add_acl();
    p->set_perms(e.perms);
    p->set_scheme(e.id.scheme);
    p->set_id(e.id.id);
  }
  Record(kAcl, rec.SerializeAsString());
  return ref;
}

// The pb::SnapNode record, written directly into the buffer (see wire_writer.h): the data is
// copied once, and nothing is allocated per node.
void SnapshotWriter::WriteNode(const datatree::DataTree& tree, std::string_view path,
                               const datatree::Znode& n) {
  using W = WireWriter;
  uint32_t acl_ref = AclRef(tree.AclOf(n));
  std::string_view data = n.data_null ? std::string_view() : std::string_view(n.data());
  size_t size = W::LenField(path.size()) + W::LenField(data.size()) + (n.data_null ? 2 : 0) +
                W::IntField(n.czxid) + W::IntField(n.mzxid) + W::IntField(n.pzxid) +
                W::IntField(n.ctime) + W::IntField(n.mtime) + W::IntField(n.ephemeral_owner) +
                W::IntField(n.version) + W::IntField(n.cversion) + W::IntField(n.aversion) +
                W::IntField(acl_ref);
  PutU32(buffer_, static_cast<uint32_t>(size));
  buffer_.push_back(static_cast<char>(kNode));
  W w(buffer_);
  w.Bytes(1, path);
  w.Bytes(2, data);
  w.Int(3, n.data_null ? 1 : 0);
  w.Int(4, n.czxid);
  w.Int(5, n.mzxid);
  w.Int(6, n.pzxid);
  w.Int(7, n.ctime);
  w.Int(8, n.mtime);
  w.Int(9, n.ephemeral_owner);
  w.Int(10, n.version);
  w.Int(11, n.cversion);
  w.Int(12, n.aversion);
  w.Int(13, acl_ref);
  ++nodes_written_;
}

bool SnapshotWriter::Step(const datatree::DataTree& tree, size_t max_nodes, base::Status* status) {
  *status = base::Status::Ok();
  if (!root_written_) {
    root_written_ = true;
    if (const datatree::Znode* root = tree.Find("/")) WriteNode(tree, "/", *root);
    stack_.push_back(Level{"/", "", false});
  }
  size_t budget = max_nodes;
  base::Status failed;
  while (!stack_.empty() && budget > 0 && failed.ok()) {
    // Walk a run of the top level's children; stop at one that has children of its own
    // (it becomes the top level), when the budget is spent, or on a write error.
    const datatree::Znode* n = tree.Find(stack_.back().path);
    bool descend = false;
    if (n) {
      tree.VisitChildrenAfter(*n, stack_.back().last_child, !stack_.back().started,
                              [&](const datatree::Znode& c) {
        Level& top = stack_.back();
        top.started = true;
        top.last_child.assign(c.name());
        WriteNode(tree, c.path(), c);
        --budget;
        if (buffer_.size() >= kFlushBytes) failed = Flush();
        // A leaf has nothing to walk: no level for it (most znodes are leaves).
        if (c.child_count() > 0) {
          stack_.push_back(Level{std::string(c.path()), "", false});
          descend = true;
          return false;
        }
        return budget > 0 && failed.ok();
      });
    }
    if (!descend && (!n || budget > 0) && failed.ok()) stack_.pop_back();
  }
  if (!failed.ok()) {
    *status = failed;
    return true;
  }
  return stack_.empty();
}

base::Status SnapshotWriter::Seal(const session::SessionTracker& sessions) {
  int64_t count = 0;
  for (const auto& [id, s] : sessions.sessions()) {
    if (s.closing) continue;
    pb::SnapSession rec;
    rec.set_id(id);
    rec.set_timeout_ms(s.timeout_ms);
    Record(kSession, rec.SerializeAsString());
    ++count;
  }
  pb::SnapshotEnd end;
  end.set_node_count(nodes_written_);
  end.set_session_count(count);
  Record(kEnd, end.SerializeAsString());
  if (base::Status s = Flush(); !s.ok()) return s;
  sink_->Finish();  // the trailer: Commit waits for it, off the core thread
  bytes_written_ += 4;
  return base::Status::Ok();
}

base::Status SnapshotWriter::Commit() {
  if (sink_) {
    base::Status s = sink_->WaitFinished();
    sink_.reset();
    if (!s.ok()) return s;
  }
  if (::fsync(fd_) != 0) return Errno("cannot fsync", tmp_path_);
  ::close(fd_);
  fd_ = -1;
  if (::rename(tmp_path_.c_str(), final_path_.c_str()) != 0) {
    return Errno("cannot rename", tmp_path_);
  }
  int dfd = ::open(DirOf(final_path_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return base::Status::Ok();
}

void SnapshotWriter::Abandon() {
  sink_.reset();
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  ::unlink(tmp_path_.c_str());
}

}  // namespace caucus::storage
