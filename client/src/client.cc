// Client operations: each builds a jute request, submits it, and decodes the reply into a
// Result<T>. The blocking form is the asynchronous one plus a promise completed directly on
// the I/O thread (not through the callback executor, so blocking calls made from a callback
// cannot deadlock).
#include "caucus/client.h"

#include <future>

#include "client/src/impl.h"
#include "proto/jute/opcodes.h"
#include "proto/jute/records.h"

namespace caucus {
namespace {

using jute::InArchive;
using jute::OpCode;
using client::WatchKind;

// ---------------------------------------------------------------- conversions

Stat FromJute(const jute::Stat& s) {
  return {s.czxid,    s.mzxid,           s.ctime,       s.mtime,        s.version, s.cversion,
          s.aversion, s.ephemeral_owner, s.data_length, s.num_children, s.pzxid};
}

jute::AclList ToJute(const AclList& acl) {
  jute::AclList out;
  for (const auto& a : acl) out.push_back({a.perms, {a.id.scheme, a.id.id}});
  return out;
}

AclList FromJute(const jute::AclList& acl) {
  AclList out;
  for (const auto& a : acl) out.push_back({a.perms, {a.id.scheme, a.id.id}});
  return out;
}

// ---------------------------------------------------------------- plumbing

template <class T>
using Decoder = std::function<Result<T>(InArchive&)>;

// Submits `call`; its reply is decoded by `decode` (only on success) and handed to `cb`,
// either inline on the I/O thread (blocking callers) or through the callback executor.
template <class T>
void Run(Client::Impl& impl, Call call, Decoder<T> decode, Callback<T> cb, bool inline_cb,
         std::function<Result<T>(Error)> on_error = nullptr) {
  Client::Impl* ip = &impl;
  call.on_reply = [ip, decode = std::move(decode), cb = std::move(cb), inline_cb,
                   on_error = std::move(on_error)](Error e, std::string_view body) {
    Result<T> r = Error::kSystemError;
    if (e != Error::kOk) {
      r = on_error ? on_error(e) : Result<T>(e);
    } else {
      InArchive in(body);
      r = decode(in);
      if (!in.ok()) r = Error::kMarshallingError;
    }
    if (inline_cb) return cb(std::move(r));
    ip->Post([cb, r = std::move(r)]() mutable { cb(std::move(r)); });
  };
  impl.Submit(std::move(call));
}

// Callers must not read `w` in the same argument list (argument evaluation order is
// unspecified); the watch flag of the request body is computed before.
Call MakeCall(OpCode op, decltype(jute::Request::body) body, std::string path = {},
              WatchKind kind = WatchKind::kNone, Watcher w = {}) {
  Call c;
  c.req.op = op;
  c.req.body = std::move(body);
  c.path = std::move(path);
  if (w) {
    c.watch_kind = kind;
    c.watcher = std::move(w);
  }
  return c;
}

Result<void> Empty(InArchive&) { return {}; }

Result<Stat> ReadStat(InArchive& in) {
  jute::Stat s;
  s.Read(in);
  return FromJute(s);
}

template <class T, class Start>
T Await(Start start, const std::string& path) {
  auto promise = std::make_shared<std::promise<Result<T>>>();
  auto fut = promise->get_future();
  start(Callback<T>([promise](Result<T> r) { promise->set_value(std::move(r)); }), true);
  Result<T> r = fut.get();
  if (!r.ok()) throw KeeperException(r.error(), path);
  if constexpr (!std::is_void_v<T>) return std::move(r).value();
}

// ---------------------------------------------------------------- operations

void StartCreate(Client::Impl& impl, const std::string& path, const std::string& data,
                 CreateMode mode, const AclList& acl, int64_t ttl_ms, Callback<CreateResult> cb,
                 bool inline_cb) {
  OpCode op = mode == CreateMode::kContainer ? OpCode::kCreateContainer
              : HasTtl(mode)                 ? OpCode::kCreateTTL
                                             : OpCode::kCreate2;
  jute::CreateRequest req{impl.ToServer(path), data, ToJute(acl), static_cast<int32_t>(mode),
                          HasTtl(mode) ? ttl_ms : -1};
  Client::Impl* ip = &impl;
  Decoder<CreateResult> decode = [ip](InArchive& in) -> Result<CreateResult> {
    CreateResult r;
    std::string server_path;
    in.String(server_path);
    jute::Stat s;
    s.Read(in);
    return CreateResult{ip->FromServer(server_path), FromJute(s)};
  };
  Run<CreateResult>(impl, MakeCall(op, std::move(req), path), std::move(decode), std::move(cb),
                    inline_cb);
}

void StartDelete(Client::Impl& impl, const std::string& path, int32_t version,
                 Callback<void> cb, bool inline_cb) {
  // The path goes with the call for drop_after_send only (a delete sets no watch).
  Run<void>(impl,
            MakeCall(OpCode::kDelete, jute::DeleteRequest{impl.ToServer(path), version}, path),
            Empty, std::move(cb), inline_cb);
}

void StartExists(Client::Impl& impl, const std::string& path, Watcher w,
                 Callback<std::optional<Stat>> cb, bool inline_cb,
                 ReadConsistency rc = ReadConsistency::kDefault) {
  bool watch = bool(w);
  auto call = MakeCall(OpCode::kExists, jute::PathWatchRequest{impl.ToServer(path), watch},
                       path, WatchKind::kExist, std::move(w));
  call.consistency = rc;
  Decoder<std::optional<Stat>> decode = [](InArchive& in) -> Result<std::optional<Stat>> {
    return std::optional<Stat>(ReadStat(in).value());
  };
  auto on_error = [](Error e) -> Result<std::optional<Stat>> {
    if (e == Error::kNoNode) return std::optional<Stat>();
    return e;
  };
  Run<std::optional<Stat>>(impl, std::move(call), std::move(decode), std::move(cb), inline_cb,
                           on_error);
}

void StartGetData(Client::Impl& impl, const std::string& path, Watcher w, Callback<DataResult> cb,
                  bool inline_cb, ReadConsistency rc = ReadConsistency::kDefault) {
  bool watch = bool(w);
  auto call = MakeCall(OpCode::kGetData, jute::PathWatchRequest{impl.ToServer(path), watch},
                       path, WatchKind::kData, std::move(w));
  call.consistency = rc;
  Decoder<DataResult> decode = [](InArchive& in) -> Result<DataResult> {
    DataResult r;
    in.Buffer(r.data);
    r.stat = ReadStat(in).value();
    return r;
  };
  Run<DataResult>(impl, std::move(call), std::move(decode), std::move(cb), inline_cb);
}

void StartSetData(Client::Impl& impl, const std::string& path, const std::string& data,
                  int32_t version, Callback<Stat> cb, bool inline_cb) {
  Run<Stat>(impl,
            MakeCall(OpCode::kSetData, jute::SetDataRequest{impl.ToServer(path), data, version}),
            ReadStat, std::move(cb), inline_cb);
}

void StartGetChildren(Client::Impl& impl, const std::string& path, Watcher w,
                      Callback<ChildrenResult> cb, bool inline_cb,
                      ReadConsistency rc = ReadConsistency::kDefault) {
  bool watch = bool(w);
  auto call =
      MakeCall(OpCode::kGetChildren2, jute::PathWatchRequest{impl.ToServer(path), watch}, path,
               WatchKind::kChild, std::move(w));
  call.consistency = rc;
  Decoder<ChildrenResult> decode = [](InArchive& in) -> Result<ChildrenResult> {
    ChildrenResult r;
    in.StringVector(r.children);
    r.stat = ReadStat(in).value();
    return r;
  };
  Run<ChildrenResult>(impl, std::move(call), std::move(decode), std::move(cb), inline_cb);
}

void StartGetAcl(Client::Impl& impl, const std::string& path, Callback<AclResult> cb,
                 bool inline_cb, ReadConsistency rc = ReadConsistency::kDefault) {
  Decoder<AclResult> decode = [](InArchive& in) -> Result<AclResult> {
    jute::AclList acl;
    jute::ReadAclList(in, acl);
    return AclResult{FromJute(acl), ReadStat(in).value()};
  };
  Call call = MakeCall(OpCode::kGetACL, jute::PathRequest{impl.ToServer(path)});
  call.consistency = rc;
  Run<AclResult>(impl, std::move(call), std::move(decode), std::move(cb), inline_cb);
}

void StartSetAcl(Client::Impl& impl, const std::string& path, const AclList& acl,
                 int32_t version, Callback<Stat> cb, bool inline_cb) {
  Run<Stat>(impl,
            MakeCall(OpCode::kSetACL, jute::SetAclRequest{impl.ToServer(path), ToJute(acl), version}),
            ReadStat, std::move(cb), inline_cb);
}

void StartSync(Client::Impl& impl, const std::string& path, Callback<void> cb, bool inline_cb) {
  Run<void>(impl, MakeCall(OpCode::kSync, jute::PathRequest{impl.ToServer(path)}), Empty,
            std::move(cb), inline_cb);
}

// A multi's outcome; the blocking Commit needs the per-op codes even when it failed.
struct MultiOutcome {
  Error error = Error::kOk;
  std::vector<OpResult> results;
};

jute::MultiOp ToJuteOp(Client::Impl& impl, const Transaction::Op& op) {
  return std::visit(
      [&](const auto& o) -> jute::MultiOp {
        using O = std::decay_t<decltype(o)>;
        if constexpr (std::is_same_v<O, Transaction::CreateOp>) {
          OpCode code = o.mode == CreateMode::kContainer ? OpCode::kCreateContainer
                        : HasTtl(o.mode)                 ? OpCode::kCreateTTL
                                                         : OpCode::kCreate2;
          return {code, jute::CreateRequest{impl.ToServer(o.path), o.data, ToJute(o.acl),
                                            static_cast<int32_t>(o.mode),
                                            HasTtl(o.mode) ? o.ttl_ms : -1}};
        } else if constexpr (std::is_same_v<O, Transaction::DeleteOp>) {
          return {OpCode::kDelete, jute::DeleteRequest{impl.ToServer(o.path), o.version}};
        } else if constexpr (std::is_same_v<O, Transaction::SetDataOp>) {
          return {OpCode::kSetData,
                  jute::SetDataRequest{impl.ToServer(o.path), o.data, o.version}};
        } else {
          return {OpCode::kCheck, jute::CheckVersionRequest{impl.ToServer(o.path), o.version}};
        }
      },
      op);
}

Result<MultiOutcome> DecodeMulti(Client::Impl& impl, InArchive& in) {
  MultiOutcome out;
  for (;;) {
    jute::MultiHeader h;
    if (!h.Read(in) || h.done) break;
    OpResult r;
    switch (static_cast<OpCode>(h.type)) {
      case OpCode::kCreate: in.String(r.path); break;
      case OpCode::kCreate2:
        in.String(r.path);
        r.stat = ReadStat(in).value();
        break;
      case OpCode::kSetData: r.stat = ReadStat(in).value(); break;
      case OpCode::kError: {
        int32_t e = 0;
        in.Int(e);
        r.error = static_cast<Error>(e);
        break;
      }
      default: break;  // delete, check: no body
    }
    if (!r.path.empty()) r.path = impl.FromServer(r.path);
    // The transaction's error is the failing op's, not the RuntimeInconsistency of the rest.
    if (out.error == Error::kOk && r.error != Error::kOk &&
        r.error != Error::kRuntimeInconsistency)
      out.error = r.error;
    out.results.push_back(std::move(r));
  }
  return out;
}

void StartMulti(Client::Impl& impl, const Transaction& txn, Callback<MultiOutcome> cb,
                bool inline_cb) {
  jute::MultiRequest m;
  for (const auto& op : txn.ops()) m.ops.push_back(ToJuteOp(impl, op));
  Client::Impl* ip = &impl;
  Decoder<MultiOutcome> decode = [ip](InArchive& in) { return DecodeMulti(*ip, in); };
  Run<MultiOutcome>(impl, MakeCall(OpCode::kMulti, std::move(m)), std::move(decode),
                    std::move(cb), inline_cb);
}

void StartMultiRead(Client::Impl& impl, const ReadBatch& batch,
                    Callback<std::vector<ReadResult>> cb, bool inline_cb) {
  jute::MultiRequest m;
  for (const auto& r : batch.reads())
    m.ops.push_back({r.children ? OpCode::kGetChildren : OpCode::kGetData,
                     jute::PathWatchRequest{impl.ToServer(r.path), false}});
  Decoder<std::vector<ReadResult>> decode = [](InArchive& in) -> Result<std::vector<ReadResult>> {
    std::vector<ReadResult> out;
    for (;;) {
      jute::MultiHeader h;
      if (!h.Read(in) || h.done) break;
      ReadResult r;
      if (static_cast<OpCode>(h.type) == OpCode::kGetData) {
        in.Buffer(r.data);
        r.stat = ReadStat(in).value();
      } else if (static_cast<OpCode>(h.type) == OpCode::kGetChildren) {
        in.StringVector(r.children);
      } else {
        int32_t e = 0;
        in.Int(e);
        r.error = static_cast<Error>(e);
      }
      out.push_back(std::move(r));
    }
    return out;
  };
  Run<std::vector<ReadResult>>(impl, MakeCall(OpCode::kMultiRead, std::move(m)),
                               std::move(decode), std::move(cb), inline_cb);
}

void StartAddWatch(Client::Impl& impl, const std::string& path, AddWatchMode mode, Watcher w,
                   Callback<void> cb, bool inline_cb) {
  auto kind = mode == AddWatchMode::kPersistent ? WatchKind::kPersistent
                                                : WatchKind::kPersistentRecursive;
  auto call = MakeCall(OpCode::kAddWatch,
                       jute::AddWatchRequest{impl.ToServer(path), static_cast<int32_t>(mode)},
                       path, kind, std::move(w));
  Run<void>(impl, std::move(call), Empty, std::move(cb), inline_cb);
}

void StartRemoveWatches(Client::Impl& impl, const std::string& path, WatcherType type,
                        bool local, Callback<void> cb, bool inline_cb) {
  Client::Impl* ip = &impl;
  // Decoders and error mappers run on the I/O thread, which owns the watch registry.
  Decoder<void> decode = [ip, path, type](InArchive&) -> Result<void> {
    ip->RemoveLocalWatches(path, type);
    return {};
  };
  auto on_error = [ip, path, type, local](Error e) -> Result<void> {
    if (!local || e == Error::kClosing) return e;
    ip->RemoveLocalWatches(path, type);
    return {};
  };
  auto call = MakeCall(OpCode::kRemoveWatches,
                       jute::WatchTypeRequest{impl.ToServer(path), static_cast<int32_t>(type)});
  Run<void>(impl, std::move(call), std::move(decode), std::move(cb), inline_cb, on_error);
}

void StartCheckWatches(Client::Impl& impl, const std::string& path, WatcherType type,
                       Callback<void> cb, bool inline_cb) {
  auto call = MakeCall(OpCode::kCheckWatches,
                       jute::WatchTypeRequest{impl.ToServer(path), static_cast<int32_t>(type)});
  Run<void>(impl, std::move(call), Empty, std::move(cb), inline_cb);
}

void StartGetEphemerals(Client::Impl& impl, const std::string& prefix,
                        Callback<std::vector<std::string>> cb, bool inline_cb) {
  Client::Impl* ip = &impl;
  Decoder<std::vector<std::string>> decode =
      [ip](InArchive& in) -> Result<std::vector<std::string>> {
    std::vector<std::string> paths;
    in.StringVector(paths);
    for (auto& p : paths) p = ip->FromServer(p);
    return paths;
  };
  Run<std::vector<std::string>>(
      impl, MakeCall(OpCode::kGetEphemerals, jute::PathRequest{impl.ToServer(prefix)}),
      std::move(decode), std::move(cb), inline_cb);
}

void StartGetAllChildrenNumber(Client::Impl& impl, const std::string& path,
                               Callback<int32_t> cb, bool inline_cb) {
  Decoder<int32_t> decode = [](InArchive& in) -> Result<int32_t> {
    int32_t n = 0;
    in.Int(n);
    return n;
  };
  Run<int32_t>(impl,
               MakeCall(OpCode::kGetAllChildrenNumber, jute::PathRequest{impl.ToServer(path)}),
               std::move(decode), std::move(cb), inline_cb);
}

void StartWhoAmI(Client::Impl& impl, Callback<std::vector<ClientInfo>> cb, bool inline_cb) {
  Decoder<std::vector<ClientInfo>> decode = [](InArchive& in) -> Result<std::vector<ClientInfo>> {
    int32_t n = 0;
    in.Int(n);
    std::vector<ClientInfo> out;
    for (int32_t i = 0; i < n && in.ok(); ++i) {
      jute::ClientInfo ci;
      ci.Read(in);
      out.push_back({ci.auth_scheme, ci.user});
    }
    return out;
  };
  Run<std::vector<ClientInfo>>(impl, MakeCall(OpCode::kWhoAmI, {}), std::move(decode),
                               std::move(cb), inline_cb);
}

void StartAddAuth(Client::Impl& impl, const std::string& scheme, const std::string& auth,
                  Callback<void> cb, bool inline_cb) {
  Client::Impl* ip = &impl;
  impl.AddAuth(scheme, auth, [ip, cb = std::move(cb), inline_cb](Error e) {
    Result<void> r = e == Error::kOk ? Result<void>() : Result<void>(e);
    if (inline_cb) return cb(r);
    ip->Post([cb, r] { cb(r); });
  });
}

}  // namespace

// ---------------------------------------------------------------- Client: session

Client::Client(ClientOptions options) : impl_(std::make_shared<Impl>(std::move(options))) {
  auto wait = impl_->opts().connect_wait;
  impl_->Start();
  if (wait.count() > 0 && !impl_->WaitConnected(wait)) {
    impl_->Close();
    throw KeeperException(Error::kConnectionLoss);
  }
}

Client::~Client() { Close(); }
void Client::Close() { impl_->Close(); }
SessionState Client::state() const { return impl_->state(); }
bool Client::connected() const { return impl_->connected(); }
int64_t Client::session_id() const { return impl_->session_id(); }
std::string Client::session_password() const { return impl_->session_password(); }
std::chrono::milliseconds Client::negotiated_timeout() const {
  return impl_->negotiated_timeout();
}
int64_t Client::last_zxid_seen() const { return impl_->last_zxid_seen(); }
int Client::AddSessionListener(SessionListener l) { return impl_->AddListener(std::move(l)); }
void Client::RemoveSessionListener(int id) { impl_->RemoveListener(id); }
bool Client::WaitConnected(std::chrono::milliseconds t) { return impl_->WaitConnected(t); }
void Client::DropConnection() { impl_->DropConnection(); }
void Client::SimulatePartition(std::chrono::milliseconds d) { impl_->SimulatePartition(d); }

// ---------------------------------------------------------------- Client: blocking

std::string Client::Create(const std::string& path, const std::string& data, CreateMode mode,
                           const AclList& acl, int64_t ttl_ms) {
  return CreateWithStat(path, data, mode, acl, ttl_ms).path;
}

CreateResult Client::CreateWithStat(const std::string& path, const std::string& data,
                                    CreateMode mode, const AclList& acl, int64_t ttl_ms) {
  return Await<CreateResult>(
      [&](auto cb, bool i) { StartCreate(*impl_, path, data, mode, acl, ttl_ms, cb, i); }, path);
}

void Client::CreateParents(const std::string& path, CreateMode mode) {
  for (size_t slash = path.find('/', 1);; slash = path.find('/', slash + 1)) {
    std::string prefix = slash == std::string::npos ? path : path.substr(0, slash);
    try {
      Create(prefix, {}, mode);
    } catch (const KeeperException& e) {
      if (e.code() != Error::kNodeExists) throw;
    }
    if (slash == std::string::npos) return;
  }
}

void Client::Delete(const std::string& path, int32_t version) {
  Await<void>([&](auto cb, bool i) { StartDelete(*impl_, path, version, cb, i); }, path);
}

std::optional<Stat> Client::Exists(const std::string& path, Watcher watch) {
  return Await<std::optional<Stat>>(
      [&](auto cb, bool i) { StartExists(*impl_, path, std::move(watch), cb, i); }, path);
}

void Client::SetReadConsistency(ReadConsistency c) { impl_->SetReadConsistency(c); }
ReadConsistency Client::read_consistency() const { return impl_->read_consistency(); }
bool Client::read_modes_supported() const { return impl_->read_modes_supported(); }
ReadView Client::Reads(ReadConsistency c) { return ReadView(impl_, c); }

std::optional<Stat> ReadView::Exists(const std::string& path, Watcher watch) {
  return Await<std::optional<Stat>>(
      [&](auto cb, bool i) { StartExists(*impl_, path, std::move(watch), cb, i, consistency_); },
      path);
}
DataResult ReadView::GetData(const std::string& path, Watcher watch) {
  return Await<DataResult>(
      [&](auto cb, bool i) { StartGetData(*impl_, path, std::move(watch), cb, i, consistency_); },
      path);
}
std::vector<std::string> ReadView::GetChildren(const std::string& path, Watcher watch) {
  return GetChildrenWithStat(path, std::move(watch)).children;
}
ChildrenResult ReadView::GetChildrenWithStat(const std::string& path, Watcher watch) {
  return Await<ChildrenResult>(
      [&](auto cb, bool i) {
        StartGetChildren(*impl_, path, std::move(watch), cb, i, consistency_);
      },
      path);
}
AclResult ReadView::GetAcl(const std::string& path) {
  return Await<AclResult>([&](auto cb, bool i) { StartGetAcl(*impl_, path, cb, i, consistency_); },
                          path);
}
void ReadView::ExistsAsync(const std::string& path, Watcher w, Callback<std::optional<Stat>> cb) {
  StartExists(*impl_, path, std::move(w), std::move(cb), false, consistency_);
}
void ReadView::GetDataAsync(const std::string& path, Watcher w, Callback<DataResult> cb) {
  StartGetData(*impl_, path, std::move(w), std::move(cb), false, consistency_);
}
void ReadView::GetChildrenAsync(const std::string& path, Watcher w, Callback<ChildrenResult> cb) {
  StartGetChildren(*impl_, path, std::move(w), std::move(cb), false, consistency_);
}

DataResult Client::GetData(const std::string& path, Watcher watch) {
  return Await<DataResult>(
      [&](auto cb, bool i) { StartGetData(*impl_, path, std::move(watch), cb, i); }, path);
}

Stat Client::SetData(const std::string& path, const std::string& data, int32_t version) {
  return Await<Stat>([&](auto cb, bool i) { StartSetData(*impl_, path, data, version, cb, i); },
                     path);
}

std::vector<std::string> Client::GetChildren(const std::string& path, Watcher watch) {
  return GetChildrenWithStat(path, std::move(watch)).children;
}

ChildrenResult Client::GetChildrenWithStat(const std::string& path, Watcher watch) {
  return Await<ChildrenResult>(
      [&](auto cb, bool i) { StartGetChildren(*impl_, path, std::move(watch), cb, i); }, path);
}

AclResult Client::GetAcl(const std::string& path) {
  return Await<AclResult>([&](auto cb, bool i) { StartGetAcl(*impl_, path, cb, i); }, path);
}

Stat Client::SetAcl(const std::string& path, const AclList& acl, int32_t version) {
  return Await<Stat>([&](auto cb, bool i) { StartSetAcl(*impl_, path, acl, version, cb, i); },
                     path);
}

void Client::Sync(const std::string& path) {
  Await<void>([&](auto cb, bool i) { StartSync(*impl_, path, cb, i); }, path);
}

std::vector<OpResult> Client::Commit(const Transaction& txn) {
  auto out = Await<MultiOutcome>([&](auto cb, bool i) { StartMulti(*impl_, txn, cb, i); }, {});
  if (out.error != Error::kOk) throw TransactionFailed(out.error, std::move(out.results));
  return std::move(out.results);
}

std::vector<ReadResult> Client::MultiRead(const ReadBatch& batch) {
  return Await<std::vector<ReadResult>>(
      [&](auto cb, bool i) { StartMultiRead(*impl_, batch, cb, i); }, {});
}

void Client::AddWatch(const std::string& path, AddWatchMode mode, Watcher watch) {
  Await<void>([&](auto cb, bool i) { StartAddWatch(*impl_, path, mode, std::move(watch), cb, i); },
              path);
}

void Client::RemoveWatches(const std::string& path, WatcherType type, bool local) {
  Await<void>([&](auto cb, bool i) { StartRemoveWatches(*impl_, path, type, local, cb, i); },
              path);
}

void Client::CheckWatches(const std::string& path, WatcherType type) {
  Await<void>([&](auto cb, bool i) { StartCheckWatches(*impl_, path, type, cb, i); }, path);
}

std::vector<std::string> Client::GetEphemerals(const std::string& prefix) {
  return Await<std::vector<std::string>>(
      [&](auto cb, bool i) { StartGetEphemerals(*impl_, prefix, cb, i); }, prefix);
}

int32_t Client::GetAllChildrenNumber(const std::string& path) {
  return Await<int32_t>([&](auto cb, bool i) { StartGetAllChildrenNumber(*impl_, path, cb, i); },
                        path);
}

std::vector<ClientInfo> Client::WhoAmI() {
  return Await<std::vector<ClientInfo>>([&](auto cb, bool i) { StartWhoAmI(*impl_, cb, i); }, {});
}

void Client::AddAuth(const std::string& scheme, const std::string& auth) {
  Await<void>([&](auto cb, bool i) { StartAddAuth(*impl_, scheme, auth, cb, i); }, {});
}

// ---------------------------------------------------------------- Client: asynchronous

void Client::CreateAsync(const std::string& path, const std::string& data, CreateMode mode,
                         const AclList& acl, int64_t ttl_ms, Callback<CreateResult> cb) {
  StartCreate(*impl_, path, data, mode, acl, ttl_ms, std::move(cb), false);
}
void Client::DeleteAsync(const std::string& path, int32_t version, Callback<void> cb) {
  StartDelete(*impl_, path, version, std::move(cb), false);
}
void Client::ExistsAsync(const std::string& path, Watcher w, Callback<std::optional<Stat>> cb) {
  StartExists(*impl_, path, std::move(w), std::move(cb), false);
}
void Client::GetDataAsync(const std::string& path, Watcher w, Callback<DataResult> cb) {
  StartGetData(*impl_, path, std::move(w), std::move(cb), false);
}
void Client::SetDataAsync(const std::string& path, const std::string& data, int32_t version,
                          Callback<Stat> cb) {
  StartSetData(*impl_, path, data, version, std::move(cb), false);
}
void Client::GetChildrenAsync(const std::string& path, Watcher w, Callback<ChildrenResult> cb) {
  StartGetChildren(*impl_, path, std::move(w), std::move(cb), false);
}
void Client::GetAclAsync(const std::string& path, Callback<AclResult> cb) {
  StartGetAcl(*impl_, path, std::move(cb), false);
}
void Client::SetAclAsync(const std::string& path, const AclList& acl, int32_t version,
                         Callback<Stat> cb) {
  StartSetAcl(*impl_, path, acl, version, std::move(cb), false);
}
void Client::SyncAsync(const std::string& path, Callback<void> cb) {
  StartSync(*impl_, path, std::move(cb), false);
}
void Client::CommitAsync(const Transaction& txn, Callback<std::vector<OpResult>> cb) {
  StartMulti(*impl_, txn, [cb = std::move(cb)](Result<MultiOutcome> r) {
    if (!r.ok()) return cb(r.error());
    MultiOutcome out = std::move(r).value();
    if (out.error != Error::kOk) return cb(out.error);
    cb(std::move(out.results));
  }, false);
}
void Client::MultiReadAsync(const ReadBatch& batch, Callback<std::vector<ReadResult>> cb) {
  StartMultiRead(*impl_, batch, std::move(cb), false);
}
void Client::AddWatchAsync(const std::string& path, AddWatchMode mode, Watcher w,
                           Callback<void> cb) {
  StartAddWatch(*impl_, path, mode, std::move(w), std::move(cb), false);
}
void Client::RemoveWatchesAsync(const std::string& path, WatcherType type, bool local,
                                Callback<void> cb) {
  StartRemoveWatches(*impl_, path, type, local, std::move(cb), false);
}
void Client::CheckWatchesAsync(const std::string& path, WatcherType type, Callback<void> cb) {
  StartCheckWatches(*impl_, path, type, std::move(cb), false);
}
void Client::GetEphemeralsAsync(const std::string& prefix, Callback<std::vector<std::string>> cb) {
  StartGetEphemerals(*impl_, prefix, std::move(cb), false);
}
void Client::GetAllChildrenNumberAsync(const std::string& path, Callback<int32_t> cb) {
  StartGetAllChildrenNumber(*impl_, path, std::move(cb), false);
}
void Client::WhoAmIAsync(Callback<std::vector<ClientInfo>> cb) {
  StartWhoAmI(*impl_, std::move(cb), false);
}
void Client::AddAuthAsync(const std::string& scheme, const std::string& auth, Callback<void> cb) {
  StartAddAuth(*impl_, scheme, auth, std::move(cb), false);
}

}  // namespace caucus
