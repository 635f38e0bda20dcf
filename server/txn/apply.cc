#include "server/txn/apply.h"

#include "server/datatree/path_utils.h"

namespace caucus::txn {
namespace {

using jute::Error;
using jute::OpCode;

OpResult ApplyOp(const Txn& txn, const TxnOp& op, datatree::DataTree& tree, bool replay) {
  OpResult r;
  r.type = op.type;
  r.path = op.path;
  switch (op.type) {
    case OpCode::kCreate:
    case OpCode::kCreate2:
    case OpCode::kCreateContainer:
    case OpCode::kCreateTTL:
      r.err = tree.CreateNode(op.path, op.data, op.acl, op.ephemeral_owner, op.parent_cversion,
                              txn.zxid, txn.time_ms, &r.stat);
      if (replay && r.err == Error::kNodeExists) {
        tree.FixParentCversion(datatree::ParentPath(op.path), op.parent_cversion, txn.zxid);
      }
      break;
    case OpCode::kDelete:
    case OpCode::kDeleteContainer:
      r.err = tree.DeleteNode(op.path, txn.zxid);
      break;
    case OpCode::kSetData:
      r.err = tree.SetData(op.path, op.data, op.version, txn.zxid, txn.time_ms, &r.stat);
      break;
    case OpCode::kSetACL:
      r.err = tree.SetAcl(op.path, op.acl, op.version, &r.stat);
      break;
    case OpCode::kCloseSession:
      // Ephemerals cannot have children, so the order of these deletes does not matter.
      for (const auto& path : op.ephemerals) tree.DeleteNode(path, txn.zxid);
      break;
    case OpCode::kError:
      r.err = op.err;
      break;
    case OpCode::kCheck:
    case OpCode::kCreateSession:
    default:
      break;
  }
  return r;
}

}  // namespace

ApplyResult Apply(const Txn& txn, datatree::DataTree& tree, bool replay) {
  ApplyResult result;
  for (const auto& op : txn.ops) result.ops.push_back(ApplyOp(txn, op, tree, replay));
  if (txn.type != OpCode::kMulti && !result.ops.empty()) result.err = result.ops[0].err;
  if (txn.zxid > tree.last_processed_zxid()) tree.set_last_processed_zxid(txn.zxid);
  return result;
}

}  // namespace caucus::txn
