// SessionTracker: live sessions, their negotiated timeouts and when each expires.
//
// Expiry is grouped into tick-sized buckets as in ZooKeeper's ExpiryQueue: a session touched
// at time t expires at the first tick boundary after t + timeout, so one check per tick finds
// every expired session without scanning them all. Time is passed in (monotonic ms); the
// tracker never reads a clock, so it runs unchanged under simulation.
// Not thread-safe: owned by the core thread.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace caucus::session {

struct Session {
  int64_t id = 0;
  int32_t timeout_ms = 0;
  std::string passwd;
  int64_t expires_at_ms = 0;
  bool closing = false;  // a closeSession is on its way; no new requests are accepted
};

class SessionTracker {
 public:
  explicit SessionTracker(int32_t tick_ms) : tick_ms_(tick_ms > 0 ? tick_ms : 1) {}

  void Add(int64_t id, int32_t timeout_ms, std::string passwd, int64_t now_ms);
  // Pushes the expiry of a live session forward; false if it is unknown or closing.
  bool Touch(int64_t id, int64_t now_ms);
  void SetTimeout(int64_t id, int32_t timeout_ms);
  void SetClosing(int64_t id);
  // A close that could not be made durable: the session is live again and expires one tick
  // from now, so the close is retried.
  void Reopen(int64_t id, int64_t now_ms);
  void Remove(int64_t id);
  const Session* Find(int64_t id) const;
  // Sessions whose expiry time has passed and that are not already closing; marks them
  // closing, so each is returned once.
  std::vector<int64_t> TakeExpired(int64_t now_ms);
  size_t size() const { return sessions_.size(); }
  const std::unordered_map<int64_t, Session>& sessions() const { return sessions_; }

 private:
  int64_t RoundUp(int64_t t) const { return (t / tick_ms_ + 1) * tick_ms_; }
  void Unbucket(const Session& s);

  int32_t tick_ms_;
  std::unordered_map<int64_t, Session> sessions_;
  std::map<int64_t, std::set<int64_t>> buckets_;  // expiry time -> session ids
};

}  // namespace caucus::session
