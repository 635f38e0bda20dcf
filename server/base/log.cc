#include "server/base/log.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "server/base/assert.h"

namespace caucus::base {
namespace {
std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};

const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "DEBUG";
    case LogLevel::kInfo: return "INFO";
    case LogLevel::kWarn: return "WARN";
    case LogLevel::kError: return "ERROR";
  }
  return "?";
}

std::string_view BaseName(const char* file) {
  std::string_view f(file);
  auto pos = f.rfind('/');
  return pos == std::string_view::npos ? f : f.substr(pos + 1);
}
}  // namespace

void SetLogLevel(LogLevel level) { g_level.store(static_cast<int>(level)); }
bool LogEnabled(LogLevel level) { return static_cast<int>(level) >= g_level.load(); }

LogLine::LogLine(LogLevel level, const char* file, int line) {
  auto now = std::chrono::system_clock::now();
  auto t = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  stream_ << buf << ' ' << LevelName(level) << ' ' << BaseName(file) << ':' << line << "] ";
}

LogLine::~LogLine() {
  stream_ << '\n';
  auto s = stream_.str();
  // One write per line keeps concurrent lines whole; a failed log write has nowhere to go.
  [[maybe_unused]] auto n = ::write(STDERR_FILENO, s.data(), s.size());
}

void Panic(const char* file, int line, const char* what) {
  std::fprintf(stderr, "PANIC %s:%d: %s\n", file, line, what);
  std::fflush(stderr);
  std::abort();
}

}  // namespace caucus::base
