// Transaction: the builder of an atomic multi (ZooKeeper's Transaction / multi), and ReadBatch,
// the builder of a multiRead. Plain values; Client::Commit / Client::MultiRead run them.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "caucus/error.h"
#include "caucus/types.h"

namespace caucus {

class Transaction {
 public:
  struct CreateOp {
    std::string path;
    std::string data;
    CreateMode mode = CreateMode::kPersistent;
    AclList acl;
    int64_t ttl_ms = -1;
  };
  struct DeleteOp {
    std::string path;
    int32_t version = -1;
  };
  struct SetDataOp {
    std::string path;
    std::string data;
    int32_t version = -1;
  };
  struct CheckOp {
    std::string path;
    int32_t version = -1;
  };
  using Op = std::variant<CreateOp, DeleteOp, SetDataOp, CheckOp>;

  Transaction& Create(std::string path, std::string data,
                      CreateMode mode = CreateMode::kPersistent, AclList acl = OpenAclUnsafe(),
                      int64_t ttl_ms = -1);
  Transaction& Delete(std::string path, int32_t version = -1);
  Transaction& SetData(std::string path, std::string data, int32_t version = -1);
  Transaction& Check(std::string path, int32_t version);

  const std::vector<Op>& ops() const { return ops_; }
  bool empty() const { return ops_.empty(); }

 private:
  std::vector<Op> ops_;
};

// The result of one op of a committed transaction: path for creates, stat for creates and
// setData. In a failed transaction, error is the op's own code (kOk for ops that would have
// succeeded, kRuntimeInconsistency for those after the failing one).
struct OpResult {
  Error error = Error::kOk;
  std::string path;
  Stat stat;
};

// Thrown by the blocking Client::Commit when the transaction did not apply; results() tells
// which op failed.
class TransactionFailed : public KeeperException {
 public:
  TransactionFailed(Error code, std::vector<OpResult> results)
      : KeeperException(code), results_(std::move(results)) {}
  const std::vector<OpResult>& results() const { return results_; }
  // Index of the first op whose error is the transaction's error, or -1.
  int failed_index() const;

 private:
  std::vector<OpResult> results_;
};

class ReadBatch {
 public:
  struct Read {
    bool children = false;  // false: getData
    std::string path;
  };
  ReadBatch& GetData(std::string path);
  ReadBatch& GetChildren(std::string path);
  const std::vector<Read>& reads() const { return reads_; }

 private:
  std::vector<Read> reads_;
};

// One result of a multiRead; unlike a transaction, each read fails or succeeds on its own.
struct ReadResult {
  Error error = Error::kOk;
  std::string data;                   // getData
  Stat stat;                          // getData
  std::vector<std::string> children;  // getChildren
};

}  // namespace caucus
