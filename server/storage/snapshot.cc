#include "server/storage/snapshot.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "caucus/storage.pb.h"
#include "server/base/crc32c.h"

namespace caucus::storage {
namespace {

constexpr char kMagic[8] = {'C', 'A', 'U', 'C', 'U', 'S', 'N', 'P'};
constexpr uint32_t kVersion = 1;
constexpr size_t kFlushBytes = 1 << 20;
constexpr uint32_t kMaxRecordBytes = 256u << 20;

enum RecordType : uint8_t { kHeader = 1, kAcl = 2, kNode = 3, kSession = 4, kEnd = 5 };

void PutU32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}

uint32_t GetU32(const unsigned char* p) {
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}

base::Status Errno(const std::string& what, const std::string& path) {
  int e = errno;
  std::string msg = what + " " + path + ": " + std::strerror(e);
  return e == ENOSPC || e == EDQUOT ? base::Status::NoSpace(msg) : base::Status::IoError(msg);
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
  w->fd_ = ::open(w->tmp_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
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

SnapshotWriter::~SnapshotWriter() {
  if (fd_ >= 0) Abandon();
}

void SnapshotWriter::Record(uint8_t type, const std::string& payload) {
  PutU32(buffer_, static_cast<uint32_t>(payload.size()));
  buffer_.push_back(static_cast<char>(type));
  buffer_.append(payload);
}

base::Status SnapshotWriter::Flush() {
  crc_ = base::Crc32c(crc_, buffer_.data(), buffer_.size());
  size_t off = 0;
  while (off < buffer_.size()) {
    ssize_t n = ::write(fd_, buffer_.data() + off, buffer_.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno("cannot write", tmp_path_);
    off += static_cast<size_t>(n);
  }
  buffer_.clear();
  return base::Status::Ok();
}

uint32_t SnapshotWriter::AclRef(const jute::AclList& acl) {
  std::string key;
  jute::OutArchive a(key);
  jute::WriteAclList(a, acl);
  if (auto it = acl_refs_.find(key); it != acl_refs_.end()) return it->second;
  auto ref = static_cast<uint32_t>(acl_refs_.size());
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

void SnapshotWriter::WriteNode(const datatree::DataTree& tree, const std::string& path,
                               const datatree::Znode& n) {
  uint32_t acl_ref = AclRef(tree.AclOf(n));
  pb::SnapNode rec;
  rec.set_path(path);
  if (n.data_null) {
    rec.set_data_null(true);
  } else {
    rec.set_data(n.data().data(), n.data().size());
  }
  rec.set_czxid(n.czxid);
  rec.set_mzxid(n.mzxid);
  rec.set_pzxid(n.pzxid);
  rec.set_ctime(n.ctime);
  rec.set_mtime(n.mtime);
  rec.set_ephemeral_owner(n.ephemeral_owner);
  rec.set_version(n.version);
  rec.set_cversion(n.cversion);
  rec.set_aversion(n.aversion);
  rec.set_acl_ref(acl_ref);
  Record(kNode, rec.SerializeAsString());
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
  while (!stack_.empty() && budget > 0) {
    Level& top = stack_.back();
    const datatree::Znode* n = tree.Find(top.path);
    if (!n) {
      stack_.pop_back();
      continue;
    }
    const datatree::Znode* c = tree.NextChild(*n, top.last_child, !top.started);
    if (!c) {
      stack_.pop_back();
      continue;
    }
    top.started = true;
    top.last_child.assign(c->name());
    std::string child(c->path());
    WriteNode(tree, child, *c);
    --budget;
    stack_.push_back(Level{std::move(child), "", false});
    if (buffer_.size() >= kFlushBytes) {
      if (base::Status s = Flush(); !s.ok()) {
        *status = s;
        return true;
      }
    }
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
  std::string trailer;
  PutU32(trailer, crc_);
  buffer_ = trailer;
  size_t off = 0;
  while (off < buffer_.size()) {
    ssize_t n = ::write(fd_, buffer_.data() + off, buffer_.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno("cannot write", tmp_path_);
    off += static_cast<size_t>(n);
  }
  buffer_.clear();
  return base::Status::Ok();
}

base::Status SnapshotWriter::Commit() {
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
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  ::unlink(tmp_path_.c_str());
}

namespace {

// Streams records from a snapshot file, maintaining the running CRC.
class SnapshotReader {
 public:
  explicit SnapshotReader(FILE* f) : f_(f) {}

  bool ReadExact(void* buf, size_t n, bool count = true) {
    if (std::fread(buf, 1, n, f_) != n) return false;
    if (count) crc_ = base::Crc32c(crc_, buf, n);
    return true;
  }

  // Returns false at a truncated or oversized record.
  bool Next(uint8_t& type, std::string& payload) {
    unsigned char head[5];
    if (!ReadExact(head, sizeof head)) return false;
    uint32_t len = GetU32(head);
    if (len > kMaxRecordBytes) return false;
    type = head[4];
    payload.resize(len);
    return len == 0 || ReadExact(payload.data(), len);
  }

  uint32_t crc() const { return crc_; }

 private:
  FILE* f_;
  uint32_t crc_ = 0;
};

struct FileCloser {
  void operator()(FILE* f) const { std::fclose(f); }
};

jute::AclList AclFromPb(const pb::SnapAcl& rec) {
  jute::AclList acl;
  for (const auto& p : rec.acl()) acl.push_back(jute::Acl{p.perms(), jute::Id{p.scheme(), p.id()}});
  return acl;
}

// Nodes come in pre-order, so a node's parent is on the chain of the nodes just loaded.
const datatree::Znode* ParentFromChain(std::vector<const datatree::Znode*>& chain,
                                       std::string_view path) {
  auto slash = path.rfind('/');
  std::string_view parent = slash == 0 ? path.substr(0, 1) : path.substr(0, slash);
  while (!chain.empty() && chain.back()->path() != parent) chain.pop_back();
  return chain.empty() ? nullptr : chain.back();
}

base::Status LoadNode(const pb::SnapNode& rec, const std::vector<jute::AclList>& acls,
                      std::vector<const datatree::Znode*>& chain, datatree::DataTree& tree) {
  if (rec.acl_ref() >= acls.size()) return base::Status::Corruption("node refers to unknown ACL");
  jute::Stat st;
  st.czxid = rec.czxid();
  st.mzxid = rec.mzxid();
  st.pzxid = rec.pzxid();
  st.ctime = rec.ctime();
  st.mtime = rec.mtime();
  st.ephemeral_owner = rec.ephemeral_owner();
  st.version = rec.version();
  st.cversion = rec.cversion();
  st.aversion = rec.aversion();
  const datatree::Znode* hint = ParentFromChain(chain, rec.path());
  const datatree::Znode* n =
      tree.RestoreNode(rec.path(), rec.data(), rec.data_null(), st, acls[rec.acl_ref()], hint);
  if (!n) return base::Status::Corruption("node " + rec.path() + " listed before its parent");
  chain.push_back(n);
  return base::Status::Ok();
}

}  // namespace

base::Status LoadSnapshot(const std::string& path, datatree::DataTree& tree, LoadedSnapshot* out,
                          size_t headroom) {
  std::unique_ptr<FILE, FileCloser> f(std::fopen(path.c_str(), "rb"));
  if (!f) return Errno("cannot open", path);
  std::vector<char> iobuf(1 << 20);
  std::setvbuf(f.get(), iobuf.data(), _IOFBF, iobuf.size());
  SnapshotReader r(f.get());
  char magic[8];
  unsigned char version[4];
  if (!r.ReadExact(magic, 8) || std::memcmp(magic, kMagic, 8) != 0 || !r.ReadExact(version, 4) ||
      GetU32(version) != kVersion) {
    return base::Status::Corruption(path + ": not a Caucus snapshot (bad magic or version)");
  }
  std::vector<jute::AclList> acls;
  std::string payload;
  pb::SnapNode node;  // reused: re-parsing keeps its strings' capacity, saving allocations
  std::vector<const datatree::Znode*> chain;
  uint8_t type = 0;
  bool have_header = false;
  while (true) {
    if (!r.Next(type, payload)) return base::Status::Corruption(path + ": truncated record");
    if (type == kHeader) {
      pb::SnapshotHeader h;
      if (!h.ParseFromString(payload)) return base::Status::Corruption(path + ": bad header");
      out->zxid = h.zxid();
      out->secret = h.secret();
      have_header = true;
      // Sizing the index once avoids rehashing a million-node table several times.
      if (h.node_count_hint() > 0) {
        tree.Reserve(static_cast<size_t>(h.node_count_hint()) + headroom);
      }
    } else if (type == kAcl) {
      pb::SnapAcl rec;
      if (!rec.ParseFromString(payload) || rec.ref() != acls.size()) {
        return base::Status::Corruption(path + ": bad ACL record");
      }
      acls.push_back(AclFromPb(rec));
    } else if (type == kNode) {
      if (!node.ParseFromString(payload)) return base::Status::Corruption(path + ": bad node");
      if (base::Status s = LoadNode(node, acls, chain, tree); !s.ok()) return s;
      ++out->node_count;
    } else if (type == kSession) {
      pb::SnapSession rec;
      if (!rec.ParseFromString(payload)) return base::Status::Corruption(path + ": bad session");
      out->sessions.push_back(SnapshotSession{rec.id(), rec.timeout_ms()});
    } else if (type == kEnd) {
      break;
    } else {
      return base::Status::Corruption(path + ": unknown record type");
    }
  }
  uint32_t expected = r.crc();
  unsigned char trailer[4];
  if (!have_header || !r.ReadExact(trailer, 4, false) || GetU32(trailer) != expected) {
    return base::Status::Corruption(path + ": checksum mismatch");
  }
  return base::Status::Ok();
}

}  // namespace caucus::storage
