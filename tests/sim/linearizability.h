// A linearizability checker for histories of versioned registers: the simulator records what
// its clients invoked and what they saw, and this decides whether some total order of those
// operations, consistent with real time, explains every answer.
//
// The model is a ZooKeeper znode reduced to its data: each key holds (value, version), and
// starts as ("", 0) unless the history says otherwise. A read observes (value, version). A
// write is setData: unconditional (expected_version == kAnyVersion) or a compare-and-set; it
// either succeeds creating version + 1, fails with BadVersion (no effect, legal only if the
// version differed when it took place), or is indeterminate (timeout, connection loss: it may
// take effect at any point after its call, or never). A read that failed constrains nothing.
//
// Only feed reads that are meant to be linearizable (sync + read, quorum reads): plain
// ZooKeeper reads are only sequentially consistent and will rightly be reported here.
//
// The check is pure and deterministic. Keys are independent (P-compositionality), so each key
// is checked alone by a Wing–Gong/Lowe depth-first search over its operations in call order,
// memoizing (set of linearized operations, register state) so that no configuration is
// explored twice. Three reductions keep it fast without losing completeness: an operation that
// leaves the state unchanged (a read, a BadVersion) is linearized as soon as it is legal; the
// values no read ever observed are all one value; indeterminate writes that are identical are
// interchangeable, so only the earliest of them is tried. The search has a step budget: when
// it runs out the verdict is kUnknown, never kLinearizable. A violation is explained by the
// key and the first completed operation whose completion makes the history unexplainable.
//
// Time is any monotonic integer clock. An operation precedes another only if it returned
// strictly before the other was called; equal timestamps count as concurrent, so use a clock
// fine enough to order the events you want ordered.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace caucus::sim {

inline constexpr int32_t kAnyVersion = -1;  // an unconditional write
inline constexpr int64_t kNever = std::numeric_limits<int64_t>::max();

enum class OpKind : uint8_t { kRead, kWrite };

enum class Outcome : uint8_t {
  kOk,
  kBadVersion,     // writes only: determinate failure, no effect
  kIndeterminate,  // no answer: a write may or may not have happened, a read tells nothing
};

struct Op {
  int64_t client = 0;
  std::string key;
  OpKind kind = OpKind::kRead;
  std::string value;                       // write: the value written; read (kOk): observed
  int32_t expected_version = kAnyVersion;  // writes only
  Outcome outcome = Outcome::kIndeterminate;
  int32_t version = 0;  // kOk read: observed version; kOk write: the version it created
  int64_t call_time = 0;
  int64_t return_time = kNever;  // kNever unless the outcome is determinate
};

struct RegisterState {
  std::string value;
  int32_t version = 0;
};

// What a client saw when its operation ended.
struct OpResult {
  Outcome outcome = Outcome::kIndeterminate;
  std::string value;  // reads only
  int32_t version = 0;

  static OpResult Read(std::string value, int32_t version);
  static OpResult Written(int32_t new_version);
  static OpResult BadVersion();
  static OpResult Indeterminate();
};

// Records a run as it happens. Operations never completed stay indeterminate. Misuse (unknown
// id, completing twice, a read with BadVersion, returning before the call) throws
// std::invalid_argument: it is a bug in the test, not a property of the system.
class History {
 public:
  using OpId = size_t;

  void SetInitial(const std::string& key, std::string value, int32_t version);
  OpId InvokeRead(int64_t client, std::string key, int64_t time);
  OpId InvokeWrite(int64_t client, std::string key, std::string value, int32_t expected_version,
                   int64_t time);
  void Complete(OpId id, const OpResult& result, int64_t time);

  const std::vector<Op>& ops() const { return ops_; }
  const std::map<std::string, RegisterState>& initial() const { return initial_; }

 private:
  OpId Invoke(Op op);

  std::vector<Op> ops_;
  std::vector<bool> completed_;
  std::map<std::string, RegisterState> initial_;
};

struct CheckOptions {
  // Search steps allowed per key (and per probe while explaining a violation). A step is one
  // attempt to linearize one operation; a history that needs no backtracking takes about one
  // step per operation.
  int64_t max_steps_per_key = 1'000'000;
  // Narrow a violation down to the first completion that breaks linearizability (a few more
  // searches of that key). Without it the explanation shows where the search got stuck.
  bool minimize = true;
};

struct CheckResult {
  enum Verdict { kLinearizable, kNotLinearizable, kUnknown };

  Verdict verdict = kLinearizable;
  std::string explanation;  // empty when linearizable
  std::string key;          // the violated key, or the first key left undecided
  // For a violation, when minimized: the index in ops (the History's OpId) of the op whose
  // completion makes the history unexplainable.
  std::optional<size_t> culprit;
  int64_t steps = 0;  // total over all keys and probes
};

const char* VerdictName(CheckResult::Verdict v);

// An op with a determinate outcome must have call_time <= return_time, and a read cannot end
// in kBadVersion; malformed ops throw std::invalid_argument. An indeterminate op's
// return_time is ignored (taken as kNever).
CheckResult CheckLinearizable(const std::vector<Op>& ops,
                              const std::map<std::string, RegisterState>& initial,
                              const CheckOptions& options = {});
CheckResult CheckLinearizable(const History& history, const CheckOptions& options = {});

// One line, for explanations and test failures.
std::string DescribeOp(const Op& op);

}  // namespace caucus::sim
