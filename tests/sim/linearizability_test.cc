// Self-tests of the linearizability checker: small timelines with known verdicts, and large
// random histories that are linearizable by construction, before and after one read is
// corrupted.
#include "tests/sim/linearizability.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace caucus::sim {
namespace {

// Writes each timeline one op per line: [call, return] then what the client saw.
class Timeline {
 public:
  History::OpId Read(int64_t client, const std::string& key, int64_t call, int64_t ret,
                     const std::string& value, int32_t version) {
    History::OpId id = h_.InvokeRead(client, key, call);
    h_.Complete(id, OpResult::Read(value, version), ret);
    return id;
  }
  History::OpId FailedRead(int64_t client, const std::string& key, int64_t call) {
    History::OpId id = h_.InvokeRead(client, key, call);
    h_.Complete(id, OpResult::Indeterminate(), call + 1);
    return id;
  }
  History::OpId Write(int64_t client, const std::string& key, int64_t call, int64_t ret,
                      const std::string& value, int32_t new_version,
                      int32_t expected = kAnyVersion) {
    History::OpId id = h_.InvokeWrite(client, key, value, expected, call);
    h_.Complete(id, OpResult::Written(new_version), ret);
    return id;
  }
  History::OpId BadVersion(int64_t client, const std::string& key, int64_t call, int64_t ret,
                           const std::string& value, int32_t expected) {
    History::OpId id = h_.InvokeWrite(client, key, value, expected, call);
    h_.Complete(id, OpResult::BadVersion(), ret);
    return id;
  }
  // Never completed: timed out, connection lost.
  History::OpId LostWrite(int64_t client, const std::string& key, int64_t call,
                          const std::string& value, int32_t expected = kAnyVersion) {
    return h_.InvokeWrite(client, key, value, expected, call);
  }

  History& history() { return h_; }
  CheckResult Check(const CheckOptions& options = {}) const {
    return CheckLinearizable(h_, options);
  }

 private:
  History h_;
};

std::string Show(const CheckResult& r) {
  return std::string(VerdictName(r.verdict)) + " after " + std::to_string(r.steps) +
         " steps: " + r.explanation;
}

::testing::AssertionResult HasVerdict(const Timeline& t, CheckResult::Verdict expected) {
  const CheckResult r = t.Check();
  if (r.verdict == expected) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "expected " << VerdictName(expected) << ", got " << Show(r);
}

TEST(LinearizabilityTest, EmptyHistoryIsLinearizable) {
  Timeline t;
  EXPECT_TRUE(HasVerdict(t, CheckResult::kLinearizable));
}

TEST(LinearizabilityTest, SequentialHistoryIsLinearizable) {
  Timeline t;
  t.Read(1, "/k", 0, 1, "", 0);
  t.Write(1, "/k", 2, 3, "a", 1);
  t.Read(2, "/k", 4, 5, "a", 1);
  t.Write(2, "/k", 6, 7, "b", 2, /*expected=*/1);
  t.BadVersion(1, "/k", 8, 9, "c", /*expected=*/1);
  t.Read(1, "/k", 10, 11, "b", 2);
  EXPECT_TRUE(HasVerdict(t, CheckResult::kLinearizable));
}

TEST(LinearizabilityTest, SequentialHistoryWithWrongReadIsNot) {
  Timeline t;
  t.Write(1, "/k", 0, 1, "a", 1);
  t.Write(1, "/k", 2, 3, "b", 2);
  t.Read(1, "/k", 4, 5, "a", 2);  // value of one version, number of another
  EXPECT_TRUE(HasVerdict(t, CheckResult::kNotLinearizable));
}

TEST(LinearizabilityTest, ReadConcurrentWithWriteMaySeeEitherValue) {
  for (bool sees_new : {false, true}) {
    Timeline t;
    t.Write(1, "/k", 0, 10, "a", 1);
    if (sees_new) {
      t.Read(2, "/k", 2, 5, "a", 1);
    } else {
      t.Read(2, "/k", 2, 5, "", 0);
    }
    EXPECT_TRUE(HasVerdict(t, CheckResult::kLinearizable));
  }
}

TEST(LinearizabilityTest, StaleReadIsNotLinearizable) {
  Timeline t;
  t.Write(1, "/k", 0, 1, "a", 1);
  const History::OpId stale = t.Read(2, "/k", 2, 3, "", 0);  // called after the write returned
  const CheckResult r = t.Check();
  ASSERT_EQ(r.verdict, CheckResult::kNotLinearizable) << Show(r);
  EXPECT_EQ(r.culprit, stale) << r.explanation;
  EXPECT_NE(r.explanation.find(": op " + std::to_string(stale) + " ("), std::string::npos)
      << r.explanation;

  CheckOptions plain;
  plain.minimize = false;
  const CheckResult unminimized = t.Check(plain);
  EXPECT_EQ(unminimized.verdict, CheckResult::kNotLinearizable);
  EXPECT_EQ(unminimized.culprit, std::nullopt);
}

TEST(LinearizabilityTest, EqualTimestampsAreConcurrent) {
  Timeline t;
  t.Write(1, "/k", 0, 5, "a", 1);
  t.Read(2, "/k", 5, 6, "", 0);  // called at the instant the write returned
  EXPECT_TRUE(HasVerdict(t, CheckResult::kLinearizable));
}

TEST(LinearizabilityTest, NewOldInversionIsNotLinearizable) {
  Timeline t;
  t.Write(1, "/k", 0, 100, "a", 1);
  t.Read(2, "/k", 10, 20, "a", 1);
  const History::OpId old = t.Read(3, "/k", 30, 40, "", 0);  // after a read that saw "a"
  const CheckResult r = t.Check();
  ASSERT_EQ(r.verdict, CheckResult::kNotLinearizable) << Show(r);
  EXPECT_EQ(r.culprit, old) << r.explanation;
}

TEST(LinearizabilityTest, ReadsInEitherOrderWhenConcurrent) {
  Timeline t;
  t.Write(1, "/k", 0, 100, "a", 1);
  t.Read(2, "/k", 10, 40, "a", 1);
  t.Read(3, "/k", 30, 50, "", 0);  // overlaps the read that saw "a": may come before it
  EXPECT_TRUE(HasVerdict(t, CheckResult::kLinearizable));
}

TEST(LinearizabilityTest, CompareAndSetWithWrongVersionCannotSucceed) {
  Timeline t;
  t.Write(1, "/k", 0, 1, "a", 1);
  t.Write(2, "/k", 2, 3, "b", 2, /*expected=*/0);  // the version was 1
  EXPECT_TRUE(HasVerdict(t, CheckResult::kNotLinearizable));
}

TEST(LinearizabilityTest, SuccessfulWriteMustCreateTheNextVersion) {
  Timeline t;
  t.Write(1, "/k", 0, 1, "a", 1);
  t.Write(1, "/k", 2, 3, "b", 3);  // skips version 2 with no one else writing
  EXPECT_TRUE(HasVerdict(t, CheckResult::kNotLinearizable));
}

TEST(LinearizabilityTest, ConcurrentCompareAndSetsOneWins) {
  Timeline t;
  t.Write(1, "/k", 0, 10, "a", 1, /*expected=*/0);
  t.BadVersion(2, "/k", 0, 10, "b", /*expected=*/0);
  t.Read(3, "/k", 11, 12, "a", 1);
  EXPECT_TRUE(HasVerdict(t, CheckResult::kLinearizable));
}

TEST(LinearizabilityTest, ImpossibleBadVersionIsNotLinearizable) {
  Timeline t;
  t.Write(1, "/k", 0, 1, "a", 1);
  t.BadVersion(2, "/k", 2, 3, "b", /*expected=*/1);  // the version was exactly 1
  EXPECT_TRUE(HasVerdict(t, CheckResult::kNotLinearizable));

  Timeline unconditional;  // an unconditional write cannot fail on a version
  unconditional.BadVersion(1, "/k", 0, 1, "a", kAnyVersion);
  EXPECT_TRUE(HasVerdict(unconditional, CheckResult::kNotLinearizable));
}

TEST(LinearizabilityTest, BadVersionPossibleWhenConcurrentWithAWrite) {
  Timeline t;
  t.Write(1, "/k", 0, 10, "a", 1);
  t.BadVersion(2, "/k", 2, 3, "b", /*expected=*/0);  // the write may already have happened
  EXPECT_TRUE(HasVerdict(t, CheckResult::kLinearizable));
}

TEST(LinearizabilityTest, IndeterminateWriteLaterObserved) {
  Timeline t;
  t.LostWrite(1, "/k", 0, "a");
  t.Read(2, "/k", 50, 60, "", 0);
  t.Read(2, "/k", 500, 600, "a", 1);  // took effect long after it was given up on
  t.Write(3, "/k", 700, 710, "b", 2);
  EXPECT_TRUE(HasVerdict(t, CheckResult::kLinearizable));
}

TEST(LinearizabilityTest, IndeterminateWriteNeverObserved) {
  Timeline t;
  t.LostWrite(1, "/k", 0, "a");
  t.LostWrite(1, "/k", 5, "c", /*expected=*/7);
  t.Read(2, "/k", 50, 60, "", 0);
  t.Write(3, "/k", 70, 80, "b", 1);  // so "a" never happened
  t.Read(2, "/k", 90, 95, "b", 1);
  EXPECT_TRUE(HasVerdict(t, CheckResult::kLinearizable));
}

TEST(LinearizabilityTest, IndeterminateWriteCannotTakeEffectBeforeItsCall) {
  Timeline t;
  t.Read(2, "/k", 0, 1, "a", 1);
  t.LostWrite(1, "/k", 5, "a");
  EXPECT_TRUE(HasVerdict(t, CheckResult::kNotLinearizable));
}

TEST(LinearizabilityTest, IndeterminateWriteTakesEffectAtMostOnce) {
  Timeline t;
  t.LostWrite(1, "/k", 0, "a");
  t.Read(2, "/k", 10, 11, "a", 1);
  t.Write(3, "/k", 20, 21, "b", 2);
  t.Read(2, "/k", 30, 31, "a", 3);
  EXPECT_TRUE(HasVerdict(t, CheckResult::kNotLinearizable));
}

TEST(LinearizabilityTest, IndeterminateCompareAndSetNeedsItsVersion) {
  Timeline t;
  t.LostWrite(1, "/k", 0, "a", /*expected=*/3);
  t.Read(2, "/k", 10, 11, "a", 1);  // the version was 0, never 3
  EXPECT_TRUE(HasVerdict(t, CheckResult::kNotLinearizable));
}

TEST(LinearizabilityTest, ReadOfAValueNobodyWroteIsNotLinearizable) {
  Timeline t;
  t.Write(1, "/k", 0, 1, "a", 1);
  t.LostWrite(1, "/k", 2, "b");
  t.Read(2, "/k", 3, 4, "ghost", 1);
  EXPECT_TRUE(HasVerdict(t, CheckResult::kNotLinearizable));
}

TEST(LinearizabilityTest, FailedReadsConstrainNothing) {
  Timeline t;
  t.Write(1, "/k", 0, 1, "a", 1);
  t.FailedRead(2, "/k", 5);
  t.Read(2, "/k", 10, 11, "a", 1);
  EXPECT_TRUE(HasVerdict(t, CheckResult::kLinearizable));
}

TEST(LinearizabilityTest, InitialStateIsRespected) {
  Timeline t;
  t.history().SetInitial("/k", "init", 7);
  t.Read(1, "/k", 0, 1, "init", 7);
  t.Write(1, "/k", 2, 3, "a", 8, /*expected=*/7);
  EXPECT_TRUE(HasVerdict(t, CheckResult::kLinearizable));

  Timeline wrong;
  wrong.history().SetInitial("/k", "init", 7);
  wrong.Read(1, "/k", 0, 1, "", 0);
  EXPECT_TRUE(HasVerdict(wrong, CheckResult::kNotLinearizable));
}

TEST(LinearizabilityTest, OnlyTheViolatedKeyIsReported) {
  Timeline t;
  for (const std::string key : {"/a", "/b", "/c"}) {
    t.Write(1, key, 0, 1, key + "1", 1);
    t.Read(2, key, 2, 3, key + "1", 1);
  }
  t.Read(3, "/b", 4, 5, "", 0);  // stale, on /b only
  const CheckResult r = t.Check();
  ASSERT_EQ(r.verdict, CheckResult::kNotLinearizable) << Show(r);
  EXPECT_EQ(r.key, "/b");
  EXPECT_NE(r.explanation.find("key \"/b\""), std::string::npos) << r.explanation;
}

TEST(LinearizabilityTest, MisuseThrows) {
  History h;
  const History::OpId read = h.InvokeRead(1, "/k", 10);
  EXPECT_THROW(h.Complete(read, OpResult::BadVersion(), 11), std::invalid_argument);
  EXPECT_THROW(h.Complete(read, OpResult::Read("", 0), 9), std::invalid_argument);
  h.Complete(read, OpResult::Read("", 0), 11);
  EXPECT_THROW(h.Complete(read, OpResult::Read("", 0), 12), std::invalid_argument);
  EXPECT_THROW(h.Complete(99, OpResult::Read("", 0), 12), std::invalid_argument);
}

// ---------------------------------------------------------------------------------------------
// Random histories, linearizable by construction: every op gets an interval per client and a
// linearization point inside it (lost writes: anywhere after the call, or never), and the
// points are replayed in order against one register per key to decide what each client saw.

struct Planned {
  Op op;
  int64_t point = 0;  // kNever: a lost write that never took effect
};

struct Generated {
  std::vector<Op> ops;
  std::map<std::string, std::vector<std::string>> value_at_version;  // per key
};

Op PlanOp(std::mt19937_64& rng, int64_t client, int keys, int64_t call, int64_t ret, int n) {
  Op op;
  op.client = client;
  op.key = "/k" + std::to_string(rng() % static_cast<uint64_t>(keys));
  op.call_time = call;
  op.return_time = ret;
  const int dice = static_cast<int>(rng() % 100);
  op.kind = dice < 40 ? OpKind::kRead : OpKind::kWrite;
  op.outcome = dice < 3 ? Outcome::kIndeterminate : Outcome::kOk;  // a few failed reads
  if (op.kind == OpKind::kWrite) {
    op.value = "c" + std::to_string(client) + "-" + std::to_string(n);
    op.outcome = dice < 90 ? Outcome::kOk : Outcome::kIndeterminate;
    op.expected_version = dice < 65 ? kAnyVersion : 0;  // a CAS; its version is chosen later
  }
  return op;
}

// Replays the linearization points: fills in results and decides CAS versions.
void Replay(std::vector<Planned>& plan, std::mt19937_64& rng, Generated& g) {
  std::vector<size_t> order(plan.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return plan[a].point < plan[b].point; });
  for (size_t i : order) {
    Op& op = plan[i].op;
    std::vector<std::string>& versions = g.value_at_version[op.key];
    if (versions.empty()) versions.push_back("");
    const int32_t current = static_cast<int32_t>(versions.size()) - 1;
    if (op.kind == OpKind::kRead) {
      op.value = versions.back();
      op.version = current;
      continue;
    }
    if (op.expected_version != kAnyVersion) {  // right version 2 times in 3
      op.expected_version =
          rng() % 3 == 0 ? std::max(0, current - 1 + int32_t(rng() % 3)) : current;
    }
    const bool applies = op.expected_version == kAnyVersion || op.expected_version == current;
    if (op.outcome == Outcome::kOk && !applies) op.outcome = Outcome::kBadVersion;
    if (plan[i].point == kNever || !applies) continue;
    versions.push_back(op.value);
    op.version = current + 1;
  }
}

Generated GenerateValid(uint64_t seed, int total_ops, int keys, int clients) {
  std::mt19937_64 rng(seed);
  std::vector<Planned> plan;
  for (int64_t c = 0; c < clients; ++c) {
    int64_t t = static_cast<int64_t>(rng() % 20);
    for (int n = 0; n < total_ops / clients; ++n) {
      const int64_t call = t;
      const int64_t ret = call + 1 + static_cast<int64_t>(rng() % 40);
      Planned p{PlanOp(rng, c, keys, call, ret, n), 0};
      p.point = call + static_cast<int64_t>(rng() % static_cast<uint64_t>(ret - call + 1));
      if (p.op.outcome == Outcome::kIndeterminate) {
        p.op.return_time = kNever;
        const bool happens = p.op.kind == OpKind::kWrite && rng() % 2 == 0;
        p.point = happens ? call + static_cast<int64_t>(rng() % 300) : kNever;
      }
      plan.push_back(p);
      t = ret + static_cast<int64_t>(rng() % 5);  // a client waits for its answer
    }
  }
  Generated g;
  Replay(plan, rng, g);
  for (const Planned& p : plan) g.ops.push_back(p.op);
  return g;
}

// Makes a late read return a state from long ago, superseded by a write that completed before
// the read began. Returns the read's index.
size_t CorruptOneRead(Generated& g) {
  for (size_t r = g.ops.size() / 2; r < g.ops.size(); ++r) {
    Op& read = g.ops[r];
    if (read.kind != OpKind::kRead || read.outcome != Outcome::kOk) continue;
    int32_t newest_done = -1;  // newest version known complete before the read's call
    for (const Op& w : g.ops) {
      if (w.key == read.key && w.kind == OpKind::kWrite && w.outcome == Outcome::kOk &&
          w.return_time < read.call_time) {
        newest_done = std::max(newest_done, w.version);
      }
    }
    if (newest_done < 20) continue;
    const int32_t old = newest_done - 20;
    read.value = g.value_at_version[read.key][static_cast<size_t>(old)];
    read.version = old;
    return r;
  }
  ADD_FAILURE() << "no read to corrupt";
  return 0;
}

CheckResult TimedCheck(const std::vector<Op>& ops, const char* what,
                       const CheckOptions& options = {}) {
  const auto start = std::chrono::steady_clock::now();
  CheckResult r = CheckLinearizable(ops, {}, options);
  const std::chrono::duration<double, std::milli> took = std::chrono::steady_clock::now() - start;
  std::printf("[ timing   ] %s: %zu ops, %s, %lld steps, %.2f ms\n", what, ops.size(),
              VerdictName(r.verdict), static_cast<long long>(r.steps), took.count());
  return r;
}

TEST(LinearizabilityTest, LargeRandomHistoryIsLinearizable) {
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    Generated g = GenerateValid(seed, 2000, 8, 10);
    const CheckResult r = TimedCheck(g.ops, "2000 ops, 8 keys, 10 clients");
    EXPECT_EQ(r.verdict, CheckResult::kLinearizable) << "seed " << seed << ": " << Show(r);
  }
}

TEST(LinearizabilityTest, LargeRandomHistoryWithStaleReadIsNot) {
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    Generated g = GenerateValid(seed, 2000, 8, 10);
    const size_t bad = CorruptOneRead(g);
    const CheckResult r = TimedCheck(g.ops, "2000 ops, 8 keys, 10 clients, one stale read");
    ASSERT_EQ(r.verdict, CheckResult::kNotLinearizable) << "seed " << seed << ": " << Show(r);
    EXPECT_EQ(r.key, g.ops[bad].key);
    // The shortest failing prefix ends with the corrupted read.
    EXPECT_EQ(r.culprit, bad) << r.explanation;
  }
}

TEST(LinearizabilityTest, HotKeysWithManyConcurrentClients) {
  Generated g = GenerateValid(42, 3000, 2, 30);  // about 15 ops in flight per key
  CheckResult r = TimedCheck(g.ops, "3000 ops, 2 keys, 30 clients");
  EXPECT_EQ(r.verdict, CheckResult::kLinearizable) << Show(r);

  const size_t bad = CorruptOneRead(g);
  r = TimedCheck(g.ops, "3000 ops, 2 keys, 30 clients, one stale read");
  ASSERT_EQ(r.verdict, CheckResult::kNotLinearizable) << Show(r);
  EXPECT_EQ(r.culprit, bad) << r.explanation;
}

// ---------------------------------------------------------------------------------------------
// Against brute force: on histories small enough to try every order, the checker (with its
// reductions and its minimization) must agree with the definition.

struct Brute {
  const std::vector<Op>& ops;

  bool Precedes(const Op& a, const Op& b) const { return a.return_time < b.call_time; }
  bool Definite(const Op& op) const { return op.outcome != Outcome::kIndeterminate; }

  // Every op that must come before `i` in real time is placed already.
  bool Ready(size_t i, uint32_t placed) const {
    for (size_t j = 0; j < ops.size(); ++j) {
      if (!(placed >> j & 1) && Definite(ops[j]) && Precedes(ops[j], ops[i])) return false;
    }
    return true;
  }

  // The register after ops[i] takes effect, if it can.
  std::optional<RegisterState> Step(const Op& op, const RegisterState& s) const {
    const bool version_ok = op.expected_version == kAnyVersion || op.expected_version == s.version;
    if (op.kind == OpKind::kRead) {
      if (op.value == s.value && op.version == s.version) return s;
      return std::nullopt;
    }
    if (op.outcome == Outcome::kBadVersion) {
      if (!version_ok) return s;
      return std::nullopt;
    }
    if (!version_ok) return std::nullopt;
    if (op.outcome == Outcome::kOk && op.version != s.version + 1) return std::nullopt;
    return RegisterState{op.value, s.version + 1};
  }

  bool Linearizable(uint32_t placed, const RegisterState& s) const {
    bool all_definite = true;
    for (size_t i = 0; i < ops.size(); ++i) {
      if (!(placed >> i & 1) && Definite(ops[i])) all_definite = false;
    }
    if (all_definite) return true;
    for (size_t i = 0; i < ops.size(); ++i) {
      if (placed >> i & 1 || !Ready(i, placed)) continue;
      if (ops[i].kind == OpKind::kRead && !Definite(ops[i])) continue;
      const std::optional<RegisterState> next = Step(ops[i], s);
      if (next && Linearizable(placed | 1u << i, *next)) return true;
    }
    return false;
  }
};

// Up to 7 ops with random intervals and random results from a small domain: mostly violations.
std::vector<Op> ArbitraryHistory(std::mt19937_64& rng) {
  std::vector<Op> ops(1 + rng() % 7);
  for (size_t i = 0; i < ops.size(); ++i) {
    Op& op = ops[i];
    op.client = static_cast<int64_t>(i);
    op.key = "/k";
    op.kind = rng() % 2 == 0 ? OpKind::kRead : OpKind::kWrite;
    op.value = std::string(rng() % 3, 'a');
    op.version = static_cast<int32_t>(rng() % 4);
    op.call_time = static_cast<int64_t>(rng() % 12);
    op.return_time = op.call_time + static_cast<int64_t>(rng() % 6);
    const uint64_t outcome = rng() % 6;
    op.outcome = outcome < 4 ? Outcome::kOk : Outcome::kIndeterminate;
    if (op.kind == OpKind::kWrite) {
      if (outcome == 5) op.outcome = Outcome::kBadVersion;
      op.expected_version = rng() % 2 == 0 ? kAnyVersion : static_cast<int32_t>(rng() % 3);
    }
    if (op.outcome == Outcome::kIndeterminate) op.return_time = kNever;
  }
  return ops;
}

// Either arbitrary, or a small valid history with even odds of one result or time made up.
std::vector<Op> SmallHistory(uint64_t seed) {
  std::mt19937_64 rng(seed);
  if (seed % 2 == 0) return ArbitraryHistory(rng);
  Generated g =
      GenerateValid(seed, 6 + static_cast<int>(rng() % 4), 1, 2 + static_cast<int>(rng() % 4));
  if (rng() % 2 == 0) {
    Op& op = g.ops[rng() % g.ops.size()];
    switch (rng() % 4) {
      case 0:
        op.version = static_cast<int32_t>(rng() % 4);
        break;
      case 1:
        op.value = op.value.empty() ? "c0-0" : "";
        break;
      case 2:
        op.outcome = op.kind == OpKind::kRead ? Outcome::kOk : Outcome::kBadVersion;
        op.return_time = op.call_time + 1;
        break;
      default:
        op.call_time = std::max<int64_t>(0, op.call_time - 30);
        op.expected_version = op.kind == OpKind::kWrite ? 1 : kAnyVersion;
        break;
    }
  }
  return g.ops;
}

TEST(LinearizabilityTest, AgreesWithBruteForceOnSmallHistories) {
  int linearizable = 0;
  int violations = 0;
  for (uint64_t seed = 1; seed <= 5000; ++seed) {
    const std::vector<Op> ops = SmallHistory(seed);
    const bool expected = Brute{ops}.Linearizable(0, RegisterState{});
    const CheckResult r = CheckLinearizable(ops, {});
    ASSERT_EQ(r.verdict, expected ? CheckResult::kLinearizable : CheckResult::kNotLinearizable)
        << "seed " << seed << ": " << Show(r);
    (expected ? linearizable : violations) += 1;
    if (expected) continue;
    // The culprit's completion is what breaks it: just before it (the culprit and everything
    // else still running then pending, nothing called later there yet) all is linearizable.
    ASSERT_TRUE(r.culprit.has_value()) << "seed " << seed;
    const Op& culprit = ops[*r.culprit];
    std::vector<Op> before;
    for (const Op& op : ops) {
      if (op.call_time > culprit.return_time) continue;
      Op pending = op;
      if (op.return_time >= culprit.return_time && op.outcome != Outcome::kIndeterminate) {
        if (op.kind == OpKind::kRead || op.outcome == Outcome::kBadVersion) continue;
        pending.outcome = Outcome::kIndeterminate;
        pending.return_time = kNever;
      }
      before.push_back(pending);
    }
    EXPECT_TRUE(Brute{before}.Linearizable(0, RegisterState{})) << "seed " << seed;
  }
  // Both verdicts were exercised.
  EXPECT_GT(linearizable, 1000);
  EXPECT_GT(violations, 1000);
}

// ---------------------------------------------------------------------------------------------
// The budget.

TEST(LinearizabilityTest, ExhaustedBudgetIsUnknownNeverLinearizable) {
  Generated g = GenerateValid(7, 2000, 8, 10);
  CheckOptions tiny;
  tiny.max_steps_per_key = 50;  // far fewer than the ops of any key
  const CheckResult r = CheckLinearizable(g.ops, {}, tiny);
  EXPECT_EQ(r.verdict, CheckResult::kUnknown) << Show(r);
  EXPECT_NE(r.explanation.find("undecided"), std::string::npos) << r.explanation;
}

TEST(LinearizabilityTest, PathologicalHistoryRunsOutOfBudget) {
  // Twenty lost writes of distinct values, each value observed, and reads that need a version
  // no subset of them reaches: every order of every subset is a distinct configuration.
  Timeline t;
  constexpr int kWrites = 20;
  std::vector<std::string> values;
  for (int i = 0; i < kWrites; ++i) values.push_back(std::to_string(i));
  for (int i = 0; i < kWrites; ++i) t.LostWrite(i, "/k", 0, values[i]);
  for (int i = 0; i < kWrites; ++i) {
    t.Read(100, "/k", 100 + 2 * i, 101 + 2 * i, values[i], kWrites + 5);
  }
  CheckOptions budget;
  budget.max_steps_per_key = 100'000;
  const CheckResult r = t.Check(budget);
  EXPECT_EQ(r.verdict, CheckResult::kUnknown) << Show(r);
  EXPECT_EQ(r.key, "/k");
}

}  // namespace
}  // namespace caucus::sim
