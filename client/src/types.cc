#include "caucus/transaction.h"
#include "caucus/types.h"

namespace caucus {

AclList OpenAclUnsafe() { return {{perms::kAll, {"world", "anyone"}}}; }
AclList ReadAclUnsafe() { return {{perms::kRead, {"world", "anyone"}}}; }
AclList CreatorAllAcl() { return {{perms::kAll, {"auth", ""}}}; }

bool IsEphemeral(CreateMode m) {
  return m == CreateMode::kEphemeral || m == CreateMode::kEphemeralSequential;
}
bool IsSequential(CreateMode m) {
  return m == CreateMode::kPersistentSequential || m == CreateMode::kEphemeralSequential ||
         m == CreateMode::kPersistentSequentialWithTtl;
}
bool HasTtl(CreateMode m) {
  return m == CreateMode::kPersistentWithTtl || m == CreateMode::kPersistentSequentialWithTtl;
}

const char* EventTypeName(EventType t) {
  switch (t) {
    case EventType::kNone: return "None";
    case EventType::kNodeCreated: return "NodeCreated";
    case EventType::kNodeDeleted: return "NodeDeleted";
    case EventType::kNodeDataChanged: return "NodeDataChanged";
    case EventType::kNodeChildrenChanged: return "NodeChildrenChanged";
    case EventType::kDataWatchRemoved: return "DataWatchRemoved";
    case EventType::kChildWatchRemoved: return "ChildWatchRemoved";
    case EventType::kPersistentWatchRemoved: return "PersistentWatchRemoved";
  }
  return "Unknown";
}

const char* SessionStateName(SessionState s) {
  switch (s) {
    case SessionState::kConnected: return "CONNECTED";
    case SessionState::kSuspended: return "SUSPENDED";
    case SessionState::kReconnected: return "RECONNECTED";
    case SessionState::kExpired: return "EXPIRED";
    case SessionState::kAuthFailed: return "AUTH_FAILED";
    case SessionState::kClosed: return "CLOSED";
  }
  return "UNKNOWN";
}

Transaction& Transaction::Create(std::string path, std::string data, CreateMode mode,
                                 AclList acl, int64_t ttl_ms) {
  ops_.emplace_back(CreateOp{std::move(path), std::move(data), mode, std::move(acl), ttl_ms});
  return *this;
}
Transaction& Transaction::Delete(std::string path, int32_t version) {
  ops_.emplace_back(DeleteOp{std::move(path), version});
  return *this;
}
Transaction& Transaction::SetData(std::string path, std::string data, int32_t version) {
  ops_.emplace_back(SetDataOp{std::move(path), std::move(data), version});
  return *this;
}
Transaction& Transaction::Check(std::string path, int32_t version) {
  ops_.emplace_back(CheckOp{std::move(path), version});
  return *this;
}

int TransactionFailed::failed_index() const {
  for (size_t i = 0; i < results_.size(); ++i)
    if (results_[i].error == code()) return static_cast<int>(i);
  return -1;
}

ReadBatch& ReadBatch::GetData(std::string path) {
  reads_.push_back({false, std::move(path)});
  return *this;
}
ReadBatch& ReadBatch::GetChildren(std::string path) {
  reads_.push_back({true, std::move(path)});
  return *this;
}

const char* ReadConsistencyName(ReadConsistency c) {
  switch (c) {
    case ReadConsistency::kDefault: return "default";
    case ReadConsistency::kLocal: return "local";
    case ReadConsistency::kQuorum: return "quorum";
    case ReadConsistency::kLeader: return "leader";
  }
  return "?";
}

}  // namespace caucus
