// Minimal leveled logging to stderr. Thread-safe: each line is assembled first, then written
// with one write(2), so lines from different threads never interleave.
#pragma once

#include <sstream>
#include <string_view>

namespace caucus::base {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// The threshold is process-wide configuration set once at start-up (before threads start).
void SetLogLevel(LogLevel level);
bool LogEnabled(LogLevel level);

class LogLine {
 public:
  LogLine(LogLevel level, const char* file, int line);
  ~LogLine();
  LogLine(const LogLine&) = delete;
  LogLine& operator=(const LogLine&) = delete;
  template <typename T>
  LogLine& operator<<(const T& v) {
    stream_ << v;
    return *this;
  }

 private:
  std::ostringstream stream_;
};

}  // namespace caucus::base

// A `for` rather than `if`, so that `if (x) CAUCUS_LOG(Info) << ...; else ...` parses as written.
#define CAUCUS_LOG(level)                                                                    \
  for (bool caucus_log_on_ = ::caucus::base::LogEnabled(::caucus::base::LogLevel::k##level); \
       caucus_log_on_; caucus_log_on_ = false)                                               \
  ::caucus::base::LogLine(::caucus::base::LogLevel::k##level, __FILE__, __LINE__)
