#include "server/config/config_parser.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <limits>
#include <map>
#include <span>
#include <system_error>
#include <utility>

namespace caucus::config {
namespace {

constexpr int32_t kInt32Max = std::numeric_limits<int32_t>::max();
constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();

// ------------------------------------------------------------------------------------------
// java.util.Properties syntax (Properties.load / LineReader / loadConvert).

struct Property {
  std::string key;
  std::string value;
  int line;  // first physical line of the logical line, 1-based
};

// Properties treats only these as blanks; '\r' and '\n' are line terminators.
bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\f'; }

std::string_view SkipBlanks(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && IsBlank(s[i])) ++i;
  return s.substr(i);
}

// Returns the physical line starting at `pos` and moves `pos` past its terminator
// ("\n", "\r" or "\r\n").
std::string_view NextPhysicalLine(std::string_view text, size_t& pos) {
  size_t start = pos;
  while (pos < text.size() && text[pos] != '\n' && text[pos] != '\r') ++pos;
  std::string_view line = text.substr(start, pos - start);
  if (pos < text.size()) {
    if (text[pos] == '\r' && pos + 1 < text.size() && text[pos + 1] == '\n') ++pos;
    ++pos;
  }
  return line;
}

// An odd number of trailing backslashes means the last one escapes the line terminator.
bool EndsWithContinuation(std::string_view s) {
  size_t n = 0;
  while (n < s.size() && s[s.size() - 1 - n] == '\\') ++n;
  return n % 2 == 1;
}

struct LogicalLine {
  std::string text;
  int line;
};

// Drops blank and comment lines and joins continuation lines (leading blanks of each
// continuation line are skipped). As in Properties, a comment line never continues and a
// continuation line is never a comment.
std::vector<LogicalLine> ReadLogicalLines(std::string_view text) {
  std::vector<LogicalLine> out;
  size_t pos = 0;
  int line_no = 0;
  while (pos < text.size()) {
    std::string_view line = SkipBlanks(NextPhysicalLine(text, pos));
    ++line_no;
    if (line.empty() || line[0] == '#' || line[0] == '!') continue;
    LogicalLine logical{std::string(), line_no};
    while (EndsWithContinuation(line)) {
      logical.text.append(line.substr(0, line.size() - 1));
      line = {};
      if (pos >= text.size()) break;  // a backslash before EOF is dropped
      line = SkipBlanks(NextPhysicalLine(text, pos));
      ++line_no;
    }
    logical.text.append(line);
    out.push_back(std::move(logical));
  }
  return out;
}

// The key ends at the first unescaped '=', ':' or blank; blanks and at most one separator
// follow; the value is the rest of the line.
std::pair<std::string_view, std::string_view> SplitKeyValue(std::string_view line) {
  size_t key_end = 0;
  size_t value_start = line.size();
  bool has_separator = false;
  bool escaped = false;
  for (; key_end < line.size(); ++key_end) {
    char c = line[key_end];
    if (!escaped && (c == '=' || c == ':' || IsBlank(c))) {
      has_separator = !IsBlank(c);
      value_start = key_end + 1;
      break;
    }
    escaped = c == '\\' && !escaped;
  }
  while (value_start < line.size()) {
    char c = line[value_start];
    if (!IsBlank(c)) {
      if (has_separator || (c != '=' && c != ':')) break;
      has_separator = true;
    }
    ++value_start;
  }
  return {line.substr(0, key_end), line.substr(value_start)};
}

void AppendUtf8(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Reads the 4 hex digits of a \uXXXX escape starting at in[i]; -1 when malformed.
int32_t ReadHex4(std::string_view in, size_t i) {
  if (i + 4 > in.size()) return -1;
  uint32_t v = 0;
  auto [end, ec] = std::from_chars(in.data() + i, in.data() + i + 4, v, 16);
  if (ec != std::errc() || end != in.data() + i + 4) return -1;
  return static_cast<int32_t>(v);
}

bool IsHighSurrogate(int32_t u) { return u >= 0xD800 && u <= 0xDBFF; }
bool IsLowSurrogate(int32_t u) { return u >= 0xDC00 && u <= 0xDFFF; }

// Decodes the \uXXXX escape whose 'u' is at in[i] (a surrogate pair takes two escapes) and
// returns the index of its last character, or npos when malformed (Properties rejects it).
size_t DecodeUnicodeEscape(std::string_view in, size_t i, std::string& out) {
  int32_t unit = ReadHex4(in, i + 1);
  if (unit < 0) return std::string_view::npos;
  size_t last = i + 4;
  uint32_t cp = static_cast<uint32_t>(unit);
  if (IsHighSurrogate(unit) && in.substr(last + 1, 2) == "\\u") {
    int32_t low = ReadHex4(in, last + 3);
    if (IsLowSurrogate(low)) {
      cp = 0x10000 + ((cp - 0xD800) << 10) + static_cast<uint32_t>(low - 0xDC00);
      last += 6;
    }
  }
  // A lone surrogate cannot be UTF-8; Java would later print it as '?'.
  if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;
  AppendUtf8(cp, out);
  return last;
}

// Properties.loadConvert: \t \n \r \f and \uXXXX are escapes, any other \c stands for c.
// Returns false on a malformed \u escape. Bytes pass through unchanged, so UTF-8 files work
// (Java reads the file as ISO-8859-1; see docs/configuration.md).
bool Unescape(std::string_view in, std::string& out) {
  out.clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '\\' || i + 1 == in.size()) {
      out.push_back(in[i]);
      continue;
    }
    char c = in[++i];
    switch (c) {
      case 't': out.push_back('\t'); break;
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      case 'f': out.push_back('\f'); break;
      case 'u':
        i = DecodeUnicodeEscape(in, i, out);
        if (i == std::string_view::npos) return false;
        break;
      default: out.push_back(c); break;
    }
  }
  return true;
}

// QuorumPeerConfig trims keys and values with String.trim(), which strips every char <= ' '.
std::string JavaTrim(std::string_view s) {
  auto is_space = [](char c) { return static_cast<unsigned char>(c) <= ' '; };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return std::string(s);
}

// ------------------------------------------------------------------------------------------
// Messages.

std::string Where(const std::string& source, int line) {
  std::string prefix = source.empty() ? "line " : source + ":";
  return prefix + std::to_string(line) + ": ";
}

std::string WhereFile(const std::string& source) {
  return source.empty() ? std::string() : source + ": ";
}

// Reads every property; returns false with `error` set on a malformed \u escape.
bool ReadProperties(std::string_view text, const std::string& source,
                    std::vector<Property>& out, std::string& error) {
  for (const LogicalLine& logical : ReadLogicalLines(text)) {
    auto [raw_key, raw_value] = SplitKeyValue(logical.text);
    std::string key;
    std::string value;
    if (!Unescape(raw_key, key) || !Unescape(raw_value, value)) {
      error = Where(source, logical.line) + "malformed \\uXXXX escape";
      return false;
    }
    out.push_back({JavaTrim(key), JavaTrim(value), logical.line});
  }
  return true;
}

// Keeps the last value of each key (Properties is a map), ordered by the line of that last
// value so that later settings win when aliases of one key are applied in order.
std::vector<Property> DropOverridden(std::vector<Property> props, const std::string& source,
                                    std::vector<std::string>& warnings) {
  std::map<std::string, int> last_line;
  for (const Property& p : props) {
    auto [it, inserted] = last_line.emplace(p.key, p.line);
    if (!inserted) {
      warnings.push_back(Where(source, p.line) + "key '" + p.key +
                         "' overrides the value set on line " + std::to_string(it->second));
      it->second = p.line;
    }
  }
  std::erase_if(props, [&](const Property& p) { return last_line[p.key] != p.line; });
  return props;
}

// ------------------------------------------------------------------------------------------
// Interpretation of values.

struct IntRange {
  int64_t min;
  int64_t max;
  const char* expected;  // completes "expected ..."
};

constexpr IntRange kPositive{1, kInt32Max, "a positive integer"};
constexpr IntRange kNonNegative{0, kInt32Max, "a non-negative integer"};
constexpr IntRange kAnyInt32{std::numeric_limits<int32_t>::min(), kInt32Max, "an integer"};
constexpr IntRange kPort{0, 65535, "a port number between 0 and 65535"};
constexpr IntRange kSessionTimeout{-1, kInt32Max,
                                   "a non-negative integer, or -1 for the default"};
constexpr IntRange kPositive64{1, kInt64Max, "a positive integer"};
constexpr IntRange kNonNegative64{0, kInt64Max, "a non-negative integer"};

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Integer.parseInt syntax: optional sign, decimal digits, nothing else.
bool ParseInt64(std::string_view s, int64_t& out) {
  if (s.size() > 1 && s[0] == '+' && s[1] != '-') s.remove_prefix(1);
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && ec == std::errc() && end == s.data() + s.size();
}

// State shared by the per-key setters while one file is interpreted.
class Interpreter {
 public:
  explicit Interpreter(ParseResult& result) : result_(result) {}

  ServerConfig& config() { return result_.config; }
  const std::string& source() const { return result_.config.source_path; }

  void Warn(const Property& p, const std::string& message) {
    result_.warnings.push_back(Where(source(), p.line) + message);
  }

  bool Invalid(const Property& p, std::string_view expected) {
    result_.error = Where(source(), p.line) + "invalid value '" + p.value + "' for key '" +
                    p.key + "': expected " + std::string(expected);
    return false;
  }

  template <typename T>
  bool Int(const Property& p, const IntRange& range, T& out) {
    int64_t v = 0;
    if (!ParseInt64(p.value, v)) return Invalid(p, "an integer");
    if (v < range.min || v > range.max) return Invalid(p, range.expected);
    out = static_cast<T>(v);
    return true;
  }

  // QuorumPeerConfig.parseBoolean: "true" or "false", any case; anything else is an error.
  bool Bool(const Property& p, bool& out) {
    std::string v = ToLower(p.value);
    if (v != "true" && v != "false") return Invalid(p, "'true' or 'false'");
    out = v == "true";
    return true;
  }

  // Case-insensitive choice among lower-case words; stores the lower-case form.
  bool OneOf(const Property& p, std::initializer_list<std::string_view> choices,
             std::string_view expected, std::string& out) {
    std::string v = ToLower(p.value);
    if (std::find(choices.begin(), choices.end(), v) == choices.end()) {
      return Invalid(p, expected);
    }
    out = v;
    return true;
  }

  bool NonEmpty(const Property& p, std::string_view expected, std::string& out) {
    if (p.value.empty()) return Invalid(p, expected);
    out = p.value;
    return true;
  }

 private:
  ParseResult& result_;
};

// ------------------------------------------------------------------------------------------
// Per-key setters.

using Setter = bool (*)(Interpreter&, const Property&);

bool SetFourLetterWords(Interpreter& in, const Property& p) {
  ServerConfig& c = in.config();
  c.four_lw_all = false;
  c.four_lw_whitelist = {"srvr"};
  std::string word;
  auto flush = [&] {
    if (word == "*") {
      c.four_lw_all = true;
      c.four_lw_whitelist = KnownFourLetterWords();
    } else if (!word.empty() && !c.four_lw_all) {
      const auto& known = KnownFourLetterWords();
      auto& list = c.four_lw_whitelist;
      if (std::find(known.begin(), known.end(), word) == known.end()) {
        in.Warn(p, "unknown four-letter word '" + word + "' in '" + p.key + "' (ignored)");
      } else if (std::find(list.begin(), list.end(), word) == list.end()) {
        list.push_back(word);
      }
    }
    word.clear();
  };
  // ZooKeeper splits on ',' only; blanks are accepted too since "ruok, stat" is common.
  for (char ch : p.value) {
    if (ch == ',' || static_cast<unsigned char>(ch) <= ' ') {
      flush();
    } else {
      word.push_back(ch);
    }
  }
  flush();
  return true;
}

bool SetSuperDigest(Interpreter& in, const Property& p) {
  // ZooKeeper compares the stored text with "user:base64(sha1(user:password))", so a value
  // without ':' can never match; super access stays off, which is safe, but say so.
  size_t colon = p.value.find(':');
  if (!p.value.empty() && (colon == std::string::npos || colon == 0)) {
    in.Warn(p, "value of '" + p.key + "' is not of the form 'super:<base64 SHA-1 digest>'");
  }
  in.config().super_digest = p.value;
  return true;
}

bool SetSnapRetainCount(Interpreter& in, const Property& p) {
  int32_t& count = in.config().autopurge_snap_retain_count;
  if (!in.Int(p, kAnyInt32, count)) return false;
  if (count < 3) {  // ZooKeeper's purge never keeps fewer than 3 snapshots
    in.Warn(p, "'" + p.key + "' must be at least 3; using 3");
    count = 3;
  }
  return true;
}

bool SetPurgeInterval(Interpreter& in, const Property& p) {
  int32_t& hours = in.config().autopurge_purge_interval_h;
  if (!in.Int(p, kAnyInt32, hours)) return false;
  hours = std::max(hours, 0);  // ZooKeeper treats any value <= 0 as "purge disabled"
  return true;
}

bool SetSnapCount(Interpreter& in, const Property& p) {
  int32_t& count = in.config().snap_count;
  if (!in.Int(p, kAnyInt32, count)) return false;
  if (count < 2) {  // as SyncRequestProcessor: the randomized roll needs snapCount / 2 >= 1
    in.Warn(p, "'" + p.key + "' must be at least 2; using 2");
    count = 2;
  }
  return true;
}

// ZooKeeper syncs unless the value is exactly "no"; Caucus rejects anything but yes/no so
// that "forceSync=false" is not silently read as "yes".
bool SetForceSync(Interpreter& in, const Property& p) {
  std::string v = ToLower(p.value);
  if (v != "yes" && v != "no") return in.Invalid(p, "'yes' or 'no'");
  in.config().force_sync = v == "yes";
  return true;
}

struct KeySpec {
  std::string_view name;
  // ZooKeeper reads this setting as the system property "zookeeper.<name>" (the form used
  // with -D), so a zoo.cfg may spell it either way.
  bool zookeeper_prefix_alias;
  Setter set;
};

// clang-format off
const KeySpec kKeys[] = {
  {"tickTime", false, [](Interpreter& in, const Property& p) {
     return in.Int(p, kPositive, in.config().tick_time_ms); }},
  {"dataDir", false, [](Interpreter& in, const Property& p) {
     return in.NonEmpty(p, "a directory path", in.config().data_dir); }},
  {"dataLogDir", false, [](Interpreter& in, const Property& p) {
     in.config().data_log_dir = p.value; return true; }},
  {"clientPort", false, [](Interpreter& in, const Property& p) {
     return in.Int(p, kPort, in.config().client_port); }},
  {"clientPortAddress", false, [](Interpreter& in, const Property& p) {
     return in.NonEmpty(p, "a host name or IP address", in.config().client_port_address); }},
  {"minSessionTimeout", false, [](Interpreter& in, const Property& p) {
     return in.Int(p, kSessionTimeout, in.config().min_session_timeout_ms); }},
  {"maxSessionTimeout", false, [](Interpreter& in, const Property& p) {
     return in.Int(p, kSessionTimeout, in.config().max_session_timeout_ms); }},
  {"maxClientCnxns", false, [](Interpreter& in, const Property& p) {
     return in.Int(p, kNonNegative, in.config().max_client_cnxns); }},
  {"jute.maxbuffer", false, [](Interpreter& in, const Property& p) {
     return in.Int(p, kPositive, in.config().jute_max_buffer); }},
  {"initLimit", false, [](Interpreter& in, const Property& p) {
     return in.Int(p, kPositive, in.config().init_limit); }},
  {"syncLimit", false, [](Interpreter& in, const Property& p) {
     return in.Int(p, kPositive, in.config().sync_limit); }},
  {"globalOutstandingLimit", true, [](Interpreter& in, const Property& p) {
     return in.Int(p, kPositive, in.config().global_outstanding_limit); }},
  {"4lw.commands.whitelist", true, SetFourLetterWords},
  {"DigestAuthenticationProvider.superDigest", true, SetSuperDigest},
  {"extendedTypesEnabled", true, [](Interpreter& in, const Property& p) {
     return in.Bool(p, in.config().extended_types_enabled); }},
  {"znode.container.checkIntervalMs", false, [](Interpreter& in, const Property& p) {
     return in.Int(p, kPositive64, in.config().container_check_interval_ms); }},
  {"znode.container.maxPerMinute", false, [](Interpreter& in, const Property& p) {
     return in.Int(p, kPositive, in.config().container_max_per_minute); }},
  {"znode.container.maxNeverUsedIntervalMs", false, [](Interpreter& in, const Property& p) {
     return in.Int(p, kNonNegative64, in.config().container_max_never_used_interval_ms); }},
  {"reconfigEnabled", false, [](Interpreter& in, const Property& p) {
     return in.Bool(p, in.config().reconfig_enabled); }},
  {"standaloneEnabled", false, [](Interpreter& in, const Property& p) {
     return in.Bool(p, in.config().standalone_enabled); }},
  {"autopurge.snapRetainCount", false, SetSnapRetainCount},
  {"autopurge.purgeInterval", false, SetPurgeInterval},
  {"snapCount", true, SetSnapCount},
  {"commitLogCount", true, [](Interpreter& in, const Property& p) {
     return in.Int(p, kPositive, in.config().commit_log_count); }},
  {"forceSync", true, SetForceSync},
  {"readConsistency", false, [](Interpreter& in, const Property& p) {
     return in.OneOf(p, {"local", "quorum", "leader"}, "'local', 'quorum' or 'leader'",
                     in.config().read_consistency); }},
  {"peerType", false, [](Interpreter& in, const Property& p) {
     std::string v;
     if (!in.OneOf(p, {"participant", "observer"}, "'participant' or 'observer'", v)) return false;
     in.config().peer_type_observer = v == "observer";
     return true; }},
  {"logLevel", false, [](Interpreter& in, const Property& p) {
     return in.OneOf(p, {"debug", "info", "warn", "error"},
                     "'debug', 'info', 'warn' or 'error'", in.config().log_level); }},
};
// clang-format on

constexpr std::string_view kZooKeeperPrefix = "zookeeper.";

const KeySpec* FindKey(std::string_view key) {
  for (const KeySpec& spec : kKeys) {
    if (spec.name == key) return &spec;
  }
  if (!key.starts_with(kZooKeeperPrefix)) return nullptr;
  key.remove_prefix(kZooKeeperPrefix.size());
  for (const KeySpec& spec : kKeys) {
    if (spec.zookeeper_prefix_alias && spec.name == key) return &spec;
  }
  return nullptr;
}

// ZooKeeper keys Caucus accepts without acting on them. Quorum, election and JVM tuning keys
// change nothing a client of a standalone server can observe, so they pass silently; the
// others name a feature an operator may expect, so they earn an "ignored" warning.
const std::string_view kSilentKeys[] = {
    "clientPortListenBacklog", "cnxTimeout", "connectToLearnerMasterLimit",
    "electionAlg", "electionPortBindRetry", "fsync.warningthresholdms", "leaderServes",
    "observerMasterPort", "preAllocSize", "quorum.cnxn.threads.size",
    "quorumListenOnAllIPs", "serverCnxnFactory", "snapSizeLimitInKb", "sslQuorum",
    "sslQuorumReloadCertFiles", "syncEnabled", "txnLogSizeLimitInKb",
};
const std::string_view kSilentPrefixes[] = {"group.", "weight.", "multiAddress.", "jvm.pause.",
                                            "quorum.auth.", "ssl.quorum."};
const std::string_view kWarnKeys[] = {
    "audit.enable", "client.portUnification", "client.secure", "dynamicConfigFile",
    "localSessionsEnabled", "localSessionsUpgradingEnabled", "maxCnxns", "portUnification",
    "secureClientPort", "secureClientPortAddress", "skipACL",
};
const std::string_view kWarnPrefixes[] = {"admin.", "metricsProvider.", "ssl.",
                                          "authProvider."};

enum class KeyClass { kSilent, kWarn, kUnknown };

bool MatchesAny(std::string_view key, std::span<const std::string_view> exact,
                std::span<const std::string_view> prefixes) {
  if (std::find(exact.begin(), exact.end(), key) != exact.end()) return true;
  return std::any_of(prefixes.begin(), prefixes.end(),
                     [&](std::string_view prefix) { return key.starts_with(prefix); });
}

KeyClass ClassifyIgnored(const Property& p) {
  // Turning the AdminServer off asks for what Caucus already does.
  if (p.key == "admin.enableServer" && ToLower(p.value) == "false") return KeyClass::kSilent;
  if (MatchesAny(p.key, kSilentKeys, kSilentPrefixes)) return KeyClass::kSilent;
  if (MatchesAny(p.key, kWarnKeys, kWarnPrefixes)) return KeyClass::kWarn;
  return KeyClass::kUnknown;
}

// server.N=host:quorumPort:electionPort[:role][;[clientAddress:]clientPort]
bool SetServer(Interpreter& in, const Property& p) {
  int64_t id = 0;
  std::string_view rest = std::string_view(p.key).substr(7);
  if (!ParseInt64(rest, id) || id < 1 || id > 255) {
    return in.Invalid(p, "server.N with N an integer between 1 and 255 (the myid)");
  }
  std::string why;
  auto spec = ParseServerSpec(id, p.value, &why);
  if (!spec) return in.Invalid(p, why);
  auto& servers = in.config().servers;
  std::erase_if(servers, [id](const ServerSpec& s) { return s.id == id; });
  servers.push_back(*spec);
  std::sort(servers.begin(), servers.end(),
            [](const ServerSpec& a, const ServerSpec& b) { return a.id < b.id; });
  return true;
}

// Applies one property; false (with the error set) when its value is invalid.
bool ApplyProperty(Interpreter& in, const Property& p, std::map<std::string_view, int>& seen) {
  in.config().raw[p.key] = p.value;
  const KeySpec* spec = FindKey(p.key);
  if (spec != nullptr) {
    auto [it, inserted] = seen.emplace(spec->name, p.line);
    if (!inserted) {
      in.Warn(p, "key '" + p.key + "' overrides '" + std::string(spec->name) +
                     "' set on line " + std::to_string(it->second));
      it->second = p.line;
    }
    return spec->set(in, p);
  }
  if (p.key.starts_with("server.")) return SetServer(in, p);
  switch (ClassifyIgnored(p)) {
    case KeyClass::kSilent: break;
    case KeyClass::kWarn:
      in.Warn(p, "ZooKeeper key '" + p.key + "' is not supported by Caucus yet (ignored)");
      break;
    case KeyClass::kUnknown: in.Warn(p, "unknown key '" + p.key + "' (ignored)"); break;
  }
  return true;
}

// Checks that involve several keys, after all of them are known.
bool CheckWholeConfig(ParseResult& result, const std::map<std::string_view, int>& seen) {
  ServerConfig& c = result.config;
  const std::string where = WhereFile(c.source_path);
  if (!seen.contains("dataDir")) {
    result.error = where + "missing required key 'dataDir'";
    return false;
  }
  if (!seen.contains("clientPort")) {
    result.warnings.push_back(where + "key 'clientPort' is not set; using 2181");
  }
  int32_t min = c.EffectiveMinSessionTimeoutMs();
  int32_t max = c.EffectiveMaxSessionTimeoutMs();
  if (min > max) {
    result.error = where + "minSessionTimeout (" + std::to_string(min) +
                   ") must not be larger than maxSessionTimeout (" + std::to_string(max) + ")";
    return false;
  }
  return true;
}

std::string DefaultDataDir() {
  const char* dir = std::getenv("CAUCUS_DATA_DIR");
  if (dir != nullptr && *dir != '\0') return dir;
  const char* home = std::getenv("HOME");
  if (home != nullptr && *home != '\0') return std::string(home) + "/.local/share/caucus";
  return "/var/lib/caucus";
}

}  // namespace

const std::vector<std::string>& KnownFourLetterWords() {
  static const std::vector<std::string> kWords = {
      "conf", "cons", "crst", "dirs", "dump", "envi", "gtmk", "hash", "isro",
      "mntr", "ruok", "srst", "srvr", "stat", "stmk", "wchc", "wchp", "wchs",
  };
  return kWords;
}

bool ServerConfig::FourLetterWordAllowed(const std::string& cmd) const {
  if (four_lw_all || cmd == "srvr") return true;
  return std::find(four_lw_whitelist.begin(), four_lw_whitelist.end(), cmd) !=
         four_lw_whitelist.end();
}

ParseResult ParseConfigText(std::string_view text, std::string source_path) {
  ParseResult result;
  result.config.source_path = std::move(source_path);
  const std::string& source = result.config.source_path;
  std::vector<Property> props;
  if (!ReadProperties(text, source, props, result.error)) return result;
  props = DropOverridden(std::move(props), source, result.warnings);

  Interpreter in(result);
  std::map<std::string_view, int> seen;  // canonical key -> line of the value in force
  for (const Property& p : props) {
    if (!ApplyProperty(in, p, seen)) return result;
  }
  result.ok = CheckWholeConfig(result, seen);
  return result;
}

ParseResult LoadConfigFile(const std::string& path) {
  ParseResult result;
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    result.error = "cannot open config file '" + path + "': " +
                   std::generic_category().message(errno);
    return result;
  }
  std::string text;
  char buf[4096];
  size_t n;
  errno = 0;
  while ((n = std::fread(buf, 1, sizeof(buf), file)) > 0) text.append(buf, n);
  int read_errno = std::ferror(file) ? (errno != 0 ? errno : EIO) : 0;
  std::fclose(file);
  if (read_errno != 0) {
    result.error = "cannot read config file '" + path + "': " +
                   std::generic_category().message(read_errno);
    return result;
  }
  return ParseConfigText(text, path);
}

ServerConfig DefaultConfig() {
  ServerConfig c;
  c.client_port = 2181;
  c.client_port_address = "127.0.0.1";
  c.data_dir = DefaultDataDir();
  return c;
}

}  // namespace caucus::config
