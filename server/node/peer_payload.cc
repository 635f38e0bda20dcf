#include "server/node/peer_payload.h"

#include "proto/jute/archive.h"

namespace caucus::node {
namespace {

constexpr int32_t kMaxListed = 1 << 20;  // bounds a hostile count before any allocation

void WriteIds(jute::OutArchive& a, const std::vector<jute::Id>& ids) {
  a.Int(static_cast<int32_t>(ids.size()));
  for (const auto& id : ids) {
    a.String(id.scheme);
    a.String(id.id);
  }
}

bool ReadIds(jute::InArchive& a, std::vector<jute::Id>& ids) {
  int32_t n = 0;
  if (!a.Int(n) || n < 0 || n > kMaxListed) return false;
  ids.resize(static_cast<size_t>(n));
  for (auto& id : ids) {
    if (!a.String(id.scheme) || !a.String(id.id)) return false;
  }
  return true;
}

struct Writer {
  jute::OutArchive& a;
  void operator()(const ForwardedRequest& r) {
    a.Int(0);
    a.Long(r.session_id);
    a.Int(r.xid);
    a.Int(r.op);
    a.Buffer(r.body);
    WriteIds(a, r.auth);
    a.Bool(r.bad);
    a.Int(r.bad_error);
  }
  void operator()(const ForwardedSession& s) {
    a.Int(1);
    a.Long(s.session_id);
    a.Int(s.timeout_ms);
  }
  void operator()(const SessionTouches& t) {
    a.Int(2);
    a.Int(static_cast<int32_t>(t.sessions.size()));
    for (int64_t s : t.sessions) a.Long(s);
  }
  // Kinds 3 and 4 were the sync messages of an earlier build; never reuse them.
  void operator()(const ReadIndexRequest& r) {
    a.Int(5);
    a.Long(r.id);
  }
  void operator()(const ReadIndexReply& r) {
    a.Int(6);
    a.Long(r.id);
    a.Bool(r.ok);
    a.Long(r.zxid);
  }
};

std::optional<PeerPayload> ReadBody(jute::InArchive& a, int32_t kind) {
  switch (kind) {
    case 0: {
      ForwardedRequest r;
      if (!a.Long(r.session_id) || !a.Int(r.xid) || !a.Int(r.op) || !a.Buffer(r.body) ||
          !ReadIds(a, r.auth) || !a.Bool(r.bad) || !a.Int(r.bad_error)) {
        return std::nullopt;
      }
      return r;
    }
    case 1: {
      ForwardedSession s;
      if (!a.Long(s.session_id) || !a.Int(s.timeout_ms)) return std::nullopt;
      return s;
    }
    case 2: {
      SessionTouches t;
      int32_t n = 0;
      if (!a.Int(n) || n < 0 || n > kMaxListed) return std::nullopt;
      t.sessions.resize(static_cast<size_t>(n));
      for (auto& s : t.sessions) {
        if (!a.Long(s)) return std::nullopt;
      }
      return t;
    }
    case 5: {
      ReadIndexRequest r;
      if (!a.Long(r.id)) return std::nullopt;
      return r;
    }
    case 6: {
      ReadIndexReply r;
      if (!a.Long(r.id) || !a.Bool(r.ok) || !a.Long(r.zxid)) return std::nullopt;
      return r;
    }
    default: return std::nullopt;
  }
}

}  // namespace

std::string EncodePeerPayload(const PeerPayload& p) {
  std::string out;
  jute::OutArchive a(out);
  std::visit(Writer{a}, p);
  return out;
}

std::optional<PeerPayload> DecodePeerPayload(std::string_view bytes) {
  jute::InArchive a(bytes);
  int32_t kind = 0;
  if (!a.Int(kind)) return std::nullopt;
  auto p = ReadBody(a, kind);
  if (!p || !a.AtEnd()) return std::nullopt;
  return p;
}

}  // namespace caucus::node
