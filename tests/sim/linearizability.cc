#include "tests/sim/linearizability.h"

#include <algorithm>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <unordered_map>
#include <utility>

namespace caucus::sim {
namespace {

// ---------------------------------------------------------------------------------------------
// One key's history, compiled for the search.

enum class Kind : uint8_t {
  kRead,        // definite, no effect
  kBadVersion,  // definite, no effect
  kWrite,       // definite, sets (value, version)
  kMaybeWrite,  // optional: takes effect at most once, any time after its call
};

struct KeyOp {
  Kind kind = Kind::kRead;
  int32_t value = 0;  // interned, see KeyHistory::values
  int32_t expected = kAnyVersion;
  int64_t version = 0;  // kRead: observed; kWrite: created
  int64_t call = 0;
  int64_t ret = kNever;
  size_t source = 0;  // index in the caller's ops, to describe it
};

// Versions are int64 so that an indeterminate write on INT32_MAX cannot overflow.
struct State {
  int32_t value = 0;
  int64_t version = 0;
  bool operator==(const State&) const = default;
};

struct KeyHistory {
  std::string key;
  std::vector<KeyOp> ops;           // sorted by call time
  std::vector<std::string> values;  // id -> text; id 0 is every value no read observed
  State initial;
};

bool Definite(const KeyOp& op) { return op.kind != Kind::kMaybeWrite; }
bool HasEffect(const KeyOp& op) { return op.kind == Kind::kWrite || op.kind == Kind::kMaybeWrite; }

// The state after `op` takes effect in `s`, or nothing if it cannot take effect there.
std::optional<State> Apply(const KeyOp& op, State s) {
  const bool version_ok = op.expected == kAnyVersion || op.expected == s.version;
  switch (op.kind) {
    case Kind::kRead:
      if (op.value == s.value && op.version == s.version) return s;
      return std::nullopt;
    case Kind::kBadVersion:
      if (!version_ok) return s;
      return std::nullopt;
    case Kind::kWrite:
      if (version_ok && op.version == s.version + 1) return State{op.value, op.version};
      return std::nullopt;
    case Kind::kMaybeWrite:
      if (version_ok) return State{op.value, s.version + 1};
      return std::nullopt;
  }
  return std::nullopt;
}

// Values no read observed can never be told apart, so they share id 0: fewer distinct states.
KeyHistory Compile(const std::string& key, const std::vector<Op>& all,
                   const std::vector<size_t>& indices, const RegisterState& initial) {
  KeyHistory h;
  h.key = key;
  h.values.push_back("<a value no read observed>");
  std::unordered_map<std::string, int32_t> ids;
  for (size_t i : indices) {
    const Op& op = all[i];
    if (op.kind == OpKind::kRead && op.outcome == Outcome::kOk && !ids.contains(op.value)) {
      ids.emplace(op.value, static_cast<int32_t>(h.values.size()));
      h.values.push_back(op.value);
    }
  }
  auto id = [&](const std::string& v) {
    auto it = ids.find(v);
    return it == ids.end() ? 0 : it->second;
  };
  h.initial = State{id(initial.value), initial.version};
  for (size_t i : indices) {
    const Op& op = all[i];
    const bool determinate = op.outcome != Outcome::kIndeterminate;
    if (op.kind == OpKind::kRead && !determinate) continue;  // a failed read tells nothing
    KeyOp k;
    k.value = id(op.value);
    k.expected = op.expected_version;
    k.version = op.version;
    k.call = op.call_time;
    k.ret = determinate ? op.return_time : kNever;
    k.source = i;
    if (op.kind == OpKind::kRead) {
      k.kind = Kind::kRead;
    } else if (op.outcome == Outcome::kOk) {
      k.kind = Kind::kWrite;
    } else {
      k.kind = determinate ? Kind::kBadVersion : Kind::kMaybeWrite;
    }
    h.ops.push_back(k);
  }
  std::stable_sort(h.ops.begin(), h.ops.end(),
                   [](const KeyOp& a, const KeyOp& b) { return a.call < b.call; });
  return h;
}

// The definite ops in completion order: the order in which the history grows.
std::vector<size_t> CompletionOrder(const KeyHistory& h) {
  std::vector<size_t> order;
  for (size_t i = 0; i < h.ops.size(); ++i) {
    if (Definite(h.ops[i])) order.push_back(i);
  }
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return h.ops[a].ret < h.ops[b].ret; });
  return order;
}

// The history as it stood when the first `k` definite ops (in completion order) had returned:
// ops still running then become indeterminate writes or, when they could not change the
// state, disappear; ops called later are not there yet. If this prefix has no linearization,
// neither has any longer one.
KeyHistory Prefix(const KeyHistory& h, const std::vector<size_t>& order, size_t k) {
  KeyHistory p;
  p.key = h.key;
  p.values = h.values;
  p.initial = h.initial;
  if (k == 0) return p;
  std::vector<bool> done(h.ops.size(), false);
  for (size_t r = 0; r < k; ++r) done[order[r]] = true;
  const int64_t cut = h.ops[order[k - 1]].ret;
  for (size_t i = 0; i < h.ops.size(); ++i) {
    KeyOp op = h.ops[i];
    if (op.call > cut) break;
    if (Definite(op) && !done[i]) {
      if (op.kind != Kind::kWrite) continue;
      op.kind = Kind::kMaybeWrite;
      op.ret = kNever;
    }
    p.ops.push_back(op);
  }
  return p;
}

// ---------------------------------------------------------------------------------------------
// The search.

uint64_t Mix(uint64_t x) {  // splitmix64's finalizer: a fixed, well-spread hash
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t StateHash(State s) {
  return Mix((static_cast<uint64_t>(static_cast<uint32_t>(s.value)) << 32) ^
             Mix(static_cast<uint64_t>(s.version)));
}

// Configurations already explored, stored flat: one allocation per entry would dominate.
class Memo {
 public:
  // False if (bits, state) was already there.
  bool Insert(uint64_t hash, const std::vector<uint64_t>& bits, State s) {
    size_t used = bits.size();
    while (used > 0 && bits[used - 1] == 0) --used;  // the unexplored tail is all zeros
    auto [lo, hi] = index_.equal_range(hash);
    for (auto it = lo; it != hi; ++it) {
      if (Equal(it->second, bits, used, s)) return false;
    }
    index_.emplace(hash, arena_.size());
    arena_.push_back(static_cast<uint64_t>(static_cast<uint32_t>(s.value)));
    arena_.push_back(static_cast<uint64_t>(s.version));
    arena_.push_back(used);
    arena_.insert(arena_.end(), bits.begin(), bits.begin() + static_cast<ptrdiff_t>(used));
    return true;
  }

 private:
  bool Equal(size_t at, const std::vector<uint64_t>& bits, size_t used, State s) const {
    if (arena_[at] != static_cast<uint64_t>(static_cast<uint32_t>(s.value)) ||
        arena_[at + 1] != static_cast<uint64_t>(s.version) || arena_[at + 2] != used) {
      return false;
    }
    return std::equal(bits.begin(), bits.begin() + static_cast<ptrdiff_t>(used),
                      arena_.begin() + static_cast<ptrdiff_t>(at + 3));
  }

  std::vector<uint64_t> arena_;
  std::unordered_multimap<uint64_t, size_t> index_;
};

enum class SearchResult { kFound, kExhausted, kOutOfSteps };

// Depth-first search for a linearization of one key, in the style of Wing & Gong with Lowe's
// memoization. Unlinearized ops sit in a doubly linked list in call order, so taking one out
// and putting it back (in reverse order, as backtracking does) are O(1).
class Search {
 public:
  Search(const KeyHistory& h, int64_t max_steps)
      : h_(h),
        n_(h.ops.size()),
        head_(n_),
        end_(n_ + 1),
        max_steps_(max_steps),
        next_(n_ + 2),
        prev_(n_ + 2),
        bits_((n_ + 63) / 64, 0),
        state_(h.initial),
        best_state_(h.initial) {
    size_t last = head_;
    for (size_t i = 0; i < n_; ++i) {
      next_[last] = i;
      prev_[i] = last;
      last = i;
    }
    next_[last] = end_;
    prev_[end_] = last;
    for (const KeyOp& op : h.ops) remaining_ += Definite(op) ? 1 : 0;
    total_definite_ = remaining_;
  }

  SearchResult Run();

  int64_t steps() const { return steps_; }
  size_t total_definite() const { return total_definite_; }
  // The deepest configuration reached: how many definite ops it had placed, the state there,
  // and the op that had to come next (the earliest-returning one left), if any.
  size_t best_placed() const { return best_placed_; }
  State best_state() const { return best_state_; }
  std::optional<size_t> best_blocker() const { return best_blocker_; }

 private:
  struct Frame {
    size_t op;                // the op linearized to get here; head_ for the root
    State before;             // the state before it
    size_t begin, next, end;  // its candidates, in pool_
  };

  void Gather();
  void Take(size_t x, State after);
  void PutBack(size_t x, State before);
  void NoteProgress();
  bool Visit() { return memo_.Insert(hash_ ^ StateHash(state_), bits_, state_); }

  const KeyHistory& h_;
  size_t n_;
  size_t head_, end_;  // sentinels of the list of unlinearized ops
  int64_t max_steps_;
  std::vector<size_t> next_, prev_;
  std::vector<uint64_t> bits_;
  uint64_t hash_ = 0;  // of bits_: XOR of Mix(i) over linearized ops
  State state_;
  size_t remaining_ = 0;  // definite ops not yet linearized
  size_t total_definite_ = 0;
  int64_t steps_ = 0;
  Memo memo_;
  std::vector<Frame> frames_;
  std::vector<size_t> pool_;
  std::vector<size_t> maybes_;                        // scratch for Gather
  std::vector<std::pair<int32_t, int32_t>> classes_;  // scratch for Gather
  size_t best_placed_ = 0;
  State best_state_;
  std::optional<size_t> best_blocker_;
};

// Pushes the ops that may come next in the current configuration and can take effect in the
// current state. An op may come next if it was called no later than every unlinearized
// definite op returned; ops are in call order, so the walk stops at the first one called after
// the smallest return seen so far (every op passed before that point qualifies).
void Search::Gather() {
  const size_t begin = pool_.size();
  maybes_.clear();
  classes_.clear();
  int64_t min_ret = kNever;
  for (size_t x = next_[head_]; x != end_ && h_.ops[x].call <= min_ret; x = next_[x]) {
    const KeyOp& op = h_.ops[x];
    min_ret = std::min(min_ret, op.ret);
    if (op.kind == Kind::kMaybeWrite) {
      // Identical optional writes are interchangeable; the earliest is available whenever a
      // later one is, so trying only it loses nothing.
      const std::pair<int32_t, int32_t> cls{op.value, op.expected};
      if (std::find(classes_.begin(), classes_.end(), cls) != classes_.end()) continue;
      classes_.push_back(cls);
    }
    if (!Apply(op, state_)) continue;
    if (!HasEffect(op)) {
      // A legal op that leaves the state alone can always go first: any linearization that
      // places it later stays valid with it moved here. So it is the only choice.
      pool_.resize(begin);
      pool_.push_back(x);
      return;
    }
    (op.kind == Kind::kMaybeWrite ? maybes_ : pool_).push_back(x);
  }
  // Definite writes first: a linearizable history rarely needs an optional write right now.
  pool_.insert(pool_.end(), maybes_.begin(), maybes_.end());
}

void Search::Take(size_t x, State after) {
  next_[prev_[x]] = next_[x];
  prev_[next_[x]] = prev_[x];
  bits_[x / 64] |= uint64_t{1} << (x % 64);
  hash_ ^= Mix(x);
  remaining_ -= Definite(h_.ops[x]) ? 1 : 0;
  state_ = after;
}

void Search::PutBack(size_t x, State before) {
  next_[prev_[x]] = x;
  prev_[next_[x]] = x;
  bits_[x / 64] &= ~(uint64_t{1} << (x % 64));
  hash_ ^= Mix(x);
  remaining_ += Definite(h_.ops[x]) ? 1 : 0;
  state_ = before;
}

void Search::NoteProgress() {
  const size_t placed = total_definite_ - remaining_;
  if (placed <= best_placed_ && !frames_.empty()) return;  // the root always records
  best_placed_ = placed;
  best_state_ = state_;
  best_blocker_.reset();
  int64_t min_ret = kNever;
  for (size_t x = next_[head_]; x != end_ && h_.ops[x].call <= min_ret; x = next_[x]) {
    if (Definite(h_.ops[x]) && h_.ops[x].ret < min_ret) {
      min_ret = h_.ops[x].ret;
      best_blocker_ = x;
    }
  }
}

SearchResult Search::Run() {
  NoteProgress();
  if (remaining_ == 0) return SearchResult::kFound;
  Visit();
  frames_.push_back(Frame{head_, state_, 0, 0, 0});
  Gather();
  frames_.back().end = pool_.size();
  while (!frames_.empty()) {
    Frame& f = frames_.back();
    if (f.next == f.end) {  // every choice here failed: undo the choice that led here
      pool_.resize(f.begin);
      if (f.op != head_) PutBack(f.op, f.before);
      frames_.pop_back();
      continue;
    }
    if (steps_ >= max_steps_) return SearchResult::kOutOfSteps;
    ++steps_;
    const size_t x = pool_[f.next++];
    const State before = state_;
    Take(x, *Apply(h_.ops[x], state_));  // Gather checked it is legal in this state
    if (remaining_ == 0) return SearchResult::kFound;
    if (!Visit()) {
      PutBack(x, before);
      continue;
    }
    NoteProgress();
    frames_.push_back(Frame{x, before, pool_.size(), pool_.size(), 0});
    Gather();
    frames_.back().end = pool_.size();
  }
  return SearchResult::kExhausted;
}

// ---------------------------------------------------------------------------------------------
// Verdicts and explanations.

std::string Quote(const std::string& s) {
  constexpr size_t kMax = 40;
  if (s.size() <= kMax) return "\"" + s + "\"";
  return "\"" + s.substr(0, kMax) + "\"...";
}

std::string DescribeState(const KeyHistory& h, State s) {
  const std::string& v = h.values[static_cast<size_t>(s.value)];
  return "(" + (s.value == 0 ? v : Quote(v)) + ", version " + std::to_string(s.version) + ")";
}

// Where the search got furthest: the operation it could not place next, unless that is
// `culprit`, which the caller has already named.
std::string DescribeProgress(const KeyHistory& h, const Search& s, const std::vector<Op>& all,
                             std::optional<size_t> culprit = std::nullopt) {
  std::ostringstream o;
  o << "the longest partial linearization places " << s.best_placed() << " of "
    << s.total_definite() << " completed ops and ends at " << DescribeState(h, s.best_state());
  const std::optional<size_t> blocker = s.best_blocker();
  if (blocker && h.ops[*blocker].source != culprit) {
    o << ", before op " << h.ops[*blocker].source << " (" << DescribeOp(all[h.ops[*blocker].source])
      << ")";
  }
  return o.str();
}

struct KeyVerdict {
  CheckResult::Verdict verdict = CheckResult::kLinearizable;
  std::string explanation;
  std::optional<size_t> culprit;
  int64_t steps = 0;
};

// Binary search for the shortest failing prefix: prefix 0 is trivially linearizable and the
// whole history is known not to be (`full` is its search). Nothing if a probe ran out of
// steps.
std::optional<size_t> Minimize(const KeyHistory& h, const std::vector<Op>& all,
                               const CheckOptions& options, const Search& full, KeyVerdict& v) {
  const std::vector<size_t> order = CompletionOrder(h);
  size_t good = 0;
  size_t bad = order.size();
  const size_t culprit_of_full = h.ops[order.back()].source;
  std::string progress = DescribeProgress(h, full, all, culprit_of_full);
  while (bad - good > 1) {
    const size_t mid = good + (bad - good) / 2;
    const KeyHistory p = Prefix(h, order, mid);
    Search s(p, options.max_steps_per_key);
    const SearchResult r = s.Run();
    v.steps += s.steps();
    if (r == SearchResult::kOutOfSteps) return std::nullopt;
    if (r == SearchResult::kFound) {
      good = mid;
    } else {
      bad = mid;
      progress = DescribeProgress(p, s, all, h.ops[order[mid - 1]].source);
    }
  }
  const KeyOp& culprit = h.ops[order[bad - 1]];
  std::ostringstream o;
  o << "key " << Quote(h.key) << ": op " << culprit.source << " ("
    << DescribeOp(all[culprit.source]) << ") cannot be linearized: the history is linearizable"
    << " up to just before it completes, and not once it has; " << progress;
  v.explanation = o.str();
  return culprit.source;
}

KeyVerdict CheckKey(const KeyHistory& h, const std::vector<Op>& all, const CheckOptions& options) {
  KeyVerdict v;
  Search s(h, options.max_steps_per_key);
  const SearchResult r = s.Run();
  v.steps = s.steps();
  if (r == SearchResult::kFound) return v;
  if (r == SearchResult::kOutOfSteps) {
    v.verdict = CheckResult::kUnknown;
    v.explanation = "key " + Quote(h.key) + ": undecided after " + std::to_string(s.steps()) +
                    " steps (max_steps_per_key); " + DescribeProgress(h, s, all);
    return v;
  }
  v.verdict = CheckResult::kNotLinearizable;
  if (options.minimize) v.culprit = Minimize(h, all, options, s, v);
  if (!v.culprit) {
    v.explanation = "key " + Quote(h.key) + ": not linearizable; " + DescribeProgress(h, s, all);
  }
  return v;
}

void Validate(const Op& op) {
  if (op.kind == OpKind::kRead && op.outcome == Outcome::kBadVersion) {
    throw std::invalid_argument("a read cannot fail with BadVersion: " + DescribeOp(op));
  }
  if (op.outcome != Outcome::kIndeterminate && op.return_time < op.call_time) {
    throw std::invalid_argument("returned before its call: " + DescribeOp(op));
  }
}

}  // namespace

OpResult OpResult::Read(std::string value, int32_t version) {
  return OpResult{Outcome::kOk, std::move(value), version};
}
OpResult OpResult::Written(int32_t new_version) { return OpResult{Outcome::kOk, {}, new_version}; }
OpResult OpResult::BadVersion() { return OpResult{Outcome::kBadVersion, {}, 0}; }
OpResult OpResult::Indeterminate() { return OpResult{Outcome::kIndeterminate, {}, 0}; }

void History::SetInitial(const std::string& key, std::string value, int32_t version) {
  initial_[key] = RegisterState{std::move(value), version};
}

History::OpId History::InvokeRead(int64_t client, std::string key, int64_t time) {
  Op op;
  op.client = client;
  op.key = std::move(key);
  op.kind = OpKind::kRead;
  op.call_time = time;
  return Invoke(std::move(op));
}

History::OpId History::InvokeWrite(int64_t client, std::string key, std::string value,
                                   int32_t expected_version, int64_t time) {
  Op op;
  op.client = client;
  op.key = std::move(key);
  op.kind = OpKind::kWrite;
  op.value = std::move(value);
  op.expected_version = expected_version;
  op.call_time = time;
  return Invoke(std::move(op));
}

History::OpId History::Invoke(Op op) {
  ops_.push_back(std::move(op));
  completed_.push_back(false);
  return ops_.size() - 1;
}

void History::Complete(OpId id, const OpResult& result, int64_t time) {
  if (id >= ops_.size()) throw std::invalid_argument("unknown op id " + std::to_string(id));
  if (completed_[id]) throw std::invalid_argument("completed twice: " + DescribeOp(ops_[id]));
  Op& op = ops_[id];
  Op done = op;
  done.outcome = result.outcome;
  done.version = result.version;
  if (op.kind == OpKind::kRead) done.value = result.value;
  done.return_time = result.outcome == Outcome::kIndeterminate ? kNever : time;
  Validate(done);
  op = std::move(done);
  completed_[id] = true;
}

const char* VerdictName(CheckResult::Verdict v) {
  switch (v) {
    case CheckResult::kLinearizable:
      return "linearizable";
    case CheckResult::kNotLinearizable:
      return "not linearizable";
    case CheckResult::kUnknown:
      return "unknown";
  }
  return "?";
}

CheckResult CheckLinearizable(const std::vector<Op>& ops,
                              const std::map<std::string, RegisterState>& initial,
                              const CheckOptions& options) {
  std::map<std::string, std::vector<size_t>> by_key;  // ordered: deterministic reports
  for (size_t i = 0; i < ops.size(); ++i) {
    Validate(ops[i]);
    by_key[ops[i].key].push_back(i);
  }
  CheckResult result;
  for (const auto& [key, indices] : by_key) {
    auto it = initial.find(key);
    const KeyHistory h =
        Compile(key, ops, indices, it == initial.end() ? RegisterState{} : it->second);
    KeyVerdict v = CheckKey(h, ops, options);
    result.steps += v.steps;
    if (v.verdict == CheckResult::kNotLinearizable) {
      result.verdict = v.verdict;
      result.explanation = std::move(v.explanation);
      result.key = key;
      result.culprit = v.culprit;
      return result;
    }
    // An undecided key decides nothing about the others: a later key may still be violated.
    if (v.verdict == CheckResult::kUnknown && result.verdict == CheckResult::kLinearizable) {
      result.verdict = v.verdict;
      result.explanation = std::move(v.explanation);
      result.key = key;
    }
  }
  return result;
}

CheckResult CheckLinearizable(const History& history, const CheckOptions& options) {
  return CheckLinearizable(history.ops(), history.initial(), options);
}

std::string DescribeOp(const Op& op) {
  std::ostringstream o;
  o << "client " << op.client << " ";
  if (op.kind == OpKind::kRead) {
    o << "read " << Quote(op.key) << " -> ";
    if (op.outcome == Outcome::kOk) {
      o << Quote(op.value) << " version " << op.version;
    } else {
      o << (op.outcome == Outcome::kBadVersion ? "bad version" : "failed");
    }
  } else {
    o << "write " << Quote(op.key) << " = " << Quote(op.value);
    if (op.expected_version != kAnyVersion) o << " if version " << op.expected_version;
    o << " -> ";
    switch (op.outcome) {
      case Outcome::kOk:
        o << "ok, version " << op.version;
        break;
      case Outcome::kBadVersion:
        o << "bad version";
        break;
      case Outcome::kIndeterminate:
        o << "indeterminate";
        break;
    }
  }
  o << " [" << op.call_time << ", ";
  if (op.outcome == Outcome::kIndeterminate) {
    o << "never]";
  } else {
    o << op.return_time << "]";
  }
  return o.str();
}

}  // namespace caucus::sim
