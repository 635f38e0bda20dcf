#include "server/config/config_parser.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

namespace caucus::config {
namespace {

// /etc/zookeeper/conf/zoo.cfg as shipped by Debian's zookeeper package (the upstream
// zoo_sample.cfg), trailing blanks on comment lines included.
constexpr char kDebianZooCfg[] =
    "# The number of milliseconds of each tick\n"
    "tickTime=2000\n"
    "# The number of ticks that the initial \n"
    "# synchronization phase can take\n"
    "initLimit=10\n"
    "# The number of ticks that can pass between \n"
    "# sending a request and getting an acknowledgement\n"
    "syncLimit=5\n"
    "# the directory where the snapshot is stored.\n"
    "# do not use /tmp for storage, /tmp here is just \n"
    "# example sakes.\n"
    "dataDir=/tmp/zookeeper\n"
    "# the port at which the clients will connect\n"
    "clientPort=2181\n"
    "# the maximum number of client connections.\n"
    "# increase this if you need to handle more clients\n"
    "#maxClientCnxns=60\n"
    "#\n"
    "# Be sure to read the maintenance section of the \n"
    "# administrator guide before turning on autopurge.\n"
    "#\n"
    "# https://zookeeper.apache.org/doc/current/zookeeperAdmin.html#sc_maintenance\n"
    "#\n"
    "# The number of snapshots to retain in dataDir\n"
    "#autopurge.snapRetainCount=3\n"
    "# Purge task interval in hours\n"
    "# Set to \"0\" to disable auto purge feature\n"
    "#autopurge.purgeInterval=1\n"
    "\n"
    "## Metrics Providers\n"
    "#\n"
    "# https://prometheus.io Metrics Exporter\n"
    "#metricsProvider.className=org.apache.zookeeper.metrics.prometheus."
    "PrometheusMetricsProvider\n"
    "#metricsProvider.httpHost=0.0.0.0\n"
    "#metricsProvider.httpPort=7000\n"
    "#metricsProvider.exportJvmInfo=true\n"
    "\n";

ParseResult Parse(const std::string& text) { return ParseConfigText(text, ""); }

// Parses `body` after a dataDir line, so tests can focus on the keys they are about.
ParseResult ParseWithDataDir(const std::string& body) {
  return Parse("dataDir=/data\nclientPort=2181\n" + body);
}

bool AnyWarningContains(const ParseResult& r, const std::string& fragment) {
  return std::any_of(r.warnings.begin(), r.warnings.end(), [&](const std::string& w) {
    return w.find(fragment) != std::string::npos;
  });
}

std::string RawValue(const ParseResult& r, const std::string& key) {
  auto it = r.config.raw.find(key);
  return it == r.config.raw.end() ? "<absent>" : it->second;
}

TEST(ConfigParser, DebianSampleZooCfg) {
  ParseResult r = ParseConfigText(kDebianZooCfg, "/etc/zookeeper/conf/zoo.cfg");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_TRUE(r.warnings.empty()) << r.warnings.front();
  const ServerConfig& c = r.config;
  EXPECT_EQ(c.source_path, "/etc/zookeeper/conf/zoo.cfg");
  EXPECT_EQ(c.tick_time_ms, 2000);
  EXPECT_EQ(c.init_limit, 10);
  EXPECT_EQ(c.sync_limit, 5);
  EXPECT_EQ(c.data_dir, "/tmp/zookeeper");
  EXPECT_EQ(c.data_log_dir, "");
  EXPECT_EQ(c.client_port, 2181);
  EXPECT_EQ(c.client_port_address, "0.0.0.0");
  EXPECT_EQ(c.max_client_cnxns, 60);
  EXPECT_EQ(c.autopurge_snap_retain_count, 3);
  EXPECT_EQ(c.autopurge_purge_interval_h, 0);
  EXPECT_EQ(c.EffectiveMinSessionTimeoutMs(), 4000);
  EXPECT_EQ(c.EffectiveMaxSessionTimeoutMs(), 40000);
  EXPECT_EQ(c.raw.size(), 5u);
  EXPECT_EQ(RawValue(r, "dataDir"), "/tmp/zookeeper");
}

TEST(ConfigParser, CommentsBlankLinesAndWhitespace) {
  ParseResult r = Parse(
      "   # indented hash comment\n"
      "\t! bang comment\n"
      "\n"
      "   \t \n"
      "  tickTime   =   3000   \n"
      "\tdataDir\t=\t/var/data dir \t\n"
      "# clientPort=1\n"
      "clientPort=2182 \r\n"
      "maxClientCnxns=7\r"
      "initLimit=11");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.config.tick_time_ms, 3000);
  EXPECT_EQ(r.config.data_dir, "/var/data dir");  // inner blanks kept, outer ones trimmed
  EXPECT_EQ(r.config.client_port, 2182);
  EXPECT_EQ(r.config.max_client_cnxns, 7);
  EXPECT_EQ(r.config.init_limit, 11);
  EXPECT_EQ(r.config.raw.size(), 5u);
}

TEST(ConfigParser, PropertiesSeparatorForms) {
  ParseResult r = ParseWithDataDir(
      "k1=v1\n"
      "k2:v2\n"
      "k3 v3\n"
      "k4 = v4\n"
      "k5 : v5\n"
      "k6\t\tv6 with spaces\n"
      "k7=a=b:c\n"
      "k8==x\n"
      "k9 = :y\n"
      "k10\n"
      "k11=\n");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(RawValue(r, "k1"), "v1");
  EXPECT_EQ(RawValue(r, "k2"), "v2");
  EXPECT_EQ(RawValue(r, "k3"), "v3");
  EXPECT_EQ(RawValue(r, "k4"), "v4");
  EXPECT_EQ(RawValue(r, "k5"), "v5");
  EXPECT_EQ(RawValue(r, "k6"), "v6 with spaces");
  EXPECT_EQ(RawValue(r, "k7"), "a=b:c");
  EXPECT_EQ(RawValue(r, "k8"), "=x");  // only one separator is consumed
  EXPECT_EQ(RawValue(r, "k9"), ":y");
  EXPECT_EQ(RawValue(r, "k10"), "");
  EXPECT_EQ(RawValue(r, "k11"), "");
}

TEST(ConfigParser, EscapesAndContinuationLines) {
  ParseResult r = Parse(
      "dataDir=/very/long/\\\n"
      "        path/\\\n"
      "\tdata\n"
      "key\\ with\\ blanks\\=and\\:seps = v\n"
      "esc=a\\tb\\\\c\\qd\n"
      "uni=caf\\u00e9 \\u20AC \\uD83D\\uDE00\n"
      "# a comment ending in a backslash does not continue \\\n"
      "tickTime=2500\n");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.config.data_dir, "/very/long/path/data");
  EXPECT_EQ(r.config.tick_time_ms, 2500);
  EXPECT_EQ(RawValue(r, "key with blanks=and:seps"), "v");
  EXPECT_EQ(RawValue(r, "esc"), "a\tb\\cqd");
  EXPECT_EQ(RawValue(r, "uni"), "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
}

TEST(ConfigParser, MalformedUnicodeEscapeIsError) {
  ParseResult r = ParseWithDataDir("\nx=\\u12G4\n");
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, "line 4: malformed \\uXXXX escape");
}

TEST(ConfigParser, LaterDuplicateKeyOverrides) {
  ParseResult r = ParseWithDataDir("tickTime=abc\ntickTime=1000\n");
  // As in java.util.Properties, only the last value exists, so the bad first one is moot.
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.config.tick_time_ms, 1000);
  EXPECT_EQ(RawValue(r, "tickTime"), "1000");
  EXPECT_TRUE(AnyWarningContains(r, "line 4: key 'tickTime' overrides the value set on line 3"));
}

TEST(ConfigParser, EveryKey) {
  ParseResult r = Parse(
      "tickTime=1000\n"
      "dataDir=/srv/caucus/data\n"
      "dataLogDir=/srv/caucus/log\n"
      "clientPort=3181\n"
      "clientPortAddress=10.0.0.5\n"
      "minSessionTimeout=3000\n"
      "maxSessionTimeout=90000\n"
      "maxClientCnxns=0\n"
      "jute.maxbuffer=4194304\n"
      "initLimit=20\n"
      "syncLimit=8\n"
      "globalOutstandingLimit=5000\n"
      "4lw.commands.whitelist=ruok,mntr\n"
      "DigestAuthenticationProvider.superDigest=super:D/InIHSb7yEEbrWz8b9l71RjZJU=\n"
      "extendedTypesEnabled=true\n"
      "znode.container.checkIntervalMs=1000\n"
      "znode.container.maxPerMinute=100\n"
      "znode.container.maxNeverUsedIntervalMs=86400000\n"
      "reconfigEnabled=true\n"
      "standaloneEnabled=false\n"
      "autopurge.snapRetainCount=5\n"
      "autopurge.purgeInterval=24\n"
      "snapCount=50000\n"
      "forceSync=no\n"
      "readConsistency=quorum\n"
      "logLevel=debug\n");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_TRUE(r.warnings.empty()) << r.warnings.front();
  const ServerConfig& c = r.config;
  EXPECT_EQ(c.tick_time_ms, 1000);
  EXPECT_EQ(c.data_dir, "/srv/caucus/data");
  EXPECT_EQ(c.data_log_dir, "/srv/caucus/log");
  EXPECT_EQ(c.client_port, 3181);
  EXPECT_EQ(c.client_port_address, "10.0.0.5");
  EXPECT_EQ(c.min_session_timeout_ms, 3000);
  EXPECT_EQ(c.max_session_timeout_ms, 90000);
  EXPECT_EQ(c.max_client_cnxns, 0);
  EXPECT_EQ(c.jute_max_buffer, 4194304);
  EXPECT_EQ(c.init_limit, 20);
  EXPECT_EQ(c.sync_limit, 8);
  EXPECT_EQ(c.global_outstanding_limit, 5000);
  EXPECT_FALSE(c.four_lw_all);
  EXPECT_EQ(c.four_lw_whitelist, (std::vector<std::string>{"srvr", "ruok", "mntr"}));
  EXPECT_EQ(c.super_digest, "super:D/InIHSb7yEEbrWz8b9l71RjZJU=");
  EXPECT_TRUE(c.extended_types_enabled);
  EXPECT_EQ(c.container_check_interval_ms, 1000);
  EXPECT_EQ(c.container_max_per_minute, 100);
  EXPECT_EQ(c.container_max_never_used_interval_ms, 86400000);
  EXPECT_TRUE(c.reconfig_enabled);
  EXPECT_FALSE(c.standalone_enabled);
  EXPECT_EQ(c.autopurge_snap_retain_count, 5);
  EXPECT_EQ(c.autopurge_purge_interval_h, 24);
  EXPECT_EQ(c.snap_count, 50000);
  EXPECT_FALSE(c.force_sync);
  EXPECT_EQ(c.read_consistency, "quorum");
  EXPECT_EQ(c.log_level, "debug");
  EXPECT_EQ(c.raw.size(), 26u);
  EXPECT_EQ(RawValue(r, "4lw.commands.whitelist"), "ruok,mntr");
}

TEST(ConfigParser, UnsetKeysKeepDefaults) {
  ParseResult r = ParseWithDataDir("");
  ASSERT_TRUE(r.ok) << r.error;
  const ServerConfig d;
  const ServerConfig& c = r.config;
  EXPECT_EQ(c.tick_time_ms, d.tick_time_ms);
  EXPECT_EQ(c.jute_max_buffer, 0xfffff);
  EXPECT_EQ(c.global_outstanding_limit, 1000);
  EXPECT_TRUE(c.force_sync);
  EXPECT_FALSE(c.extended_types_enabled);
  EXPECT_EQ(c.read_consistency, "local");
  EXPECT_EQ(c.log_level, "info");
  EXPECT_EQ(c.four_lw_whitelist, std::vector<std::string>{"srvr"});
}

TEST(ConfigParser, SessionTimeoutDefaultsFollowTickTime) {
  ParseResult r = ParseWithDataDir("tickTime=3000\n");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.config.min_session_timeout_ms, -1);
  EXPECT_EQ(r.config.max_session_timeout_ms, -1);
  EXPECT_EQ(r.config.EffectiveMinSessionTimeoutMs(), 6000);
  EXPECT_EQ(r.config.EffectiveMaxSessionTimeoutMs(), 60000);

  r = ParseWithDataDir("tickTime=3000\nminSessionTimeout=1000\nmaxSessionTimeout=-1\n");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.config.EffectiveMinSessionTimeoutMs(), 1000);
  EXPECT_EQ(r.config.EffectiveMaxSessionTimeoutMs(), 60000);
}

TEST(ConfigParser, MinSessionTimeoutAboveMaxIsError) {
  ParseResult r = ParseWithDataDir("minSessionTimeout=10000\nmaxSessionTimeout=5000\n");
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, "minSessionTimeout (10000) must not be larger than maxSessionTimeout (5000)");

  // The comparison uses effective values: 50000 exceeds the default 20 * 2000.
  r = ParseConfigText("dataDir=/d\nminSessionTimeout=50000\n", "/etc/zoo.cfg");
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error,
            "/etc/zoo.cfg: minSessionTimeout (50000) must not be larger than "
            "maxSessionTimeout (40000)");
}

TEST(ConfigParser, ZooKeeperPrefixedSpellings) {
  ParseResult r = ParseWithDataDir(
      "zookeeper.DigestAuthenticationProvider.superDigest=super:abc=\n"
      "zookeeper.extendedTypesEnabled=true\n"
      "zookeeper.snapCount=1000\n"
      "zookeeper.forceSync=no\n"
      "zookeeper.4lw.commands.whitelist=stat\n"
      "zookeeper.globalOutstandingLimit=77\n");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_TRUE(r.warnings.empty()) << r.warnings.front();
  EXPECT_EQ(r.config.super_digest, "super:abc=");
  EXPECT_TRUE(r.config.extended_types_enabled);
  EXPECT_EQ(r.config.snap_count, 1000);
  EXPECT_FALSE(r.config.force_sync);
  EXPECT_TRUE(r.config.FourLetterWordAllowed("stat"));
  EXPECT_EQ(r.config.global_outstanding_limit, 77);
  EXPECT_EQ(RawValue(r, "zookeeper.extendedTypesEnabled"), "true");  // raw keeps the spelling
}

TEST(ConfigParser, BothSpellingsLaterWins) {
  ParseResult r =
      ParseWithDataDir("extendedTypesEnabled=false\nzookeeper.extendedTypesEnabled=true\n");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_TRUE(r.config.extended_types_enabled);
  EXPECT_TRUE(AnyWarningContains(
      r, "key 'zookeeper.extendedTypesEnabled' overrides 'extendedTypesEnabled' set on line 3"));
}

TEST(ConfigParser, PrefixOnlyForSystemPropertyKeys) {
  // ZooKeeper reads tickTime from zoo.cfg only, never as a zookeeper.* property.
  ParseResult r = ParseWithDataDir("zookeeper.tickTime=5\n");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.config.tick_time_ms, 2000);
  EXPECT_TRUE(AnyWarningContains(r, "unknown key 'zookeeper.tickTime' (ignored)"));
}

TEST(ConfigParser, FourLetterWordDefaultAllowsOnlySrvr) {
  ServerConfig c;
  EXPECT_TRUE(c.FourLetterWordAllowed("srvr"));
  EXPECT_FALSE(c.FourLetterWordAllowed("ruok"));
  EXPECT_FALSE(c.FourLetterWordAllowed("stat"));
}

TEST(ConfigParser, FourLetterWordList) {
  ParseResult r = ParseWithDataDir("4lw.commands.whitelist= ruok, stat,mntr  conf,,ruok\n");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_TRUE(r.warnings.empty()) << r.warnings.front();
  const ServerConfig& c = r.config;
  EXPECT_FALSE(c.four_lw_all);
  EXPECT_EQ(c.four_lw_whitelist,
            (std::vector<std::string>{"srvr", "ruok", "stat", "mntr", "conf"}));
  for (const char* word : {"srvr", "ruok", "stat", "mntr", "conf"}) {
    EXPECT_TRUE(c.FourLetterWordAllowed(word)) << word;
  }
  EXPECT_FALSE(c.FourLetterWordAllowed("dump"));
  EXPECT_FALSE(c.FourLetterWordAllowed("RUOK"));
}

TEST(ConfigParser, FourLetterWordStarAllowsAll) {
  ParseResult r = ParseWithDataDir("4lw.commands.whitelist=*\n");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_TRUE(r.config.four_lw_all);
  EXPECT_EQ(r.config.four_lw_whitelist, KnownFourLetterWords());
  for (const std::string& word : KnownFourLetterWords()) {
    EXPECT_TRUE(r.config.FourLetterWordAllowed(word)) << word;
  }

  r = ParseWithDataDir("4lw.commands.whitelist=ruok, *\n");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_TRUE(r.config.four_lw_all);
  EXPECT_TRUE(r.config.FourLetterWordAllowed("wchc"));
}

TEST(ConfigParser, FourLetterWordUnknownNamesWarn) {
  ParseResult r = ParseWithDataDir("4lw.commands.whitelist=ruok,xyzw\n");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_TRUE(r.config.FourLetterWordAllowed("ruok"));
  EXPECT_FALSE(r.config.FourLetterWordAllowed("xyzw"));
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_EQ(r.warnings[0],
            "line 3: unknown four-letter word 'xyzw' in '4lw.commands.whitelist' (ignored)");
}

TEST(ConfigParser, FourLetterWordEmptyListKeepsSrvr) {
  ParseResult r = ParseWithDataDir("4lw.commands.whitelist=\n");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.config.four_lw_whitelist, std::vector<std::string>{"srvr"});
}

TEST(ConfigParser, UnknownKeyWarnsAndIsKeptInRaw) {
  ParseResult r = ParseConfigText("dataDir=/d\nclientPort=1\nfooBar = 42\n", "/etc/zoo.cfg");
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_EQ(r.warnings[0], "/etc/zoo.cfg:3: unknown key 'fooBar' (ignored)");
  EXPECT_EQ(RawValue(r, "fooBar"), "42");
}

TEST(ConfigParser, QuorumAndTuningKeysAreAcceptedSilently) {
  ParseResult r = ParseWithDataDir(
      "electionAlg=3\n"
      "peerType=participant\n"
      "syncEnabled=true\n"
      "quorumListenOnAllIPs=false\n"
      "preAllocSize=65536\n"
      "cnxTimeout=5000\n"
      "leaderServes=yes\n"
      "group.1=1:2:3\n"
      "weight.1=1\n"
      "jvm.pause.monitor=false\n"
      "admin.enableServer=false\n");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_TRUE(r.warnings.empty()) << r.warnings.front();
  EXPECT_EQ(RawValue(r, "preAllocSize"), "65536");
}

TEST(ConfigParser, UnsupportedFeatureKeysWarn) {
  ParseResult r = ParseWithDataDir(
      "secureClientPort=2281\n"
      "admin.serverPort=8080\n"
      "metricsProvider.className=org.example.Prom\n"
      "ssl.keyStore.location=/ks\n"
      "localSessionsEnabled=true\n");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.warnings.size(), 5u);
  EXPECT_TRUE(AnyWarningContains(
      r, "line 3: ZooKeeper key 'secureClientPort' is not supported by Caucus yet (ignored)"));
  EXPECT_TRUE(AnyWarningContains(r, "'admin.serverPort' is not supported"));
}

TEST(ConfigParser, EnsembleServers) {
  ParseResult r = ParseWithDataDir(
      "server.2=zk2:2889:3889;2182\n"
      "server.1=zk1:2888:3888:participant;127.0.0.1:2181\n"
      "server.3=[::1]:2890:3890:observer\n");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_TRUE(r.warnings.empty()) << r.warnings.front();
  ASSERT_EQ(r.config.servers.size(), 3u);
  EXPECT_TRUE(r.config.IsEnsemble());
  const auto& s1 = r.config.servers[0];
  EXPECT_EQ(s1.id, 1);
  EXPECT_EQ(s1.host, "zk1");
  EXPECT_EQ(s1.quorum_port, 2888);
  EXPECT_EQ(s1.election_port, 3888);
  EXPECT_FALSE(s1.observer);
  EXPECT_EQ(s1.client_address, "127.0.0.1");
  EXPECT_EQ(s1.client_port, 2181);
  EXPECT_EQ(r.config.servers[1].client_port, 2182);
  EXPECT_EQ(r.config.servers[2].host, "::1");
  EXPECT_TRUE(r.config.servers[2].observer);
  EXPECT_EQ(RawValue(r, "server.1"), "zk1:2888:3888:participant;127.0.0.1:2181");
}

TEST(ConfigParser, SingleServerLineIsStandaloneUnlessDisabled) {
  ParseResult r = ParseWithDataDir("server.1=zk1:2888:3888;2181\n");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_FALSE(r.config.IsEnsemble());
  r = ParseWithDataDir("server.1=zk1:2888:3888;2181\nstandaloneEnabled=false\n");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_TRUE(r.config.IsEnsemble());
}

TEST(ConfigParser, BadServerLinesAreErrors) {
  for (const char* line : {"server.1=zk1:2888\n", "server.1=zk1:x:3888\n",
                           "server.1=zk1:2888:3888:leader\n", "server.0=zk1:2888:3888\n",
                           "server.x=zk1:2888:3888\n", "server.1=zk1:2888:70000\n",
                           "server.1=zk1:2888:3888;a:b:c\n"}) {
    ParseResult r = ParseWithDataDir(line);
    EXPECT_FALSE(r.ok) << line;
    EXPECT_NE(r.error.find("server."), std::string::npos) << r.error;
  }
}

TEST(ConfigParser, MissingDataDirIsError) {
  ParseResult r = ParseConfigText("clientPort=2181\n", "/etc/zoo.cfg");
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, "/etc/zoo.cfg: missing required key 'dataDir'");

  r = Parse("");
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, "missing required key 'dataDir'");
}

TEST(ConfigParser, MissingClientPortDefaultsWithWarning) {
  ParseResult r = ParseConfigText("dataDir=/d\n", "zoo.cfg");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.config.client_port, 2181);
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_EQ(r.warnings[0], "zoo.cfg: key 'clientPort' is not set; using 2181");
}

TEST(ConfigParser, ClientPortZeroAndMaxAreAccepted) {
  ParseResult r = Parse("dataDir=/d\nclientPort=0\n");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.config.client_port, 0);
  r = Parse("dataDir=/d\nclientPort=+65535\n");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.config.client_port, 65535);
}

struct BadValueCase {
  const char* key;
  const char* value;
  const char* expected;
};

TEST(ConfigParser, InvalidValueErrorsNameKeyAndValue) {
  const BadValueCase cases[] = {
      {"tickTime", "abc", "an integer"},
      {"tickTime", "0", "a positive integer"},
      {"tickTime", "-5", "a positive integer"},
      {"tickTime", "2000ms", "an integer"},
      {"tickTime", "1 000", "an integer"},
      {"tickTime", "99999999999", "a positive integer"},
      {"tickTime", "99999999999999999999999", "an integer"},
      {"dataDir", "", "a directory path"},
      {"clientPort", "-1", "a port number between 0 and 65535"},
      {"clientPort", "65536", "a port number between 0 and 65535"},
      {"clientPort", "21x", "an integer"},
      {"clientPortAddress", "", "a host name or IP address"},
      {"minSessionTimeout", "abc", "an integer"},
      {"minSessionTimeout", "-2", "a non-negative integer, or -1 for the default"},
      {"maxSessionTimeout", "1.5", "an integer"},
      {"maxClientCnxns", "-1", "a non-negative integer"},
      {"jute.maxbuffer", "0", "a positive integer"},
      {"jute.maxbuffer", "-1", "a positive integer"},
      {"jute.maxbuffer", "1M", "an integer"},
      {"initLimit", "0", "a positive integer"},
      {"syncLimit", "x", "an integer"},
      {"globalOutstandingLimit", "0", "a positive integer"},
      {"extendedTypesEnabled", "yes", "'true' or 'false'"},
      {"zookeeper.extendedTypesEnabled", "1", "'true' or 'false'"},
      {"reconfigEnabled", "1", "'true' or 'false'"},
      {"standaloneEnabled", "maybe", "'true' or 'false'"},
      {"znode.container.checkIntervalMs", "0", "a positive integer"},
      {"znode.container.maxPerMinute", "0", "a positive integer"},
      {"znode.container.maxNeverUsedIntervalMs", "-1", "a non-negative integer"},
      {"autopurge.snapRetainCount", "three", "an integer"},
      {"autopurge.purgeInterval", "1h", "an integer"},
      {"snapCount", "lots", "an integer"},
      {"forceSync", "false", "'yes' or 'no'"},
      {"zookeeper.forceSync", "true", "'yes' or 'no'"},
      {"readConsistency", "eventual", "'local', 'quorum' or 'leader'"},
      {"logLevel", "trace", "'debug', 'info', 'warn' or 'error'"},
  };
  for (const BadValueCase& c : cases) {
    std::string text = "dataDir=/d\n" + std::string(c.key) + "=" + c.value + "\n";
    ParseResult r = ParseConfigText(text, "/etc/zoo.cfg");
    EXPECT_FALSE(r.ok) << c.key << "=" << c.value;
    EXPECT_EQ(r.error, "/etc/zoo.cfg:2: invalid value '" + std::string(c.value) + "' for key '" +
                           c.key + "': expected " + c.expected);
  }
}

TEST(ConfigParser, ErrorMessageWithoutSourcePath) {
  ParseResult r = Parse("dataDir=/d\n\n# c\ntickTime=abc\n");
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, "line 4: invalid value 'abc' for key 'tickTime': expected an integer");
}

TEST(ConfigParser, ValuesAreCaseInsensitiveWhereZooKeeperIs) {
  ParseResult r = ParseWithDataDir(
      "extendedTypesEnabled=TRUE\nreconfigEnabled=False\nforceSync=NO\n"
      "readConsistency=Leader\nlogLevel=WARN\n");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_TRUE(r.config.extended_types_enabled);
  EXPECT_FALSE(r.config.reconfig_enabled);
  EXPECT_FALSE(r.config.force_sync);
  EXPECT_EQ(r.config.read_consistency, "leader");
  EXPECT_EQ(r.config.log_level, "warn");
}

TEST(ConfigParser, KeysAreCaseSensitive) {
  ParseResult r = ParseWithDataDir("ticktime=10\n");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.config.tick_time_ms, 2000);
  EXPECT_TRUE(AnyWarningContains(r, "unknown key 'ticktime' (ignored)"));
}

TEST(ConfigParser, ZooKeeperClampsAreWarnings) {
  ParseResult r = ParseWithDataDir(
      "autopurge.snapRetainCount=1\nsnapCount=1\nautopurge.purgeInterval=-4\n");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.config.autopurge_snap_retain_count, 3);
  EXPECT_EQ(r.config.snap_count, 2);
  EXPECT_EQ(r.config.autopurge_purge_interval_h, 0);
  EXPECT_TRUE(AnyWarningContains(r, "line 3: 'autopurge.snapRetainCount' must be at least 3"));
  EXPECT_TRUE(AnyWarningContains(r, "line 4: 'snapCount' must be at least 2"));
}

TEST(ConfigParser, MalformedSuperDigestWarns) {
  ParseResult r = ParseWithDataDir("DigestAuthenticationProvider.superDigest=nocolon\n");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.config.super_digest, "nocolon");
  EXPECT_TRUE(AnyWarningContains(r, "is not of the form 'super:<base64 SHA-1 digest>'"));
}

// Sets or unsets an environment variable for the lifetime of the object.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = getenv(name)) old_ = old;
    if (value == nullptr) {
      unsetenv(name);
    } else {
      setenv(name, value, 1);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(ConfigParser, DefaultConfigServesLoopback) {
  ServerConfig c = DefaultConfig();
  EXPECT_EQ(c.client_port, 2181);
  EXPECT_EQ(c.client_port_address, "127.0.0.1");
  EXPECT_EQ(c.source_path, "");
  EXPECT_TRUE(c.raw.empty());
  EXPECT_EQ(c.EffectiveMinSessionTimeoutMs(), 4000);
}

TEST(ConfigParser, DefaultConfigDataDirFromEnvironment) {
  {
    ScopedEnv data("CAUCUS_DATA_DIR", "/srv/caucus");
    ScopedEnv home("HOME", "/home/op");
    EXPECT_EQ(DefaultConfig().data_dir, "/srv/caucus");
  }
  {
    ScopedEnv data("CAUCUS_DATA_DIR", "");
    ScopedEnv home("HOME", "/home/op");
    EXPECT_EQ(DefaultConfig().data_dir, "/home/op/.local/share/caucus");
  }
  {
    ScopedEnv data("CAUCUS_DATA_DIR", nullptr);
    ScopedEnv home("HOME", nullptr);
    EXPECT_EQ(DefaultConfig().data_dir, "/var/lib/caucus");
  }
}

TEST(ConfigParser, LoadConfigFileReadsFile) {
  std::string path = ::testing::TempDir() + "caucus_config_parser_test_zoo.cfg";
  std::FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  std::fputs(kDebianZooCfg, f);
  std::fclose(f);
  ParseResult r = LoadConfigFile(path);
  std::remove(path.c_str());
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.config.source_path, path);
  EXPECT_EQ(r.config.data_dir, "/tmp/zookeeper");
}

TEST(ConfigParser, LoadConfigFileMissingFileIsError) {
  ParseResult r = LoadConfigFile("/nonexistent/caucus/zoo.cfg");
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error,
            "cannot open config file '/nonexistent/caucus/zoo.cfg': No such file or directory");
}

TEST(ConfigParser, LoadConfigFileDirectoryIsError) {
  ParseResult r = LoadConfigFile("/");
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("config file '/'"), std::string::npos) << r.error;
}

}  // namespace
}  // namespace caucus::config
