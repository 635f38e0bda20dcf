"""Four-letter words over a raw socket (shape only; values differ)."""

import re

import pytest

from jute_client import four_letter
from conftest import ENSEMBLE

# The shared server is a follower when the suite runs against an ensemble.
EXPECTED_MODE = "follower" if ENSEMBLE else "standalone"


@pytest.fixture
def fl(server):
    return lambda cmd: four_letter(server.host, server.port, cmd)


def kv_lines(text, sep):
    out = {}
    for line in text.splitlines():
        if sep in line:
            k, v = line.split(sep, 1)
            out[k.strip()] = v.strip()
    return out


def test_ruok(fl):
    assert fl("ruok") == "imok"


def test_isro(fl):
    assert fl("isro") == "rw"


def test_srvr(fl):
    out = fl("srvr")
    lines = out.splitlines()
    assert lines[0].startswith("Zookeeper version: ")
    kv = kv_lines(out, ": ")
    for k in ("Latency min/avg/max", "Received", "Sent", "Connections",
              "Outstanding", "Zxid", "Mode", "Node count"):
        assert k in kv, k
    assert kv["Mode"] == EXPECTED_MODE
    assert re.fullmatch(r"0x[0-9a-f]+", kv["Zxid"])
    assert re.fullmatch(r"\d+/[\d.]+/\d+", kv["Latency min/avg/max"])
    assert int(kv["Node count"]) >= 4


def test_stat(fl, zk):
    out = fl("stat")
    assert out.startswith("Zookeeper version: ")
    assert "\nClients:\n" in out
    assert re.search(r"^ /127\.0\.0\.1:\d+\[\d\]\(queued=\d+,recved=\d+,"
                     r"sent=\d+", out, re.M)
    assert "\nMode: %s\n" % EXPECTED_MODE in out
    assert re.search(r"^Node count: \d+$", out, re.M)


def test_mntr(fl):
    out = fl("mntr")
    kv = {}
    for line in out.strip().splitlines():
        parts = line.split("\t")
        assert len(parts) == 2, repr(line)
        kv[parts[0]] = parts[1]
    for k in ("zk_version", "zk_server_state", "zk_znode_count",
              "zk_ephemerals_count", "zk_num_alive_connections",
              "zk_avg_latency", "zk_max_latency", "zk_min_latency",
              "zk_packets_received", "zk_packets_sent",
              "zk_outstanding_requests", "zk_watch_count",
              "zk_approximate_data_size", "zk_open_file_descriptor_count",
              "zk_max_file_descriptor_count"):
        assert k in kv, k
    assert kv["zk_server_state"] == EXPECTED_MODE
    assert int(kv["zk_znode_count"]) >= 4
    assert int(kv["zk_num_alive_connections"]) >= 1
    assert all(k.startswith("zk_") for k in kv)


def test_conf(fl, server):
    kv = kv_lines(fl("conf"), "=")
    assert kv["clientPort"] == str(server.port)
    assert kv["tickTime"] == "2000"
    assert kv["minSessionTimeout"] == "1000"
    assert kv["maxSessionTimeout"] == "40000"
    for k in ("dataDir", "dataLogDir", "maxClientCnxns", "serverId"):
        assert k in kv, k


def test_cons(fl, zk):
    out = fl("cons")
    assert re.search(r"^ /127\.0\.0\.1:\d+\[\d\]\(queued=\d+,recved=\d+,"
                     r"sent=\d+", out, re.M)
    # the established kazoo session shows its sid
    assert "sid=0x%x" % zk.client_id[0] in out


def test_envi(fl):
    out = fl("envi")
    assert out.splitlines()[0] == "Environment:"
    kv = kv_lines(out, "=")
    for k in ("zookeeper.version", "host.name", "os.name", "user.name"):
        assert k in kv, k


def test_dirs(fl):
    kv = kv_lines(fl("dirs"), ": ")
    assert set(kv) >= {"datadir_size", "logdir_size"}
    assert int(kv["datadir_size"]) >= 0


def test_wchs_counts_watches(fl, zk, base):
    zk.get(base, watch=lambda e: None)
    out = fl("wchs")
    m = re.search(r"^(\d+) connections watching (\d+) paths$", out, re.M)
    assert m and int(m.group(1)) >= 1 and int(m.group(2)) >= 1
    m = re.search(r"^Total watches:(\d+)$", out, re.M)
    assert m and int(m.group(1)) >= 1


def test_wchc_wchp(fl, zk, base):
    zk.get(base, watch=lambda e: None)
    assert base in fl("wchp")
    assert "0x%x" % zk.client_id[0] in fl("wchc")


def test_srst_crst(fl):
    assert fl("srst").strip() == "Server stats reset."
    assert fl("crst").strip() == "Connection stats reset."


def test_unknown_word_closes_without_output(fl):
    assert fl("xyzw") == ""
