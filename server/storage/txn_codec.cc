#include "server/storage/txn_codec.h"

#include "caucus/storage.pb.h"

namespace caucus::storage {
namespace {

void ToPb(const jute::AclList& acl, google::protobuf::RepeatedPtrField<pb::Acl>* out) {
  for (const auto& a : acl) {
    pb::Acl* p = out->Add();
    p->set_perms(a.perms);
    p->set_scheme(a.id.scheme);
    p->set_id(a.id.id);
  }
}

jute::AclList FromPb(const google::protobuf::RepeatedPtrField<pb::Acl>& in) {
  jute::AclList out;
  out.reserve(static_cast<size_t>(in.size()));
  for (const auto& p : in) out.push_back(jute::Acl{p.perms(), jute::Id{p.scheme(), p.id()}});
  return out;
}

void OpToPb(const txn::TxnOp& op, pb::TxnOp* p) {
  p->set_type(static_cast<int32_t>(op.type));
  p->set_path(op.path);
  if (op.data) {
    p->set_data(*op.data);
  } else {
    p->set_data_null(true);
  }
  ToPb(op.acl, p->mutable_acl());
  p->set_ephemeral_owner(op.ephemeral_owner);
  p->set_parent_cversion(op.parent_cversion);
  p->set_version(op.version);
  p->set_err(static_cast<int32_t>(op.err));
  p->set_timeout_ms(op.timeout_ms);
  for (const auto& e : op.ephemerals) p->add_ephemerals(e);
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
  pb::Txn p;
  p.set_session_id(t.session_id);
  p.set_cxid(t.cxid);
  p.set_zxid(t.zxid);
  p.set_time_ms(t.time_ms);
  p.set_type(static_cast<int32_t>(t.type));
  for (const auto& op : t.ops) OpToPb(op, p.add_ops());
  return p.SerializeAsString();
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
