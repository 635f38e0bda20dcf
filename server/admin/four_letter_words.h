// Four-letter words on the client port (ruok, srvr, stat, mntr, conf, cons, envi, wchs, wchc,
// wchp, dirs, isro, dump, crst, srst, gtmk, stmk), answered in ZooKeeper's text formats so
// that existing monitoring scripts and clients (kazoo's server_version uses `envi`) work.
#pragma once

#include <cstdint>
#include <string>

#include "server/config/server_config.h"
#include "server/node/node.h"

namespace caucus::admin {

// The ZooKeeper version Caucus reports. Clients parse it to decide which features exist.
inline constexpr const char* kCompatVersion = "3.9.2";
std::string FullVersion();

struct AdminContext {
  const node::Node* node = nullptr;
  const config::ServerConfig* config = nullptr;
  int64_t start_wall_ms = 0;
  int64_t now_wall_ms = 0;
  size_t alive_connections = 0;
};

// True if `word` is one of the four-letter words Caucus knows.
bool IsFourLetterWord(const std::string& word);

// The full answer to `word` (whitelist already applied by the caller for this variant).
// Commands that change state (crst, srst) take a mutable node.
std::string RunFourLetterWord(const std::string& word, const AdminContext& ctx,
                              node::Node* mutable_node);

// ZooKeeper's answer when the word is not in 4lw.commands.whitelist.
std::string NotWhitelisted(const std::string& word);

}  // namespace caucus::admin
