#include "server/storage/txn_codec.h"

#include "caucus/storage.pb.h"
#include "server/storage/wire_writer.h"

namespace caucus::storage {
namespace {

jute::AclList FromPb(const google::protobuf::RepeatedPtrField<pb::Acl>& in) {
  jute::AclList out;
  out.reserve(static_cast<size_t>(in.size()));
  for (const auto& p : in) out.push_back(jute::Acl{p.perms(), jute::Id{p.scheme(), p.id()}});
  return out;
}

// The Protobuf wire format of pb::Txn, written directly: building the message would copy
// every op's data into it and then again into the serialized string, with an allocation per
// field, on the core thread, for every write. Same bytes as SerializeAsString (fields in
// number order, proto3 defaults left out; tests/server/storage checks it against Protobuf).
size_t AclSize(const jute::Acl& a) {
  return WireWriter::IntField(a.perms) + WireWriter::LenField(a.id.scheme.size()) +
         WireWriter::LenField(a.id.id.size());
}

size_t OpSize(const txn::TxnOp& op) {
  size_t n = WireWriter::IntField(static_cast<int32_t>(op.type)) +
             WireWriter::LenField(op.path.size()) +
             WireWriter::LenField(op.data ? op.data->size() : 0) + (op.data ? 0 : 2);
  for (const auto& a : op.acl) n += WireWriter::LenField(AclSize(a), true);
  n += WireWriter::IntField(op.ephemeral_owner) + WireWriter::IntField(op.parent_cversion) +
       WireWriter::IntField(op.version) + WireWriter::IntField(static_cast<int32_t>(op.err)) +
       WireWriter::IntField(op.timeout_ms);
  for (const auto& e : op.ephemerals) n += WireWriter::LenField(e.size(), true);
  return n;
}

void WriteOp(WireWriter& w, const txn::TxnOp& op) {
  w.Int(1, static_cast<int32_t>(op.type));
  w.Bytes(2, op.path);
  if (op.data) {
    w.Bytes(3, *op.data);
  } else {
    w.Int(4, 1);  // data_null
  }
  for (const auto& a : op.acl) {
    w.Len(5, AclSize(a));
    w.Int(1, a.perms);
    w.Bytes(2, a.id.scheme);
    w.Bytes(3, a.id.id);
  }
  w.Int(6, op.ephemeral_owner);
  w.Int(7, op.parent_cversion);
  w.Int(8, op.version);
  w.Int(9, static_cast<int32_t>(op.err));
  w.Int(10, op.timeout_ms);
  for (const auto& e : op.ephemerals) {
    w.Len(11, e.size());  // a repeated string's empty elements are written too
    w.Raw(e);
  }
}

txn::TxnOp OpFromPb(const pb::TxnOp& p) {
  txn::TxnOp op;
  op.type = static_cast<jute::OpCode>(p.type());
  op.path = p.path();
  if (!p.data_null()) op.data = p.data();
  op.acl = FromPb(p.acl());
  op.ephemeral_owner = p.ephemeral_owner();
  op.parent_cversion = p.parent_cversion();
  op.version = p.version();
  op.err = static_cast<jute::Error>(p.err());
  op.timeout_ms = p.timeout_ms();
  op.ephemerals.assign(p.ephemerals().begin(), p.ephemerals().end());
  return op;
}

}  // namespace

std::string EncodeTxn(const txn::Txn& t) {
  std::string out;
  EncodeTxnInto(t, out);
  return out;
}

void EncodeTxnInto(const txn::Txn& t, std::string& out) {
  size_t size = WireWriter::IntField(t.session_id) + WireWriter::IntField(t.cxid) +
                WireWriter::IntField(t.zxid) + WireWriter::IntField(t.time_ms) +
                WireWriter::IntField(static_cast<int32_t>(t.type));
  for (const auto& op : t.ops) size += WireWriter::LenField(OpSize(op), true);
  out.clear();
  out.reserve(size);
  WireWriter w(out);
  w.Int(1, t.session_id);
  w.Int(2, t.cxid);
  w.Int(3, t.zxid);
  w.Int(4, t.time_ms);
  w.Int(5, static_cast<int32_t>(t.type));
  for (const auto& op : t.ops) {
    w.Len(6, OpSize(op));
    WriteOp(w, op);
  }
}

bool DecodeTxn(std::string_view bytes, txn::Txn& out) {
  pb::Txn p;
  if (!p.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return false;
  out.session_id = p.session_id();
  out.cxid = p.cxid();
  out.zxid = p.zxid();
  out.time_ms = p.time_ms();
  out.type = static_cast<jute::OpCode>(p.type());
  out.ops.clear();
  for (const auto& op : p.ops()) out.ops.push_back(OpFromPb(op));
  return true;
}

}  // namespace caucus::storage
