#include "tests/support/wire.h"

#include <algorithm>

namespace caucus::testing {

void FakeResponder::Send(node::ConnId conn, std::string frame) {
  jute::InArchive a(frame);
  int32_t len = -1;
  if (!a.Int(len) || len < 0 || static_cast<size_t>(len) != frame.size() - 4) ++bad_prefixes_;
  events_.push_back(Event{conn, false, frame.size() >= 4 ? frame.substr(4) : std::string()});
}

void FakeResponder::Close(node::ConnId conn, std::string_view reason) {
  events_.push_back(Event{conn, true, std::string(reason)});
}

std::vector<std::string> FakeResponder::TakeFrames(node::ConnId conn) {
  auto it = std::find_if(taken_.begin(), taken_.end(),
                         [&](const auto& p) { return p.first == conn; });
  if (it == taken_.end()) it = taken_.insert(taken_.end(), {conn, 0});
  std::vector<std::string> out;
  for (size_t i = it->second; i < events_.size(); ++i) {
    if (events_[i].conn == conn && !events_[i].close) out.push_back(events_[i].frame);
  }
  it->second = events_.size();
  return out;
}

bool FakeResponder::IsClosed(node::ConnId conn) const {
  return std::any_of(events_.begin(), events_.end(),
                     [&](const Event& e) { return e.conn == conn && e.close; });
}

std::string EncodeConnect(int64_t session_id, std::string_view passwd, int32_t timeout_ms,
                          int64_t last_zxid_seen) {
  jute::ConnectRequest r;
  r.protocol_version = 0;
  r.last_zxid_seen = last_zxid_seen;
  r.timeout_ms = timeout_ms;
  r.session_id = session_id;
  r.passwd = std::string(passwd);
  r.has_read_only = true;
  r.read_only = false;
  std::string out;
  jute::OutArchive a(out);
  r.Write(a);
  return out;
}

std::string EncodeRequest(const jute::Request& req) {
  std::string out;
  jute::OutArchive a(out);
  jute::RequestHeader{req.xid, static_cast<int32_t>(req.op)}.Write(a);
  jute::EncodeRequestBody(req, a);
  return out;
}

std::string EncodeRequest(int32_t xid, jute::OpCode op) {
  jute::Request r;
  r.xid = xid;
  r.op = op;
  return EncodeRequest(r);
}

std::string WithLengthPrefix(std::string_view payload) {
  std::string out;
  jute::OutArchive a(out);
  a.Int(static_cast<int32_t>(payload.size()));
  out.append(payload);
  return out;
}

bool ParseReply(std::string_view frame, Reply& out) {
  jute::InArchive a(frame);
  if (!out.header.Read(a)) return false;
  out.body = std::string(frame.substr(16));
  return true;
}

bool ParseEvent(std::string_view body, jute::WatcherEvent& out) {
  jute::InArchive a(body);
  return out.Read(a) && a.AtEnd();
}

jute::Request MakeCreate(int32_t xid, std::string path, std::optional<std::string> data,
                         int32_t flags, jute::AclList acl, jute::OpCode op) {
  jute::Request r;
  r.xid = xid;
  r.op = op;
  jute::CreateRequest c;
  c.path = std::move(path);
  c.data = std::move(data);
  c.acl = acl.empty() ? OpenAcl() : std::move(acl);
  c.flags = flags;
  r.body = std::move(c);
  return r;
}

jute::Request MakePathWatch(int32_t xid, jute::OpCode op, std::string path, bool watch) {
  jute::Request r;
  r.xid = xid;
  r.op = op;
  r.body = jute::PathWatchRequest{std::move(path), watch};
  return r;
}

jute::Request MakeSetData(int32_t xid, std::string path, std::optional<std::string> data,
                          int32_t version) {
  jute::Request r;
  r.xid = xid;
  r.op = jute::OpCode::kSetData;
  r.body = jute::SetDataRequest{std::move(path), std::move(data), version};
  return r;
}

jute::Request MakeDelete(int32_t xid, std::string path, int32_t version) {
  jute::Request r;
  r.xid = xid;
  r.op = jute::OpCode::kDelete;
  r.body = jute::DeleteRequest{std::move(path), version};
  return r;
}

jute::AclList OpenAcl() {
  return {jute::Acl{jute::perms::kAll, jute::Id{"world", "anyone"}}};
}

}  // namespace caucus::testing
