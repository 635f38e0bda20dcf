// caucusd: `caucusd [path/to/zoo.cfg]`, as ZooKeeper's server main takes it.
#include <cstdio>
#include <cstring>
#include <string>

#include "server/base/log.h"
#include "server/config/config_parser.h"
#include "server/runtime/server.h"

namespace {

void Usage() {
  std::fprintf(stderr,
               "usage: caucusd [zoo.cfg]\n"
               "  Starts a Caucus server configured by a ZooKeeper-format zoo.cfg.\n"
               "  Without a file: standalone on 127.0.0.1:2181 with default settings.\n");
}

caucus::base::LogLevel LevelOf(const std::string& s) {
  if (s == "debug") return caucus::base::LogLevel::kDebug;
  if (s == "warn") return caucus::base::LogLevel::kWarn;
  if (s == "error") return caucus::base::LogLevel::kError;
  return caucus::base::LogLevel::kInfo;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 2 || (argc == 2 && (!std::strcmp(argv[1], "-h") || !std::strcmp(argv[1], "--help")))) {
    Usage();
    return argc > 2 ? 2 : 0;
  }
  caucus::config::ServerConfig config;
  if (argc == 2) {
    auto parsed = caucus::config::LoadConfigFile(argv[1]);
    for (const auto& w : parsed.warnings) CAUCUS_LOG(Warn) << w;
    if (!parsed.ok) {
      CAUCUS_LOG(Error) << parsed.error;
      return 2;
    }
    config = std::move(parsed.config);
  } else {
    config = caucus::config::DefaultConfig();
  }
  caucus::base::SetLogLevel(LevelOf(config.log_level));
  return caucus::runtime::RunServer(config);
}
