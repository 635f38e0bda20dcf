// AtomicCounter: a 64-bit counter in one znode, changed by optimistic compare-and-set on the
// znode's version (Curator's DistributedAtomicLong without its lock-based fallback).
//
//   caucus::recipes::AtomicCounter hits(client, "/stats/hits");
//   auto r = hits.Increment();           // r.succeeded, r.pre, r.post
//   int64_t now = hits.Get();
//
// The value is 8 bytes big-endian (Curator's encoding, so both can share a counter); a
// missing node or empty data reads as 0. Every change reads the value and its version, then
// writes with that version; a concurrent change makes the write fail with BadVersion and the
// change is tried again on the new value. So no update is lost, and each successful Add is
// applied exactly once.
//
// Faults: reads are retried through connection losses. A write whose reply is lost is
// resolved by re-reading: if the version has not moved, the write did not happen and is
// retried; if it moved, the outcome is unknown (ours or a concurrent writer's) and the call
// throws KeeperException(kConnectionLoss) rather than risk applying the change twice.
//
// Thread-safety: a counter object may be used from several threads at once.
#pragma once

#include <cstdint>
#include <string>

#include "caucus/client.h"

namespace caucus::recipes {

// The outcome of a change (Curator's AtomicValue): the value before and after it.
struct CounterResult {
  bool succeeded = false;
  int64_t pre = 0;
  int64_t post = 0;  // == pre when the change did not apply
};

class AtomicCounter {
 public:
  // `max_attempts` bounds the optimistic retries of Add (0: until it succeeds). A change that
  // runs out of attempts returns succeeded == false and changes nothing.
  AtomicCounter(Client& client, std::string path, int max_attempts = 0);

  // The current value (0 if the node does not exist).
  int64_t Get();
  CounterResult Add(int64_t delta);
  CounterResult Subtract(int64_t delta) { return Add(-delta); }
  CounterResult Increment() { return Add(1); }
  CounterResult Decrement() { return Add(-1); }
  // Sets `value` if the counter currently equals `expected` (retried while a concurrent write
  // leaves it equal); fails as soon as it differs.
  CounterResult CompareAndSet(int64_t expected, int64_t value);
  // One optimistic attempt: sets `value` unless another change came between the read and the
  // write.
  CounterResult TrySet(int64_t value);
  // Sets `value` unconditionally.
  void ForceSet(int64_t value);
  // Creates the counter with `value` if it does not exist; false if it already did.
  bool Initialize(int64_t value);

  const std::string& path() const { return path_; }

  // Curator's encoding: 8 bytes, big-endian two's complement. Decode throws
  // KeeperException(kMarshallingError) for data of any other length (except empty: 0).
  static std::string Encode(int64_t v);
  static int64_t Decode(const std::string& data, const std::string& path);

 private:
  struct Current {
    bool exists = false;
    int64_t value = 0;
    int32_t version = 0;
    int64_t mzxid = 0;  // identifies the state: it moves with every change, even ABA ones
  };
  Current Read();
  // Writes `value` over the state in `seen`; false if a concurrent change won.
  bool Write(const Current& seen, int64_t value);

  Client& client_;
  std::string path_;
  int max_attempts_;
};

}  // namespace caucus::recipes
