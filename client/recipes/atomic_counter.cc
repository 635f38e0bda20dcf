#include "caucus/recipes/atomic_counter.h"

#include <random>
#include <thread>

#include "client/recipes/util.h"

namespace caucus::recipes {

namespace {

// Spreads contending writers apart so that one of them wins each round quickly.
void Backoff(int attempt) {
  static thread_local std::minstd_rand rng{std::random_device{}()};
  int cap = std::min(attempt + 1, 8);
  std::this_thread::sleep_for(std::chrono::microseconds(rng() % (cap * 500)));
}

}  // namespace

AtomicCounter::AtomicCounter(Client& client, std::string path, int max_attempts)
    : client_(client), path_(std::move(path)), max_attempts_(max_attempts) {}

std::string AtomicCounter::Encode(int64_t v) {
  auto u = static_cast<uint64_t>(v);
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i, u >>= 8) out[static_cast<size_t>(i)] = static_cast<char>(u & 0xff);
  return out;
}

int64_t AtomicCounter::Decode(const std::string& data, const std::string& path) {
  if (data.empty()) return 0;  // e.g. a node made by CreateParents
  if (data.size() != 8) throw KeeperException(Error::kMarshallingError, path);
  uint64_t u = 0;
  for (unsigned char c : data) u = (u << 8) | c;
  return static_cast<int64_t>(u);
}

AtomicCounter::Current AtomicCounter::Read() {
  return RetryOnConnectionLoss(client_, [&] {
    try {
      auto r = client_.GetData(path_);
      return Current{true, Decode(r.data, path_), r.stat.version, r.stat.mzxid};
    } catch (const KeeperException& e) {
      if (e.code() != Error::kNoNode) throw;
      return Current{};
    }
  });
}

bool AtomicCounter::Write(const Current& seen, int64_t value) {
  try {
    if (seen.exists) {
      client_.SetData(path_, Encode(value), seen.version);
    } else {
      CreateWithParents(client_, path_, Encode(value));
    }
    return true;
  } catch (const KeeperException& e) {
    // Someone changed, deleted or created the node since our read: not applied.
    if (e.code() == Error::kBadVersion || e.code() == Error::kNoNode ||
        e.code() == Error::kNodeExists)
      return false;
    if (e.code() != Error::kConnectionLoss) throw;
  }
  // The reply was lost. ZooKeeper applies a session's requests in order, so this read sees
  // our write if the server got it. An unmoved state proves it did not apply.
  Current now = Read();
  if (now.exists == seen.exists && now.mzxid == seen.mzxid) return false;
  throw KeeperException(Error::kConnectionLoss, path_);
}

int64_t AtomicCounter::Get() { return Read().value; }

CounterResult AtomicCounter::Add(int64_t delta) {
  for (int attempt = 0; max_attempts_ == 0 || attempt < max_attempts_; ++attempt) {
    Current cur = Read();
    // Wraps around like Java's long instead of overflowing (undefined in C++).
    auto next =
        static_cast<int64_t>(static_cast<uint64_t>(cur.value) + static_cast<uint64_t>(delta));
    if (Write(cur, next)) return {true, cur.value, next};
    Backoff(attempt);
  }
  int64_t v = Get();
  return {false, v, v};
}

CounterResult AtomicCounter::CompareAndSet(int64_t expected, int64_t value) {
  for (;;) {
    Current cur = Read();
    if (cur.value != expected) return {false, cur.value, cur.value};
    if (Write(cur, value)) return {true, cur.value, value};
  }
}

CounterResult AtomicCounter::TrySet(int64_t value) {
  Current cur = Read();
  if (Write(cur, value)) return {true, cur.value, value};
  return {false, cur.value, cur.value};
}

void AtomicCounter::ForceSet(int64_t value) {
  for (;;) {
    Current cur = Read();
    if (!cur.exists && Write(cur, value)) return;
    try {
      // An unconditional set is idempotent, so a lost reply is simply retried.
      RetryOnConnectionLoss(client_, [&] { client_.SetData(path_, Encode(value)); });
      return;
    } catch (const KeeperException& e) {
      if (e.code() != Error::kNoNode) throw;  // deleted meanwhile: create it again
    }
  }
}

bool AtomicCounter::Initialize(int64_t value) {
  // A lost reply with the node there afterwards throws (kConnectionLoss), as in Add.
  return Write(Current{}, value);
}

}  // namespace caucus::recipes
