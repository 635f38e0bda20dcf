// Runs a standalone Caucus server until SIGINT/SIGTERM: the production wiring of config,
// core and network (the only module that knows every concrete type).
#pragma once

#include "server/config/server_config.h"

namespace caucus::runtime {

// Returns the process exit code.
int RunServer(const config::ServerConfig& config);

}  // namespace caucus::runtime
