#include "proto/jute/records.h"

namespace caucus::jute {

void Id::Write(OutArchive& a) const {
  a.String(scheme);
  a.String(id);
}
bool Id::Read(InArchive& a) { return a.String(scheme) && a.String(id); }

void Acl::Write(OutArchive& a) const {
  a.Int(perms);
  id.Write(a);
}
bool Acl::Read(InArchive& a) { return a.Int(perms) && id.Read(a); }

void WriteAclList(OutArchive& a, const AclList& acl) {
  a.Int(static_cast<int32_t>(acl.size()));
  for (const auto& e : acl) e.Write(a);
}

bool ReadAclList(InArchive& a, AclList& acl) {
  int32_t n;
  if (!a.Int(n)) return false;
  acl.clear();
  if (n == -1) return true;
  // An ACL entry takes at least 12 bytes (perms + two lengths).
  if (n < 0 || static_cast<size_t>(n) > a.remaining() / 12) {
    a.Fail();
    return false;
  }
  acl.resize(static_cast<size_t>(n));
  for (auto& e : acl) {
    if (!e.Read(a)) return false;
  }
  return true;
}

void Stat::Write(OutArchive& a) const {
  a.Long(czxid);
  a.Long(mzxid);
  a.Long(ctime);
  a.Long(mtime);
  a.Int(version);
  a.Int(cversion);
  a.Int(aversion);
  a.Long(ephemeral_owner);
  a.Int(data_length);
  a.Int(num_children);
  a.Long(pzxid);
}
bool Stat::Read(InArchive& a) {
  return a.Long(czxid) && a.Long(mzxid) && a.Long(ctime) && a.Long(mtime) && a.Int(version) &&
         a.Int(cversion) && a.Int(aversion) && a.Long(ephemeral_owner) && a.Int(data_length) &&
         a.Int(num_children) && a.Long(pzxid);
}

void ConnectRequest::Write(OutArchive& a) const {
  a.Int(protocol_version);
  a.Long(last_zxid_seen);
  a.Int(timeout_ms);
  a.Long(session_id);
  a.Buffer(passwd);
  if (has_read_only) a.Bool(read_only);
}
bool ConnectRequest::Read(InArchive& a) {
  if (!(a.Int(protocol_version) && a.Long(last_zxid_seen) && a.Int(timeout_ms) &&
        a.Long(session_id) && a.Buffer(passwd))) {
    return false;
  }
  has_read_only = a.remaining() > 0;
  read_only = false;
  return !has_read_only || a.Bool(read_only);
}

void ConnectResponse::Write(OutArchive& a) const {
  a.Int(protocol_version);
  a.Int(timeout_ms);
  a.Long(session_id);
  a.Buffer(passwd);
  a.Bool(read_only);
}
bool ConnectResponse::Read(InArchive& a) {
  if (!(a.Int(protocol_version) && a.Int(timeout_ms) && a.Long(session_id) && a.Buffer(passwd))) {
    return false;
  }
  read_only = false;
  return a.remaining() == 0 || a.Bool(read_only);
}

void RequestHeader::Write(OutArchive& a) const {
  a.Int(xid);
  a.Int(type);
}
bool RequestHeader::Read(InArchive& a) { return a.Int(xid) && a.Int(type); }

void ReplyHeader::Write(OutArchive& a) const {
  a.Int(xid);
  a.Long(zxid);
  a.Int(err);
}
bool ReplyHeader::Read(InArchive& a) { return a.Int(xid) && a.Long(zxid) && a.Int(err); }

void MultiHeader::Write(OutArchive& a) const {
  a.Int(type);
  a.Bool(done);
  a.Int(err);
}
bool MultiHeader::Read(InArchive& a) { return a.Int(type) && a.Bool(done) && a.Int(err); }

void AuthPacket::Write(OutArchive& a) const {
  a.Int(type);
  a.String(scheme);
  a.Buffer(auth);
}
bool AuthPacket::Read(InArchive& a) { return a.Int(type) && a.String(scheme) && a.Buffer(auth); }

void SetWatches::Write(OutArchive& a) const {
  a.Long(relative_zxid);
  a.StringVector(data_watches);
  a.StringVector(exist_watches);
  a.StringVector(child_watches);
}
bool SetWatches::Read(InArchive& a) {
  return a.Long(relative_zxid) && a.StringVector(data_watches) && a.StringVector(exist_watches) &&
         a.StringVector(child_watches);
}

void SetWatches2::Write(OutArchive& a) const {
  a.Long(relative_zxid);
  a.StringVector(data_watches);
  a.StringVector(exist_watches);
  a.StringVector(child_watches);
  a.StringVector(persistent_watches);
  a.StringVector(persistent_recursive_watches);
}
bool SetWatches2::Read(InArchive& a) {
  return a.Long(relative_zxid) && a.StringVector(data_watches) && a.StringVector(exist_watches) &&
         a.StringVector(child_watches) && a.StringVector(persistent_watches) &&
         a.StringVector(persistent_recursive_watches);
}

void PathRequest::Write(OutArchive& a) const { a.String(path); }
bool PathRequest::Read(InArchive& a) { return a.String(path); }

void PathWatchRequest::Write(OutArchive& a) const {
  a.String(path);
  a.Bool(watch);
}
bool PathWatchRequest::Read(InArchive& a) { return a.String(path) && a.Bool(watch); }

void CreateRequest::Write(OutArchive& a, bool with_ttl) const {
  a.String(path);
  a.OptionalBuffer(data);
  WriteAclList(a, acl);
  a.Int(flags);
  if (with_ttl) a.Long(ttl);
}
bool CreateRequest::Read(InArchive& a, bool with_ttl) {
  if (!(a.String(path) && a.OptionalBuffer(data) && ReadAclList(a, acl) && a.Int(flags))) {
    return false;
  }
  ttl = -1;
  return !with_ttl || a.Long(ttl);
}

void DeleteRequest::Write(OutArchive& a) const {
  a.String(path);
  a.Int(version);
}
bool DeleteRequest::Read(InArchive& a) { return a.String(path) && a.Int(version); }

void SetDataRequest::Write(OutArchive& a) const {
  a.String(path);
  a.OptionalBuffer(data);
  a.Int(version);
}
bool SetDataRequest::Read(InArchive& a) {
  return a.String(path) && a.OptionalBuffer(data) && a.Int(version);
}

void CheckVersionRequest::Write(OutArchive& a) const {
  a.String(path);
  a.Int(version);
}
bool CheckVersionRequest::Read(InArchive& a) { return a.String(path) && a.Int(version); }

void SetAclRequest::Write(OutArchive& a) const {
  a.String(path);
  WriteAclList(a, acl);
  a.Int(version);
}
bool SetAclRequest::Read(InArchive& a) {
  return a.String(path) && ReadAclList(a, acl) && a.Int(version);
}

void AddWatchRequest::Write(OutArchive& a) const {
  a.String(path);
  a.Int(mode);
}
bool AddWatchRequest::Read(InArchive& a) { return a.String(path) && a.Int(mode); }

void WatchTypeRequest::Write(OutArchive& a) const {
  a.String(path);
  a.Int(type);
}
bool WatchTypeRequest::Read(InArchive& a) { return a.String(path) && a.Int(type); }

void ReconfigRequest::Write(OutArchive& a) const {
  a.String(joining_servers);
  a.String(leaving_servers);
  a.String(new_members);
  a.Long(cur_config_id);
}
bool ReconfigRequest::Read(InArchive& a) {
  return a.String(joining_servers) && a.String(leaving_servers) && a.String(new_members) &&
         a.Long(cur_config_id);
}

void WatcherEvent::Write(OutArchive& a) const {
  a.Int(type);
  a.Int(state);
  a.String(path);
}
bool WatcherEvent::Read(InArchive& a) { return a.Int(type) && a.Int(state) && a.String(path); }

void ClientInfo::Write(OutArchive& a) const {
  a.String(auth_scheme);
  a.String(user);
}
bool ClientInfo::Read(InArchive& a) { return a.String(auth_scheme) && a.String(user); }

}  // namespace caucus::jute
