// Node::ExecuteRead: the requests that do not change the tree (ZooKeeper's
// FinalRequestProcessor read branch), including watch registration and setWatches.
#include <algorithm>

#include "server/base/log.h"
#include "server/node/node.h"
#include "server/node/connection_state.h"

namespace caucus::node {

using jute::Error;
using jute::OpCode;
using datatree::WatchTable;

namespace {

struct ReadContext {
  datatree::DataTree& tree;
  const auth::AuthIds& auth;
  ConnId watcher;
  int64_t session_id;
};

bool CanRead(const ReadContext& r, const datatree::Znode& n, int32_t perm = jute::perms::kRead) {
  return auth::CheckAcl(r.tree.AclOf(n), perm, r.auth);
}

Error Exists(ReadContext& r, const jute::PathWatchRequest& q, jute::OutArchive& a) {
  if (q.path.find('\0') != std::string::npos) return Error::kBadArguments;
  const datatree::Znode* n = r.tree.Find(q.path);
  // No READ check: exists only reveals the Stat, and ZooKeeper 3.8 lets anyone ask.
  // An exists watch is set even when the node is missing: it fires on NodeCreated.
  if (q.watch) r.tree.watches().AddStandard(WatchTable::kData, q.path, r.watcher);
  if (!n) return Error::kNoNode;
  r.tree.StatOf(*n).Write(a);
  return Error::kOk;
}

Error GetData(ReadContext& r, const jute::PathWatchRequest& q, jute::OutArchive& a) {
  const datatree::Znode* n = r.tree.Find(q.path);
  if (!n) return Error::kNoNode;
  if (!CanRead(r, *n)) return Error::kNoAuth;
  if (q.watch) r.tree.watches().AddStandard(WatchTable::kData, q.path, r.watcher);
  a.OptionalBuffer(r.tree.DataOf(*n));
  r.tree.StatOf(*n).Write(a);
  return Error::kOk;
}

Error GetChildren(ReadContext& r, const jute::PathWatchRequest& q, bool with_stat,
                  jute::OutArchive& a) {
  const datatree::Znode* n = r.tree.Find(q.path);
  if (!n) return Error::kNoNode;
  if (!CanRead(r, *n)) return Error::kNoAuth;
  if (q.watch) r.tree.watches().AddStandard(WatchTable::kChild, q.path, r.watcher);
  a.StringVector(r.tree.ChildrenOf(*n));
  if (with_stat) r.tree.StatOf(*n).Write(a);
  return Error::kOk;
}

Error GetAcl(ReadContext& r, const jute::PathRequest& q, jute::OutArchive& a) {
  const datatree::Znode* n = r.tree.Find(q.path);
  if (!n) return Error::kNoNode;
  if (!CanRead(r, *n, jute::perms::kRead | jute::perms::kAdmin)) return Error::kNoAuth;
  jute::AclList acl = r.tree.AclOf(*n);
  // Without ADMIN, digest hashes are masked so they cannot be brute-forced offline.
  if (!CanRead(r, *n, jute::perms::kAdmin)) {
    for (auto& e : acl) {
      if (e.id.scheme == "digest") e.id.id = e.id.id.substr(0, e.id.id.find(':')) + ":x";
    }
  }
  jute::WriteAclList(a, acl);
  r.tree.StatOf(*n).Write(a);
  return Error::kOk;
}

Error GetAllChildrenNumber(ReadContext& r, const jute::PathRequest& q, jute::OutArchive& a) {
  const datatree::Znode* n = r.tree.Find(q.path);
  if (!n) return Error::kNoNode;
  if (!CanRead(r, *n)) return Error::kNoAuth;
  a.Int(r.tree.CountDescendants(q.path));
  return Error::kOk;
}

Error GetEphemerals(ReadContext& r, const jute::PathRequest& q, jute::OutArchive& a) {
  std::vector<std::string> all = r.tree.EphemeralsOf(r.session_id);
  std::string prefix = q.path;
  bool everything = prefix.empty() || prefix == "/";
  std::vector<std::string> out;
  for (auto& p : all) {
    if (everything || p.compare(0, prefix.size(), prefix) == 0) out.push_back(std::move(p));
  }
  a.StringVector(out);
  return Error::kOk;
}

Error AddWatch(ReadContext& r, const jute::AddWatchRequest& q, jute::OutArchive& a) {
  if (q.mode != 0 && q.mode != 1) return Error::kBadArguments;
  r.tree.watches().AddPersistent(q.path, r.watcher, q.mode == 1);
  a.Int(0);  // ErrorResponse{0}
  return Error::kOk;
}

bool ValidWatcherType(int32_t t) { return t >= 1 && t <= 5; }

Error CheckWatches(ReadContext& r, const jute::WatchTypeRequest& q) {
  if (!ValidWatcherType(q.type)) return Error::kBadArguments;
  auto type = static_cast<jute::WatcherType>(q.type);
  return r.tree.watches().Contains(q.path, type, r.watcher) ? Error::kOk : Error::kNoWatcher;
}

Error RemoveWatches(ReadContext& r, const jute::WatchTypeRequest& q) {
  if (!ValidWatcherType(q.type)) return Error::kBadArguments;
  auto type = static_cast<jute::WatcherType>(q.type);
  return r.tree.watches().Remove(q.path, type, r.watcher) ? Error::kOk : Error::kNoWatcher;
}

// DataTree.setWatches: re-arm the watches a client held before reconnecting, firing at once
// the ones whose condition already happened after relative_zxid.
void ReArm(ReadContext& r, int64_t rel, const std::vector<std::string>& data,
           const std::vector<std::string>& exist, const std::vector<std::string>& child,
           std::vector<datatree::FiredWatch>& fired) {
  auto& w = r.tree.watches();
  for (const auto& p : data) {
    const datatree::Znode* n = r.tree.Find(p);
    if (!n) {
      fired.push_back({r.watcher, jute::EventType::kNodeDeleted, p});
    } else if (n->mzxid > rel) {
      fired.push_back({r.watcher, jute::EventType::kNodeDataChanged, p});
    } else {
      w.AddStandard(WatchTable::kData, p, r.watcher);
    }
  }
  for (const auto& p : exist) {
    if (r.tree.Find(p)) {
      fired.push_back({r.watcher, jute::EventType::kNodeCreated, p});
    } else {
      w.AddStandard(WatchTable::kData, p, r.watcher);
    }
  }
  for (const auto& p : child) {
    const datatree::Znode* n = r.tree.Find(p);
    if (!n) {
      fired.push_back({r.watcher, jute::EventType::kNodeDeleted, p});
    } else if (n->pzxid > rel) {
      fired.push_back({r.watcher, jute::EventType::kNodeChildrenChanged, p});
    } else {
      w.AddStandard(WatchTable::kChild, p, r.watcher);
    }
  }
}

void SetWatches(ReadContext& r, const jute::Request& req, std::vector<datatree::FiredWatch>& fired) {
  if (auto* s = std::get_if<jute::SetWatches>(&req.body)) {
    ReArm(r, s->relative_zxid, s->data_watches, s->exist_watches, s->child_watches, fired);
    return;
  }
  const auto& s = std::get<jute::SetWatches2>(req.body);
  ReArm(r, s.relative_zxid, s.data_watches, s.exist_watches, s.child_watches, fired);
  for (const auto& p : s.persistent_watches) r.tree.watches().AddPersistent(p, r.watcher, false);
  for (const auto& p : s.persistent_recursive_watches) {
    r.tree.watches().AddPersistent(p, r.watcher, true);
  }
}

void WhoAmI(ReadContext& r, jute::OutArchive& a) {
  a.Int(static_cast<int32_t>(r.auth.size()));
  for (const auto& id : r.auth) jute::ClientInfo{id.scheme, auth::UserName(id)}.Write(a);
}

void MultiRead(ReadContext& r, const jute::MultiRequest& m, jute::OutArchive& a) {
  for (const auto& op : m.ops) {
    const auto& q = std::get<jute::PathWatchRequest>(op.body);
    std::string body;
    jute::OutArchive sub(body);
    Error e = op.op == OpCode::kGetData ? GetData(r, q, sub) : GetChildren(r, q, false, sub);
    if (e != Error::kOk) {
      jute::MultiHeader{-1, false, static_cast<int32_t>(e)}.Write(a);
      a.Int(static_cast<int32_t>(e));
    } else {
      jute::MultiHeader{static_cast<int32_t>(op.op), false, 0}.Write(a);
      a.out().append(body);
    }
  }
  jute::MultiHeader{-1, true, -1}.Write(a);
}

}  // namespace

void Node::ExecuteRead(Conn& c, const Queued& q, Now now) {
  ReadContext r{*tree_, c.auth, c.id, c.session_id};
  std::string body;
  jute::OutArchive a(body);
  Error err = Error::kOk;
  int32_t xid = q.req.xid;
  const auto& b = q.req.body;
  std::vector<datatree::FiredWatch> fired;
  if (q.bad != Error::kOk) {
    // An undecodable multiRead still carries the (empty) result list terminator.
    if (q.req.op == OpCode::kMultiRead) jute::MultiHeader{-1, true, -1}.Write(a);
    SendReply(c, xid, q.bad, body, now, q.received_mono_ms, OpNameOf(q.req.op), true);
    return;
  }
  switch (q.req.op) {
    case OpCode::kPing: xid = jute::kPingXid; break;
    case OpCode::kExists: err = Exists(r, std::get<jute::PathWatchRequest>(b), a); break;
    case OpCode::kGetData: err = GetData(r, std::get<jute::PathWatchRequest>(b), a); break;
    case OpCode::kGetChildren:
      err = GetChildren(r, std::get<jute::PathWatchRequest>(b), false, a);
      break;
    case OpCode::kGetChildren2:
      err = GetChildren(r, std::get<jute::PathWatchRequest>(b), true, a);
      break;
    case OpCode::kGetACL: err = GetAcl(r, std::get<jute::PathRequest>(b), a); break;
    case OpCode::kSync: a.String(std::get<jute::PathRequest>(b).path); break;
    case OpCode::kGetAllChildrenNumber:
      err = GetAllChildrenNumber(r, std::get<jute::PathRequest>(b), a);
      break;
    case OpCode::kGetEphemerals: err = GetEphemerals(r, std::get<jute::PathRequest>(b), a); break;
    case OpCode::kAddWatch: err = AddWatch(r, std::get<jute::AddWatchRequest>(b), a); break;
    case OpCode::kCheckWatches: err = CheckWatches(r, std::get<jute::WatchTypeRequest>(b)); break;
    case OpCode::kRemoveWatches: err = RemoveWatches(r, std::get<jute::WatchTypeRequest>(b)); break;
    case OpCode::kSetWatches:
    case OpCode::kSetWatches2:
      xid = jute::kSetWatchesXid;
      SetWatches(r, q.req, fired);
      break;
    case OpCode::kWhoAmI: WhoAmI(r, a); break;
    case OpCode::kCaucusSetReadMode: c.read_mode = q.mode.value_or(c.read_mode); break;
    case OpCode::kMultiRead: MultiRead(r, std::get<jute::MultiRequest>(b), a); break;
    default:
      CAUCUS_LOG(Warn) << "unexpected read opcode " << static_cast<int32_t>(q.req.op);
      err = Error::kUnimplemented;
      break;
  }
  // setWatches' immediate events precede its reply, like any other watch event.
  if (!fired.empty()) SendWatchEvents(fired);
  SendReply(c, xid, err, body, now, q.received_mono_ms, OpNameOf(q.req.op));
}

}  // namespace caucus::node
