// Prepare: turns a client write request into a Txn, validating it against the data tree plus
// the pending (prepared, not yet applied) changes, in the order and with the error codes of
// ZooKeeper's PrepRequestProcessor. On success the txn's effects are recorded in
// PendingChanges; a failed request becomes an error Txn (it still takes a zxid).
// Not thread-safe: owned by the core thread, called in zxid order.
#pragma once

#include <cstdint>
#include <string>

#include "proto/jute/requests.h"
#include "server/auth/auth.h"
#include "server/datatree/data_tree.h"
#include "server/txn/pending_changes.h"
#include "server/txn/txn.h"

namespace caucus::txn {

struct PrepareOptions {
  bool extended_types_enabled = false;  // TTL nodes (zookeeper.extendedTypesEnabled)
  bool reconfig_enabled = false;
};

// Who is asking, and when.
struct RequestContext {
  int64_t session_id = 0;
  int32_t cxid = 0;
  int64_t zxid = 0;
  int64_t time_ms = 0;
  const auth::AuthIds* auth = nullptr;
};

class Preparer {
 public:
  Preparer(const datatree::DataTree& tree, PendingChanges& pending, PrepareOptions options)
      : tree_(tree), pending_(pending), options_(options) {}

  // `req.op` must satisfy IsWriteOp. By value: the txn takes the request's data (move it in).
  Txn Prepare(jute::Request req, const RequestContext& ctx);
  Txn CreateSession(const RequestContext& ctx, int32_t timeout_ms);
  Txn CloseSession(const RequestContext& ctx);
  // A request that fails before validation (undecodable body): still ordered, still a zxid.
  Txn Failed(const RequestContext& ctx, jute::OpCode type, jute::Error err);
  // The reaper's delete of an empty container or expired TTL node.
  Txn DeleteContainer(const RequestContext& ctx, const std::string& path);

 private:
  Txn Header(const RequestContext& ctx, jute::OpCode type) const;
  Txn PrepareMulti(jute::MultiRequest& m, const RequestContext& ctx);

  const datatree::DataTree& tree_;
  PendingChanges& pending_;
  PrepareOptions options_;
};

}  // namespace caucus::txn
