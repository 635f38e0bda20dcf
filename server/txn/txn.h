// Txn: a prepared, validated change, ready to be ordered by zxid and applied.
//
// This is ZooKeeper's TxnHeader + txn record: everything needed to apply it is inside
// (the final path of a sequential node, the parent's new cversion, the new version numbers,
// the time), so applying it is deterministic on every replica and on log replay.
// A request that fails validation still becomes a Txn (type kError) and takes a zxid, as in
// ZooKeeper, so zxids and Stat fields match ZooKeeper's exactly.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "proto/jute/errors.h"
#include "proto/jute/opcodes.h"
#include "proto/jute/records.h"

namespace caucus::txn {

// One change. For a non-multi txn there is exactly one op and its type is the txn's type.
struct TxnOp {
  jute::OpCode type = jute::OpCode::kError;
  std::string path;
  std::optional<std::string> data;
  jute::AclList acl;
  int64_t ephemeral_owner = 0;  // create: session id, container or TTL marker
  int32_t parent_cversion = 0;  // create: the parent's cversion after this create
  int32_t version = 0;          // setData/setACL/check: the new (or checked) version
  jute::Error err = jute::Error::kOk;  // kError: the error to report
  int32_t timeout_ms = 0;       // createSession
  std::vector<std::string> ephemerals;  // closeSession: the nodes it deletes
};

struct Txn {
  int64_t session_id = 0;
  int32_t cxid = 0;
  int64_t zxid = 0;
  int64_t time_ms = 0;
  jute::OpCode type = jute::OpCode::kError;
  std::vector<TxnOp> ops;
};

// What applying a txn produced, for building the client's reply.
struct OpResult {
  jute::OpCode type = jute::OpCode::kError;
  jute::Error err = jute::Error::kOk;
  std::string path;
  jute::Stat stat;
};

struct ApplyResult {
  jute::Error err = jute::Error::kOk;
  std::vector<OpResult> ops;  // one per TxnOp
};

inline bool IsWriteOp(jute::OpCode op) {
  switch (op) {
    case jute::OpCode::kCreate:
    case jute::OpCode::kCreate2:
    case jute::OpCode::kCreateContainer:
    case jute::OpCode::kCreateTTL:
    case jute::OpCode::kDelete:
    case jute::OpCode::kDeleteContainer:
    case jute::OpCode::kSetData:
    case jute::OpCode::kSetACL:
    case jute::OpCode::kCheck:
    case jute::OpCode::kMulti:
    case jute::OpCode::kReconfig:
    case jute::OpCode::kCreateSession:
    case jute::OpCode::kCloseSession:
      return true;
    default:
      return false;
  }
}

}  // namespace caucus::txn
