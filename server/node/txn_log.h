// TxnLog: where the core sends transactions to be made durable before they are applied and
// answered ("a write is acknowledged only after it is durable"). Implemented by the storage
// module (SQLite, group commit) and by test fakes.
//
// Append is asynchronous and must not block the core thread. The implementation reports back
// on the core thread through Node::OnLogDurable(generation, zxid) once every appended txn up
// to `zxid` is durable, or Node::OnLogFailed(generation, message) when a write failed, in
// which case nothing appended in that generation after the last durable zxid is in the log.
#pragma once

#include <cstdint>

#include "server/txn/txn.h"

namespace caucus::node {

class TxnLog {
 public:
  virtual ~TxnLog() = default;
  virtual void Append(const txn::Txn& txn, uint64_t generation) = 0;
};

}  // namespace caucus::node
