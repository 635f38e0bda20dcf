#include "server/session/session_tracker.h"

namespace caucus::session {

void SessionTracker::Add(int64_t id, int32_t timeout_ms, std::string passwd, int64_t now_ms) {
  Remove(id);
  Session s{id, timeout_ms, std::move(passwd), RoundUp(now_ms + timeout_ms), false};
  buckets_[s.expires_at_ms].insert(id);
  sessions_.emplace(id, std::move(s));
}

void SessionTracker::Unbucket(const Session& s) {
  auto b = buckets_.find(s.expires_at_ms);
  if (b == buckets_.end()) return;
  b->second.erase(s.id);
  if (b->second.empty()) buckets_.erase(b);
}

bool SessionTracker::Touch(int64_t id, int64_t now_ms) {
  auto it = sessions_.find(id);
  if (it == sessions_.end() || it->second.closing) return false;
  Session& s = it->second;
  int64_t at = RoundUp(now_ms + s.timeout_ms);
  if (at <= s.expires_at_ms) return true;
  Unbucket(s);
  s.expires_at_ms = at;
  buckets_[at].insert(id);
  return true;
}

void SessionTracker::SetTimeout(int64_t id, int32_t timeout_ms) {
  auto it = sessions_.find(id);
  if (it != sessions_.end()) it->second.timeout_ms = timeout_ms;
}

void SessionTracker::SetClosing(int64_t id) {
  auto it = sessions_.find(id);
  if (it != sessions_.end()) it->second.closing = true;
}

void SessionTracker::Reopen(int64_t id, int64_t now_ms) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  Unbucket(it->second);
  it->second.closing = false;
  it->second.expires_at_ms = RoundUp(now_ms);
  buckets_[it->second.expires_at_ms].insert(id);
}

void SessionTracker::Remove(int64_t id) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  Unbucket(it->second);
  sessions_.erase(it);
}

const Session* SessionTracker::Find(int64_t id) const {
  auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : &it->second;
}

std::vector<int64_t> SessionTracker::TakeExpired(int64_t now_ms) {
  std::vector<int64_t> out;
  while (!buckets_.empty() && buckets_.begin()->first <= now_ms) {
    for (int64_t id : buckets_.begin()->second) {
      auto it = sessions_.find(id);
      if (it != sessions_.end() && !it->second.closing) {
        it->second.closing = true;
        out.push_back(id);
      }
    }
    buckets_.erase(buckets_.begin());
  }
  return out;
}

}  // namespace caucus::session
