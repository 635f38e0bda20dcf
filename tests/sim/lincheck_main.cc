// caucus-lincheck: the simulator's linearizability checker (linearizability.h) for histories
// recorded outside it, by the real-process fault tests (tests/ensemble/test_nemesis.py).
//
//   caucus-lincheck HISTORY_FILE
//
// One record per line, fields separated by single spaces; values are tokens without spaces,
// "-" standing for the empty value:
//   init KEY VALUE VERSION
//   op CLIENT KEY r|w VALUE EXPECTED_VERSION ok|bad|indet VERSION CALL_TIME RETURN_TIME|-
// (EXPECTED_VERSION is -1 for an unconditional write; a read's VALUE and VERSION are what it
// observed; an indeterminate op's RETURN_TIME is "-".)
//
// Prints the verdict and, for a violation, the explanation. Exit status: 0 linearizable,
// 1 not linearizable, 2 undecided within the step budget, 3 unreadable input.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "tests/sim/linearizability.h"

namespace {

using caucus::sim::Op;
using caucus::sim::OpKind;
using caucus::sim::Outcome;
using caucus::sim::RegisterState;

std::string Value(const std::string& token) { return token == "-" ? std::string() : token; }

bool ParseOutcome(const std::string& s, Outcome* out) {
  if (s == "ok") *out = Outcome::kOk;
  else if (s == "bad") *out = Outcome::kBadVersion;
  else if (s == "indet") *out = Outcome::kIndeterminate;
  else return false;
  return true;
}

bool ParseOp(std::istringstream& in, Op* op) {
  std::string kind, value, outcome, ret;
  if (!(in >> op->client >> op->key >> kind >> value >> op->expected_version >> outcome >>
        op->version >> op->call_time >> ret)) {
    return false;
  }
  if (kind != "r" && kind != "w") return false;
  op->kind = kind == "r" ? OpKind::kRead : OpKind::kWrite;
  op->value = Value(value);
  if (!ParseOutcome(outcome, &op->outcome)) return false;
  if (ret == "-") {
    op->return_time = caucus::sim::kNever;
  } else {
    try {
      op->return_time = std::stoll(ret);
    } catch (const std::exception&) {
      return false;
    }
  }
  return op->outcome == Outcome::kIndeterminate || op->return_time != caucus::sim::kNever;
}

struct Input {
  std::vector<Op> ops;
  std::map<std::string, RegisterState> initial;
};

// False (with the line number in *bad_line) when a line is not a record.
bool Read(std::istream& file, Input* input, size_t* bad_line) {
  std::string line;
  size_t number = 0;
  while (std::getline(file, line)) {
    ++number;
    if (line.empty()) continue;
    std::istringstream in(line);
    std::string tag;
    in >> tag;
    if (tag == "init") {
      std::string key, value;
      RegisterState state;
      if (!(in >> key >> value >> state.version)) {
        *bad_line = number;
        return false;
      }
      state.value = Value(value);
      input->initial[key] = state;
    } else if (Op op; tag == "op" && ParseOp(in, &op)) {
      input->ops.push_back(op);
    } else {
      *bad_line = number;
      return false;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: caucus-lincheck HISTORY_FILE\n";
    return 3;
  }
  std::ifstream file(argv[1]);
  if (!file) {
    std::cerr << "caucus-lincheck: cannot open " << argv[1] << "\n";
    return 3;
  }
  Input input;
  size_t bad_line = 0;
  if (!Read(file, &input, &bad_line)) {
    std::cerr << "caucus-lincheck: " << argv[1] << ":" << bad_line << ": not a record\n";
    return 3;
  }
  caucus::sim::CheckResult r;
  try {
    r = caucus::sim::CheckLinearizable(input.ops, input.initial);
  } catch (const std::invalid_argument& e) {
    std::cerr << "caucus-lincheck: malformed history: " << e.what() << "\n";
    return 3;
  }
  std::cout << caucus::sim::VerdictName(r.verdict) << ": " << input.ops.size() << " ops, "
            << r.steps << " steps\n";
  if (!r.explanation.empty()) std::cout << r.explanation << "\n";
  switch (r.verdict) {
    case caucus::sim::CheckResult::kLinearizable: return 0;
    case caucus::sim::CheckResult::kNotLinearizable: return 1;
    case caucus::sim::CheckResult::kUnknown: return 2;
  }
  return 2;
}
