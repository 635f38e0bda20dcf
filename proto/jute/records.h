// ZooKeeper wire records, one struct per record of zookeeper.jute, each with
// Write(OutArchive&) and Read(InArchive&). Field names and order follow zookeeper.jute
// exactly, since the order is the encoding.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "proto/jute/archive.h"

namespace caucus::jute {

struct Id {
  std::string scheme;
  std::string id;
  void Write(OutArchive& a) const;
  bool Read(InArchive& a);
  bool operator==(const Id&) const = default;
};

struct Acl {
  int32_t perms = 0;
  Id id;
  void Write(OutArchive& a) const;
  bool Read(InArchive& a);
  bool operator==(const Acl&) const = default;
};
using AclList = std::vector<Acl>;
void WriteAclList(OutArchive& a, const AclList& acl);
bool ReadAclList(InArchive& a, AclList& acl);

struct Stat {
  int64_t czxid = 0;
  int64_t mzxid = 0;
  int64_t ctime = 0;
  int64_t mtime = 0;
  int32_t version = 0;
  int32_t cversion = 0;
  int32_t aversion = 0;
  int64_t ephemeral_owner = 0;
  int32_t data_length = 0;
  int32_t num_children = 0;
  int64_t pzxid = 0;
  void Write(OutArchive& a) const;
  bool Read(InArchive& a);
  bool operator==(const Stat&) const = default;
};

struct ConnectRequest {
  int32_t protocol_version = 0;
  int64_t last_zxid_seen = 0;
  int32_t timeout_ms = 0;
  int64_t session_id = 0;
  std::string passwd;
  // Clients older than 3.5 omit the trailing readOnly byte.
  bool read_only = false;
  bool has_read_only = false;
  void Write(OutArchive& a) const;
  bool Read(InArchive& a);
};

struct ConnectResponse {
  int32_t protocol_version = 0;
  int32_t timeout_ms = 0;
  int64_t session_id = 0;
  std::string passwd;
  bool read_only = false;
  void Write(OutArchive& a) const;
  bool Read(InArchive& a);
};

struct RequestHeader {
  int32_t xid = 0;
  int32_t type = 0;
  void Write(OutArchive& a) const;
  bool Read(InArchive& a);
};

struct ReplyHeader {
  int32_t xid = 0;
  int64_t zxid = 0;
  int32_t err = 0;
  void Write(OutArchive& a) const;
  bool Read(InArchive& a);
};

struct MultiHeader {
  int32_t type = 0;
  bool done = false;
  int32_t err = 0;
  void Write(OutArchive& a) const;
  bool Read(InArchive& a);
};

struct AuthPacket {
  int32_t type = 0;
  std::string scheme;
  std::string auth;
  void Write(OutArchive& a) const;
  bool Read(InArchive& a);
};

struct SetWatches {
  int64_t relative_zxid = 0;
  std::vector<std::string> data_watches;
  std::vector<std::string> exist_watches;
  std::vector<std::string> child_watches;
  void Write(OutArchive& a) const;
  bool Read(InArchive& a);
};

struct SetWatches2 {
  int64_t relative_zxid = 0;
  std::vector<std::string> data_watches;
  std::vector<std::string> exist_watches;
  std::vector<std::string> child_watches;
  std::vector<std::string> persistent_watches;
  std::vector<std::string> persistent_recursive_watches;
  void Write(OutArchive& a) const;
  bool Read(InArchive& a);
};

// Requests that carry only a path (GetACL, Sync, GetAllChildrenNumber, GetEphemerals use
// the same shape: one ustring).
struct PathRequest {
  std::string path;
  void Write(OutArchive& a) const;
  bool Read(InArchive& a);
};

// GetData, Exists, GetChildren, GetChildren2: path + watch flag.
struct PathWatchRequest {
  std::string path;
  bool watch = false;
  void Write(OutArchive& a) const;
  bool Read(InArchive& a);
};

struct CreateRequest {
  std::string path;
  std::optional<std::string> data;
  AclList acl;
  int32_t flags = 0;
  int64_t ttl = -1;  // present on the wire only for createTTL
  void Write(OutArchive& a, bool with_ttl) const;
  bool Read(InArchive& a, bool with_ttl);
};

struct DeleteRequest {
  std::string path;
  int32_t version = -1;
  void Write(OutArchive& a) const;
  bool Read(InArchive& a);
};

struct SetDataRequest {
  std::string path;
  std::optional<std::string> data;
  int32_t version = -1;
  void Write(OutArchive& a) const;
  bool Read(InArchive& a);
};

struct CheckVersionRequest {
  std::string path;
  int32_t version = -1;
  void Write(OutArchive& a) const;
  bool Read(InArchive& a);
};

struct SetAclRequest {
  std::string path;
  AclList acl;
  int32_t version = -1;
  void Write(OutArchive& a) const;
  bool Read(InArchive& a);
};

struct AddWatchRequest {
  std::string path;
  int32_t mode = 0;
  void Write(OutArchive& a) const;
  bool Read(InArchive& a);
};

// CheckWatches and RemoveWatches share this shape.
struct WatchTypeRequest {
  std::string path;
  int32_t type = 0;
  void Write(OutArchive& a) const;
  bool Read(InArchive& a);
};

struct ReconfigRequest {
  std::string joining_servers;
  std::string leaving_servers;
  std::string new_members;
  int64_t cur_config_id = -1;
  void Write(OutArchive& a) const;
  bool Read(InArchive& a);
};

struct WatcherEvent {
  int32_t type = 0;
  int32_t state = 0;
  std::string path;
  void Write(OutArchive& a) const;
  bool Read(InArchive& a);
};

struct ClientInfo {
  std::string auth_scheme;
  std::string user;
  void Write(OutArchive& a) const;
  bool Read(InArchive& a);
};

}  // namespace caucus::jute
