// Apply: executes a committed Txn against the DataTree (ZooKeeper's DataTree.processTxn).
// Deterministic: the same txn applied to the same tree gives the same tree and result.
#pragma once

#include "server/datatree/data_tree.h"
#include "server/txn/txn.h"

namespace caucus::txn {

ApplyResult Apply(const Txn& txn, datatree::DataTree& tree);

}  // namespace caucus::txn
