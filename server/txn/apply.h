// Apply: executes a committed Txn against the DataTree (ZooKeeper's DataTree.processTxn).
// Deterministic: the same txn applied to the same tree gives the same tree and result.
#pragma once

#include "server/datatree/data_tree.h"
#include "server/txn/txn.h"

namespace caucus::txn {

// `replay`: the txn is being re-applied from the log over a snapshot that may already
// contain part of its effect (snapshots are fuzzy); errors are then expected and harmless.
ApplyResult Apply(const Txn& txn, datatree::DataTree& tree, bool replay = false);

}  // namespace caucus::txn
