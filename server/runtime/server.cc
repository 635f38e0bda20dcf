#include "server/runtime/server.h"

#include <sys/stat.h>

#include <utility>  // must precede Asio: Boost 1.74 awaitable.hpp lacks it under C++20

#include <boost/asio.hpp>
#include <chrono>
#include <filesystem>
#include <random>

#include "server/admin/four_letter_words.h"
#include "server/base/log.h"
#include "server/net/client_server.h"
#include "server/node/node.h"

namespace caucus::runtime {
namespace {

node::NodeOptions OptionsFrom(const config::ServerConfig& c) {
  node::NodeOptions o;
  o.tick_ms = c.tick_time_ms;
  o.min_session_timeout_ms = c.EffectiveMinSessionTimeoutMs();
  o.max_session_timeout_ms = c.EffectiveMaxSessionTimeoutMs();
  o.super_digest = c.super_digest;
  o.extended_types_enabled = c.extended_types_enabled;
  o.reconfig_enabled = c.reconfig_enabled;
  o.container_check_interval_ms = c.container_check_interval_ms;
  o.container_max_per_minute = c.container_max_per_minute;
  o.container_max_never_used_interval_ms = c.container_max_never_used_interval_ms;
  std::random_device rd;
  o.secret = (static_cast<uint64_t>(rd()) << 32) ^ rd();
  return o;
}

int64_t WallMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace

int RunServer(const config::ServerConfig& config) {
  std::error_code fs_ec;
  std::filesystem::create_directories(config.data_dir, fs_ec);
  if (fs_ec) {
    CAUCUS_LOG(Error) << "cannot create dataDir '" << config.data_dir << "': " << fs_ec.message();
    return 1;
  }
  boost::asio::io_context io(1);
  net::ClientServer server(io, config);
  node::Node core(OptionsFrom(config), server);
  int64_t start = WallMs();
  if (std::string err = server.Start(core, start); !err.empty()) {
    CAUCUS_LOG(Error) << err;
    return 1;
  }
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code ec, int sig) {
    if (ec) return;
    CAUCUS_LOG(Info) << "signal " << sig << " received, shutting down";
    server.Stop();
    io.stop();
  });
  CAUCUS_LOG(Info) << "caucusd " << admin::FullVersion() << " serving clients on "
                   << config.client_port_address << ":" << server.port() << " (standalone, dataDir "
                   << config.data_dir << ")";
  io.run();
  return 0;
}

}  // namespace caucus::runtime
