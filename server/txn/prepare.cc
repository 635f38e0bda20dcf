#include "server/txn/prepare.h"

#include <cstdio>

#include "server/datatree/path_utils.h"

namespace caucus::txn {

using jute::Error;
using jute::OpCode;

namespace {

// A private overlay for one request: ops of a multi see each other's effects, and a failed
// multi leaves nothing behind in PendingChanges.
class Scratch {
 public:
  Scratch(const datatree::DataTree& tree, const PendingChanges& pending, int64_t zxid)
      : tree_(tree), pending_(pending), zxid_(zxid) {}

  // The node as of all earlier changes; nullopt when it does not exist.
  std::optional<ChangeRecord> Get(std::string_view path) const {
    for (auto it = changes_.rbegin(); it != changes_.rend(); ++it) {
      if (it->first == path) return it->second.exists ? std::optional(it->second) : std::nullopt;
    }
    if (const ChangeRecord* r = pending_.Find(path)) {
      return r->exists ? std::optional(*r) : std::nullopt;
    }
    const datatree::Znode* n = tree_.Find(path);
    if (!n) return std::nullopt;
    ChangeRecord rec;
    rec.zxid = -1;
    rec.exists = true;
    rec.stat = tree_.PersistedStatOf(*n);
    rec.child_count = static_cast<int32_t>(n->child_count());
    rec.acl = tree_.SharedAclOf(*n);
    return rec;
  }

  void Put(std::string path, ChangeRecord rec) {
    rec.zxid = zxid_;
    changes_.emplace_back(std::move(path), std::move(rec));
  }
  void PutDeleted(std::string path) { Put(std::move(path), ChangeRecord{}); }

  void CommitTo(PendingChanges& pending) {
    for (auto& [path, rec] : changes_) pending.Put(path, std::move(rec));
    changes_.clear();
  }

 private:
  const datatree::DataTree& tree_;
  const PendingChanges& pending_;
  int64_t zxid_;
  std::vector<std::pair<std::string, ChangeRecord>> changes_;
};

bool HasNul(std::string_view s) { return s.find('\0') != std::string_view::npos; }

bool IsSpecialPath(std::string_view path) {
  return path == "/" || path == "/zookeeper" || path == "/zookeeper/quota" ||
         path == "/zookeeper/config";
}

Error CheckVersion(int32_t current, int32_t expected) {
  return (expected != -1 && expected != current) ? Error::kBadVersion : Error::kOk;
}

struct CreateModeInfo {
  bool valid = true;
  bool ephemeral = false;
  bool sequential = false;
  bool container = false;
  bool ttl = false;
};

CreateModeInfo ModeOf(int32_t flags) {
  CreateModeInfo m;
  switch (static_cast<jute::CreateMode>(flags)) {
    case jute::CreateMode::kPersistent: break;
    case jute::CreateMode::kEphemeral: m.ephemeral = true; break;
    case jute::CreateMode::kPersistentSequential: m.sequential = true; break;
    case jute::CreateMode::kEphemeralSequential: m.ephemeral = m.sequential = true; break;
    case jute::CreateMode::kContainer: m.container = true; break;
    case jute::CreateMode::kPersistentWithTtl: m.ttl = true; break;
    case jute::CreateMode::kPersistentSequentialWithTtl: m.ttl = m.sequential = true; break;
    default: m.valid = false;
  }
  return m;
}

// EphemeralType.validateTTL: a TTL mode needs 0 < ttl <= max; other modes must not carry one.
bool ValidTtl(const CreateModeInfo& m, int64_t ttl) {
  if (m.ttl) return ttl > 0 && ttl <= datatree::kMaxTtlMs;
  return ttl < 0;
}

// Validation of one operation, shared by single requests and the ops of a multi.
class OpPreparer {
 public:
  OpPreparer(Scratch& s, const RequestContext& ctx, const PrepareOptions& o)
      : s_(s), ctx_(ctx), opts_(o) {}

  // Takes the request's data (not copied: it can be large); the request is spent.
  Error Create(OpCode op, jute::CreateRequest& r, TxnOp& out) {
    CreateModeInfo mode = ModeOf(r.flags);
    if (!mode.valid) return Error::kBadArguments;
    if (mode.ttl && !opts_.extended_types_enabled) return Error::kUnimplemented;
    if (!ValidTtl(mode, op == OpCode::kCreateTTL ? r.ttl : -1)) return Error::kBadArguments;
    size_t last_slash = r.path.rfind('/');
    if (last_slash == std::string::npos || HasNul(r.path)) return Error::kBadArguments;
    auto acl = auth::FixupAcl(r.acl, *ctx_.auth);
    if (!acl) return Error::kInvalidACL;
    std::string parent_path = last_slash == 0 ? "/" : r.path.substr(0, last_slash);
    auto parent = s_.Get(parent_path);
    if (!parent) return Error::kNoNode;
    if (!auth::CheckAcl(*parent->acl, jute::perms::kCreate, *ctx_.auth)) return Error::kNoAuth;
    std::string path = r.path;
    if (mode.sequential) path += SequenceSuffix(parent->stat.cversion);
    if (!datatree::IsValidPath(path)) return Error::kBadArguments;
    if (s_.Get(path)) return Error::kNodeExists;
    if (datatree::IsSessionOwner(parent->stat.ephemeral_owner)) {
      return Error::kNoChildrenForEphemerals;
    }
    out.type = op;
    out.path = path;
    out.data = std::move(r.data);
    out.acl = std::move(*acl);
    out.parent_cversion = parent->stat.cversion + 1;
    // Only the createContainer op makes a container: ZooKeeper's plain create with the
    // CONTAINER flag makes an ordinary persistent node.
    out.ephemeral_owner = op == OpCode::kCreateContainer ? datatree::kContainerEphemeralOwner
                          : mode.ttl     ? datatree::TtlOwner(r.ttl)
                          : mode.ephemeral ? ctx_.session_id
                                           : 0;
    RecordCreate(parent_path, *parent, out);
    return Error::kOk;
  }

  Error Delete(OpCode op, const jute::DeleteRequest& r, TxnOp& out) {
    size_t last_slash = r.path.rfind('/');
    if (last_slash == std::string::npos || HasNul(r.path) || IsSpecialPath(r.path)) {
      return Error::kBadArguments;
    }
    std::string parent_path = last_slash == 0 ? "/" : r.path.substr(0, last_slash);
    auto parent = s_.Get(parent_path);
    if (!parent) return Error::kNoNode;
    if (op == OpCode::kDelete &&
        !auth::CheckAcl(*parent->acl, jute::perms::kDelete, *ctx_.auth)) {
      return Error::kNoAuth;
    }
    auto node = s_.Get(r.path);
    if (!node) return Error::kNoNode;
    if (op == OpCode::kDelete) {
      if (Error e = CheckVersion(node->stat.version, r.version); e != Error::kOk) return e;
    }
    if (node->child_count > 0) return Error::kNotEmpty;
    if (op == OpCode::kDeleteContainer && !datatree::IsContainerOwner(node->stat.ephemeral_owner) &&
        !datatree::IsTtlOwner(node->stat.ephemeral_owner)) {
      return Error::kBadVersion;
    }
    out.type = op;
    out.path = r.path;
    RecordDelete(parent_path, *parent, r.path);
    return Error::kOk;
  }

  Error SetData(jute::SetDataRequest& r, TxnOp& out) {
    if (!datatree::IsValidPath(r.path)) return Error::kBadArguments;
    auto node = s_.Get(r.path);
    if (!node) return Error::kNoNode;
    if (!auth::CheckAcl(*node->acl, jute::perms::kWrite, *ctx_.auth)) return Error::kNoAuth;
    if (Error e = CheckVersion(node->stat.version, r.version); e != Error::kOk) return e;
    out.type = OpCode::kSetData;
    out.path = r.path;
    out.data = std::move(r.data);
    out.version = node->stat.version + 1;
    node->stat.version = out.version;
    node->stat.mzxid = ctx_.zxid;
    node->stat.mtime = ctx_.time_ms;
    s_.Put(r.path, *node);
    return Error::kOk;
  }

  Error SetAcl(const jute::SetAclRequest& r, TxnOp& out) {
    if (!datatree::IsValidPath(r.path)) return Error::kBadArguments;
    auto acl = auth::FixupAcl(r.acl, *ctx_.auth);
    if (!acl) return Error::kInvalidACL;
    auto node = s_.Get(r.path);
    if (!node) return Error::kNoNode;
    if (!auth::CheckAcl(*node->acl, jute::perms::kAdmin, *ctx_.auth)) return Error::kNoAuth;
    if (Error e = CheckVersion(node->stat.aversion, r.version); e != Error::kOk) return e;
    out.type = OpCode::kSetACL;
    out.path = r.path;
    out.acl = *acl;
    out.version = node->stat.aversion + 1;
    node->stat.aversion = out.version;
    node->acl = std::make_shared<const jute::AclList>(*acl);
    s_.Put(r.path, *node);
    return Error::kOk;
  }

  Error Check(const jute::CheckVersionRequest& r, TxnOp& out) {
    if (!datatree::IsValidPath(r.path)) return Error::kBadArguments;
    auto node = s_.Get(r.path);
    if (!node) return Error::kNoNode;
    if (!auth::CheckAcl(*node->acl, jute::perms::kRead, *ctx_.auth)) return Error::kNoAuth;
    if (Error e = CheckVersion(node->stat.version, r.version); e != Error::kOk) return e;
    out.type = OpCode::kCheck;
    out.path = r.path;
    out.version = node->stat.version;
    return Error::kOk;
  }

 private:
  static std::string SequenceSuffix(int32_t cversion) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%010d", cversion);
    return buf;
  }

  void RecordCreate(const std::string& parent_path, ChangeRecord parent, const TxnOp& op) {
    parent.child_count++;
    parent.stat.cversion = op.parent_cversion;
    parent.stat.pzxid = ctx_.zxid;
    s_.Put(parent_path, parent);
    ChangeRecord node;
    node.exists = true;
    node.stat.czxid = node.stat.mzxid = node.stat.pzxid = ctx_.zxid;
    node.stat.ctime = node.stat.mtime = ctx_.time_ms;
    node.stat.ephemeral_owner = op.ephemeral_owner;
    // Children mostly have their parent's ACL: share it rather than copy it.
    node.acl = parent.acl && *parent.acl == op.acl ? parent.acl
                                                    : std::make_shared<const jute::AclList>(op.acl);
    s_.Put(op.path, std::move(node));
  }

  void RecordDelete(const std::string& parent_path, ChangeRecord parent, const std::string& path) {
    parent.child_count--;
    parent.stat.pzxid = ctx_.zxid;
    s_.Put(parent_path, parent);
    s_.PutDeleted(path);
  }

  Scratch& s_;
  const RequestContext& ctx_;
  const PrepareOptions& opts_;
};

Error PrepareOne(OpPreparer& p, OpCode op, jute::Request& req, TxnOp& out) {
  switch (op) {
    case OpCode::kCreate:
    case OpCode::kCreate2:
    case OpCode::kCreateContainer:
    case OpCode::kCreateTTL:
      return p.Create(op, std::get<jute::CreateRequest>(req.body), out);
    case OpCode::kDelete:
      return p.Delete(op, std::get<jute::DeleteRequest>(req.body), out);
    case OpCode::kSetData:
      return p.SetData(std::get<jute::SetDataRequest>(req.body), out);
    case OpCode::kSetACL:
      return p.SetAcl(std::get<jute::SetAclRequest>(req.body), out);
    case OpCode::kCheck:
      return p.Check(std::get<jute::CheckVersionRequest>(req.body), out);
    default:
      return Error::kMarshallingError;
  }
}

// Inside a multi ZooKeeper rebuilds each create from its flags (Op.create), so the opcode
// follows the mode: container -> createContainer, TTL -> createTTL, anything else -> create
// (a create2 inside a multi is answered like a create).
OpCode MultiCreateOp(OpCode sent, int32_t flags) {
  CreateModeInfo m = ModeOf(flags);
  if (m.container) return OpCode::kCreateContainer;
  if (m.ttl) return sent == OpCode::kCreateTTL ? OpCode::kCreateTTL : OpCode::kCreate;
  return OpCode::kCreate;
}

// The same, for an op inside a multi.
Error PrepareMultiOp(OpPreparer& p, jute::MultiOp& op, TxnOp& out) {
  return std::visit(
      [&](auto& b) -> Error {
        using B = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<B, jute::CreateRequest>) {
          return p.Create(MultiCreateOp(op.op, b.flags), b, out);
        }
        if constexpr (std::is_same_v<B, jute::DeleteRequest>) return p.Delete(op.op, b, out);
        if constexpr (std::is_same_v<B, jute::SetDataRequest>) return p.SetData(b, out);
        if constexpr (std::is_same_v<B, jute::CheckVersionRequest>) return p.Check(b, out);
        return Error::kMarshallingError;
      },
      op.body);
}

TxnOp ErrorOp(Error e) {
  TxnOp op;
  op.type = OpCode::kError;
  op.err = e;
  return op;
}

}  // namespace

Txn Preparer::Header(const RequestContext& ctx, OpCode type) const {
  Txn t;
  t.session_id = ctx.session_id;
  t.cxid = ctx.cxid;
  t.zxid = ctx.zxid;
  t.time_ms = ctx.time_ms;
  t.type = type;
  return t;
}

Txn Preparer::Prepare(jute::Request req, const RequestContext& ctx) {
  if (req.op == OpCode::kMulti) return PrepareMulti(std::get<jute::MultiRequest>(req.body), ctx);
  Txn t = Header(ctx, req.op);
  if (req.op == OpCode::kReconfig) {
    // A standalone server has no ensemble to reconfigure.
    t.type = OpCode::kError;
    t.ops.push_back(ErrorOp(options_.reconfig_enabled ? Error::kUnimplemented
                                                      : Error::kReconfigDisabled));
    return t;
  }
  Scratch scratch(tree_, pending_, ctx.zxid);
  OpPreparer p(scratch, ctx, options_);
  TxnOp op;
  Error e = PrepareOne(p, req.op, req, op);
  if (e != Error::kOk) {
    t.type = OpCode::kError;
    t.ops.push_back(ErrorOp(e));
    return t;
  }
  scratch.CommitTo(pending_);
  t.ops.push_back(std::move(op));
  return t;
}

// ZooKeeper's multi: the first failing op reports its error, the ops after it
// RuntimeInconsistency, the ops before it OK, and none of them takes effect.
Txn Preparer::PrepareMulti(jute::MultiRequest& m, const RequestContext& ctx) {
  Txn t = Header(ctx, OpCode::kMulti);
  Scratch scratch(tree_, pending_, ctx.zxid);
  OpPreparer p(scratch, ctx, options_);
  size_t failed_at = m.ops.size();
  for (size_t i = 0; i < m.ops.size(); ++i) {
    if (failed_at < m.ops.size()) {
      t.ops.push_back(ErrorOp(Error::kRuntimeInconsistency));
      continue;
    }
    TxnOp op;
    Error e = PrepareMultiOp(p, m.ops[i], op);
    if (e != Error::kOk) {
      failed_at = i;
      op = ErrorOp(e);
    }
    t.ops.push_back(std::move(op));
  }
  if (failed_at == m.ops.size()) {
    scratch.CommitTo(pending_);
    return t;
  }
  for (size_t i = 0; i < failed_at; ++i) t.ops[i] = ErrorOp(Error::kOk);
  return t;
}

Txn Preparer::Failed(const RequestContext& ctx, OpCode type, Error err) {
  Txn t = Header(ctx, OpCode::kError);
  (void)type;
  t.ops.push_back(ErrorOp(err));
  return t;
}

Txn Preparer::CreateSession(const RequestContext& ctx, int32_t timeout_ms) {
  Txn t = Header(ctx, OpCode::kCreateSession);
  TxnOp op;
  op.type = OpCode::kCreateSession;
  op.timeout_ms = timeout_ms;
  t.ops.push_back(std::move(op));
  return t;
}

Txn Preparer::CloseSession(const RequestContext& ctx) {
  Txn t = Header(ctx, OpCode::kCloseSession);
  std::vector<std::string> paths = tree_.EphemeralsOf(ctx.session_id);
  std::set<std::string> es(paths.begin(), paths.end());
  // Account for creates and deletes that are prepared but not yet applied.
  for (const auto& [path, rec] : pending_.records()) {
    if (!rec.exists) {
      es.erase(std::string(path));
    } else if (rec.stat.ephemeral_owner == ctx.session_id) {
      es.insert(std::string(path));
    }
  }
  Scratch scratch(tree_, pending_, ctx.zxid);
  for (const auto& path : es) {
    std::string parent_path(datatree::ParentPath(path));
    if (auto parent = scratch.Get(parent_path)) {
      parent->child_count--;
      parent->stat.pzxid = ctx.zxid;
      scratch.Put(parent_path, *parent);
    }
    scratch.PutDeleted(path);
  }
  scratch.CommitTo(pending_);
  TxnOp op;
  op.type = OpCode::kCloseSession;
  op.ephemerals.assign(es.begin(), es.end());
  t.ops.push_back(std::move(op));
  return t;
}

Txn Preparer::DeleteContainer(const RequestContext& ctx, const std::string& path) {
  jute::Request req;
  req.op = OpCode::kDeleteContainer;
  req.body = jute::DeleteRequest{path, -1};
  Txn t = Header(ctx, OpCode::kDeleteContainer);
  Scratch scratch(tree_, pending_, ctx.zxid);
  OpPreparer p(scratch, ctx, options_);
  TxnOp op;
  Error e = p.Delete(OpCode::kDeleteContainer, std::get<jute::DeleteRequest>(req.body), op);
  if (e != Error::kOk) {
    t.type = OpCode::kError;
    t.ops.push_back(ErrorOp(e));
    return t;
  }
  scratch.CommitTo(pending_);
  t.ops.push_back(std::move(op));
  return t;
}

}  // namespace caucus::txn
