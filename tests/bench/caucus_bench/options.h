// Command-line options of caucus-bench.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace caucus::bench {

// The operations of a mix, in the order of --mix and of the report.
enum class Op : int { kCreate, kSet, kGet, kExists, kChildren, kDelete, kMulti, kCount };
inline constexpr int kOpCount = static_cast<int>(Op::kCount);
const char* OpName(Op op);

struct Options {
  std::vector<std::pair<std::string, uint16_t>> hosts;  // --connect
  std::string connect_string;
  int sessions = 8;
  int outstanding = 16;
  double duration_s = 0;   // 0: not set
  uint64_t ops = 0;        // 0: not set
  double warmup_s = 0;
  std::array<uint32_t, kOpCount> mix{};  // weights
  std::string mix_string;
  size_t value_size = 100;
  uint64_t keys = 1000;
  std::string prefix = "/bench";
  int threads = 1;
  std::string read_consistency = "local";
  int multi_size = 2;
  bool skip_setup = false;
  int session_timeout_ms = 30000;
  uint64_t seed = 1;
  // Watch fan-out mode.
  bool fanout = false;
  int watchers = 0;
  bool quiet = false;
};

// Parses argv. On error or --help prints to stderr/stdout and returns nullopt with
// `exit_code` set (0 for --help).
std::optional<Options> ParseOptions(int argc, char** argv, int& exit_code);

}  // namespace caucus::bench
