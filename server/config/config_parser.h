// Reads a ZooKeeper-format zoo.cfg into a ServerConfig.
//
// The file is read the way ZooKeeper 3.8 reads it: java.util.Properties syntax (`key=value`,
// `key: value` or `key value`; `#`/`!` comments; backslash escapes and continuation lines),
// then both key and value are trimmed as QuorumPeerConfig does. A later duplicate key
// overrides an earlier one. Problems are reported as values, never as exceptions: a bad value
// is an error (the server must not start on a config it misread), an unknown key only a
// warning (a zoo.cfg written for ZooKeeper must keep working).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "server/config/server_config.h"

namespace caucus::config {

struct ParseResult {
  bool ok = false;
  ServerConfig config;                // meaningful only when ok
  std::vector<std::string> warnings;  // "<where>: <message>", in file order
  std::string error;                  // "<where>: <message>" when !ok
};

// Parses zoo.cfg text. `source_path` only labels messages and fills config.source_path.
// Messages start with "<source_path>:<line>: " ("line <n>: " when source_path is empty).
ParseResult ParseConfigText(std::string_view text, std::string source_path);

// Reads and parses the file at `path`; an unreadable file is an error.
ParseResult LoadConfigFile(const std::string& path);

// The configuration used when caucusd starts without a file: a server on loopback
// (clientPortAddress=127.0.0.1, clientPort=2181) whose dataDir is $CAUCUS_DATA_DIR if set and
// non-empty, else $HOME/.local/share/caucus if HOME is set and non-empty, else
// /var/lib/caucus. Every other field keeps its ServerConfig default; `raw` stays empty.
ServerConfig DefaultConfig();

// The four-letter words ZooKeeper 3.8 defines, i.e. what `4lw.commands.whitelist=*` enables.
const std::vector<std::string>& KnownFourLetterWords();

}  // namespace caucus::config
