// Value types of the client API: Stat, ACLs, create modes, watch events and session states.
// Plain structs with ZooKeeper's field names and wire values; no behaviour beyond helpers.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace caucus {

// A znode's metadata (org.apache.zookeeper.data.Stat).
struct Stat {
  int64_t czxid = 0;  // zxid of the create; also the fencing token of lock/leader recipes
  int64_t mzxid = 0;
  int64_t ctime = 0;  // ms since the epoch
  int64_t mtime = 0;
  int32_t version = 0;
  int32_t cversion = 0;
  int32_t aversion = 0;
  int64_t ephemeral_owner = 0;  // session id for ephemerals, 0 otherwise
  int32_t data_length = 0;
  int32_t num_children = 0;
  int64_t pzxid = 0;
  bool operator==(const Stat&) const = default;
};

struct Id {
  std::string scheme;  // "world", "auth", "digest", "ip", "super"
  std::string id;
  bool operator==(const Id&) const = default;
};

namespace perms {
inline constexpr int32_t kRead = 1;
inline constexpr int32_t kWrite = 2;
inline constexpr int32_t kCreate = 4;
inline constexpr int32_t kDelete = 8;
inline constexpr int32_t kAdmin = 16;
inline constexpr int32_t kAll = 31;
}  // namespace perms

struct Acl {
  int32_t perms = 0;
  Id id;
  bool operator==(const Acl&) const = default;
};
using AclList = std::vector<Acl>;

// ZooDefs.Ids.
AclList OpenAclUnsafe();   // world:anyone, all permissions
AclList ReadAclUnsafe();   // world:anyone, read
AclList CreatorAllAcl();   // auth:, all permissions (needs an authenticated session)

// CreateMode with the wire flag values.
enum class CreateMode : int32_t {
  kPersistent = 0,
  kEphemeral = 1,
  kPersistentSequential = 2,
  kEphemeralSequential = 3,
  kContainer = 4,
  kPersistentWithTtl = 5,
  kPersistentSequentialWithTtl = 6,
};
bool IsEphemeral(CreateMode m);
bool IsSequential(CreateMode m);
bool HasTtl(CreateMode m);

struct CreateResult {
  std::string path;  // the created path (with the sequence suffix for sequential modes)
  Stat stat;
};

struct DataResult {
  std::string data;
  Stat stat;
};

struct ChildrenResult {
  std::vector<std::string> children;
  Stat stat;
};

struct AclResult {
  AclList acl;
  Stat stat;
};

// whoAmI: one entry per identity of the session.
struct ClientInfo {
  std::string auth_scheme;
  std::string user;
};

// Watcher.Event.EventType.
enum class EventType : int32_t {
  kNone = -1,
  kNodeCreated = 1,
  kNodeDeleted = 2,
  kNodeDataChanged = 3,
  kNodeChildrenChanged = 4,
  kDataWatchRemoved = 5,
  kChildWatchRemoved = 6,
  kPersistentWatchRemoved = 7,
};
const char* EventTypeName(EventType t);

// Watcher.Event.KeeperState (the raw state carried by a watch event).
enum class KeeperState : int32_t {
  kDisconnected = 0,
  kSyncConnected = 3,
  kAuthFailed = 4,
  kConnectedReadOnly = 5,
  kClosed = 7,
  kExpired = -112,
};

struct WatchEvent {
  EventType type = EventType::kNone;
  KeeperState state = KeeperState::kSyncConnected;
  std::string path;  // relative to the chroot
};
using Watcher = std::function<void(const WatchEvent&)>;

// How a read is served (docs/consistency.md): kLocal is ZooKeeper's (the connected server's
// state as it is), kQuorum and kLeader are linearizable. kDefault: the client's current
// default (ClientOptions::read_consistency, or Client::SetReadConsistency).
enum class ReadConsistency : int8_t { kDefault = -1, kLocal = 0, kQuorum = 1, kLeader = 2 };
const char* ReadConsistencyName(ReadConsistency c);

// Connection/session state as recipes care about it (Curator's ConnectionState vocabulary).
enum class SessionState {
  kConnected,    // a new session was established
  kSuspended,    // the connection is lost; the session may still be alive on the server
  kReconnected,  // the connection is back and the same session (ephemerals, watches) survived
  kExpired,      // the server dropped the session: ephemerals are gone, watches lost
  kAuthFailed,   // the server rejected the credentials; the client stops
  kClosed,       // Close() was called
};
const char* SessionStateName(SessionState s);
using SessionListener = std::function<void(SessionState)>;

// addWatch modes.
enum class AddWatchMode : int32_t { kPersistent = 0, kPersistentRecursive = 1 };

// checkWatches / removeWatches types.
enum class WatcherType : int32_t {
  kChildren = 1,
  kData = 2,
  kAny = 3,
  kPersistent = 4,
  kPersistentRecursive = 5,
};

}  // namespace caucus
