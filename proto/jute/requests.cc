#include "proto/jute/requests.h"

namespace caucus::jute {
namespace {

template <typename T>
bool ReadInto(Request& r, InArchive& a) {
  T v;
  if (!v.Read(a)) return false;
  r.body = std::move(v);
  return true;
}

bool ReadCreate(Request& r, InArchive& a, bool ttl) {
  CreateRequest c;
  if (!c.Read(a, ttl)) return false;
  r.body = std::move(c);
  return true;
}

bool IsReadMultiOp(OpCode op) { return op == OpCode::kGetData || op == OpCode::kGetChildren; }

bool ReadMultiOp(InArchive& a, OpCode op, MultiOp& out) {
  out.op = op;
  switch (op) {
    case OpCode::kCreate:
    case OpCode::kCreate2:
    case OpCode::kCreateContainer:
    case OpCode::kCreateTTL: {
      CreateRequest c;
      if (!c.Read(a, op == OpCode::kCreateTTL)) return false;
      out.body = std::move(c);
      return true;
    }
    case OpCode::kDelete: {
      DeleteRequest d;
      if (!d.Read(a)) return false;
      out.body = std::move(d);
      return true;
    }
    case OpCode::kSetData: {
      SetDataRequest s;
      if (!s.Read(a)) return false;
      out.body = std::move(s);
      return true;
    }
    case OpCode::kCheck: {
      CheckVersionRequest c;
      if (!c.Read(a)) return false;
      out.body = std::move(c);
      return true;
    }
    case OpCode::kGetData:
    case OpCode::kGetChildren: {
      PathWatchRequest p;
      if (!p.Read(a)) return false;
      out.body = std::move(p);
      return true;
    }
    default:
      return false;
  }
}

// A multi body is a sequence of MultiHeader + op, ended by a header with done=true.
// Read ops are only allowed in multiRead, write ops only in multi (MultiOperationRecord).
bool ReadMulti(Request& r, InArchive& a, bool read_only) {
  MultiRequest m;
  MultiHeader h;
  if (!h.Read(a)) return false;
  while (!h.done) {
    auto op = static_cast<OpCode>(h.type);
    if (IsReadMultiOp(op) != read_only) return false;
    MultiOp mop;
    if (!ReadMultiOp(a, op, mop)) return false;
    m.ops.push_back(std::move(mop));
    if (!h.Read(a)) return false;
  }
  r.body = std::move(m);
  return true;
}

bool DecodeBody(Request& r, InArchive& a) {
  switch (r.op) {
    case OpCode::kPing:
    case OpCode::kCloseSession:
    case OpCode::kWhoAmI:
      return true;
    case OpCode::kCreate:
    case OpCode::kCreate2:
    case OpCode::kCreateContainer:
      return ReadCreate(r, a, false);
    case OpCode::kCreateTTL:
      return ReadCreate(r, a, true);
    case OpCode::kDelete:
    case OpCode::kDeleteContainer:
      return ReadInto<DeleteRequest>(r, a);
    case OpCode::kExists:
    case OpCode::kGetData:
    case OpCode::kGetChildren:
    case OpCode::kGetChildren2:
      return ReadInto<PathWatchRequest>(r, a);
    case OpCode::kSetData:
      return ReadInto<SetDataRequest>(r, a);
    case OpCode::kGetACL:
    case OpCode::kSync:
    case OpCode::kGetAllChildrenNumber:
    case OpCode::kGetEphemerals:
      return ReadInto<PathRequest>(r, a);
    case OpCode::kSetACL:
      return ReadInto<SetAclRequest>(r, a);
    case OpCode::kCheck:
      return ReadInto<CheckVersionRequest>(r, a);
    case OpCode::kMulti:
      return ReadMulti(r, a, false);
    case OpCode::kMultiRead:
      return ReadMulti(r, a, true);
    case OpCode::kReconfig:
      return ReadInto<ReconfigRequest>(r, a);
    case OpCode::kCheckWatches:
    case OpCode::kRemoveWatches:
      return ReadInto<WatchTypeRequest>(r, a);
    case OpCode::kAddWatch:
      return ReadInto<AddWatchRequest>(r, a);
    case OpCode::kSetWatches:
      return ReadInto<SetWatches>(r, a);
    case OpCode::kSetWatches2:
      return ReadInto<SetWatches2>(r, a);
    case OpCode::kAuth:
      return ReadInto<AuthPacket>(r, a);
    default:
      return false;
  }
}

template <typename T>
void WriteIf(const Request& r, OutArchive& a) {
  if (auto* v = std::get_if<T>(&r.body)) v->Write(a);
}

void WriteMultiOp(const MultiOp& op, OutArchive& a) {
  MultiHeader{static_cast<int32_t>(op.op), false, -1}.Write(a);
  std::visit(
      [&](const auto& b) {
        using B = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<B, CreateRequest>) {
          b.Write(a, op.op == OpCode::kCreateTTL);
        } else {
          b.Write(a);
        }
      },
      op.body);
}

}  // namespace

bool IsKnownClientOp(int32_t op) {
  // deleteContainer (20) is issued only by the server's own reaper, never accepted from clients.
  return (op >= 1 && op <= 9) || (op >= 11 && op <= 19) || op == 21 || op == 22 || (op >= 100 && op <= 107) ||
         op == static_cast<int32_t>(OpCode::kCloseSession);
}

bool IsDataRead(OpCode op) {
  switch (op) {
    case OpCode::kGetData:
    case OpCode::kExists:
    case OpCode::kGetChildren:
    case OpCode::kGetChildren2:
    case OpCode::kGetACL:
    case OpCode::kGetAllChildrenNumber:
    case OpCode::kGetEphemerals:
    case OpCode::kMultiRead:
      return true;
    default:
      return false;
  }
}

std::optional<Request> DecodeRequest(const RequestHeader& header, std::string_view body) {
  if (!IsKnownClientOp(header.type)) return std::nullopt;
  Request r;
  r.xid = header.xid;
  r.op = static_cast<OpCode>(header.type);
  InArchive a(body);
  if (!DecodeBody(r, a)) return std::nullopt;
  // Trailing bytes are tolerated (ZooKeeper ignores them), but never a failed field.
  if (!a.ok()) return std::nullopt;
  return r;
}

void EncodeRequestBody(const Request& r, OutArchive& a) {
  if (auto* c = std::get_if<CreateRequest>(&r.body)) {
    c->Write(a, r.op == OpCode::kCreateTTL);
    return;
  }
  if (auto* m = std::get_if<MultiRequest>(&r.body)) {
    for (const auto& op : m->ops) WriteMultiOp(op, a);
    MultiHeader{-1, true, -1}.Write(a);
    return;
  }
  WriteIf<PathRequest>(r, a);
  WriteIf<PathWatchRequest>(r, a);
  WriteIf<DeleteRequest>(r, a);
  WriteIf<SetDataRequest>(r, a);
  WriteIf<SetAclRequest>(r, a);
  WriteIf<CheckVersionRequest>(r, a);
  WriteIf<AddWatchRequest>(r, a);
  WriteIf<WatchTypeRequest>(r, a);
  WriteIf<ReconfigRequest>(r, a);
  WriteIf<SetWatches>(r, a);
  WriteIf<SetWatches2>(r, a);
  WriteIf<AuthPacket>(r, a);
}

}  // namespace caucus::jute
