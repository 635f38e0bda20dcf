// ZooKeeper client protocol constants: opcodes, reserved xids, create modes, watch types and
// permission bits, with the wire values of ZooDefs.java / Watcher.java (ZooKeeper 3.9).
#pragma once

#include <cstdint>

namespace caucus::jute {

enum class OpCode : int32_t {
  kNotification = 0,
  kCreate = 1,
  kDelete = 2,
  kExists = 3,
  kGetData = 4,
  kSetData = 5,
  kGetACL = 6,
  kSetACL = 7,
  kGetChildren = 8,
  kSync = 9,
  kPing = 11,
  kGetChildren2 = 12,
  kCheck = 13,
  kMulti = 14,
  kCreate2 = 15,
  kReconfig = 16,
  kCheckWatches = 17,
  kRemoveWatches = 18,
  kCreateContainer = 19,
  kDeleteContainer = 20,
  kCreateTTL = 21,
  kMultiRead = 22,
  kAuth = 100,
  kSetWatches = 101,
  kSasl = 102,
  kGetEphemerals = 103,
  kGetAllChildrenNumber = 104,
  kSetWatches2 = 105,
  kAddWatch = 106,
  kWhoAmI = 107,
  // Caucus extensions (docs/protocol-extensions.md). Stock clients never send them;
  // ZooKeeper answers them UNIMPLEMENTED.
  kCaucusSetReadMode = 5001,  // body: int mode; the connection's read mode from now on
  kCaucusRead = 5002,         // body: int mode, int opcode, then that read's own body
  kCreateSession = -10,
  kCloseSession = -11,
  kError = -1,
};

// Reserved xids (ClientCnxn.java).
inline constexpr int32_t kNotificationXid = -1;
inline constexpr int32_t kPingXid = -2;
inline constexpr int32_t kAuthXid = -4;
inline constexpr int32_t kSetWatchesXid = -8;

// CreateMode flags (CreateMode.java).
enum class CreateMode : int32_t {
  kPersistent = 0,
  kEphemeral = 1,
  kPersistentSequential = 2,
  kEphemeralSequential = 3,
  kContainer = 4,
  kPersistentWithTtl = 5,
  kPersistentSequentialWithTtl = 6,
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

// Watcher.Event.KeeperState.
enum class KeeperState : int32_t {
  kDisconnected = 0,
  kSyncConnected = 3,
  kAuthFailed = 4,
  kConnectedReadOnly = 5,
  kSaslAuthenticated = 6,
  kClosed = 7,
  kExpired = -112,
};

// Watcher.WatcherType, as used by checkWatches/removeWatches.
enum class WatcherType : int32_t {
  kChildren = 1,
  kData = 2,
  kAny = 3,
  kPersistent = 4,
  kPersistentRecursive = 5,
};

// AddWatchMode.
enum class AddWatchMode : int32_t { kPersistent = 0, kPersistentRecursive = 1 };

// ZooDefs.Perms.
namespace perms {
inline constexpr int32_t kRead = 1;
inline constexpr int32_t kWrite = 2;
inline constexpr int32_t kCreate = 4;
inline constexpr int32_t kDelete = 8;
inline constexpr int32_t kAdmin = 16;
inline constexpr int32_t kAll = 31;
}  // namespace perms

}  // namespace caucus::jute
