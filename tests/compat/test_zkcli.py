"""The stock Java CLI (zkCli.sh) against the server."""

import os
import re
import subprocess

import pytest

ZKCLI = "/usr/share/zookeeper/bin/zkCli.sh"


def run_cli(server, args=(), stdin=None, timeout=60):
    if not os.path.exists(ZKCLI):
        pytest.fail("zkCli.sh not found at %s (apt-get install zookeeper)"
                    % ZKCLI)
    env = dict(os.environ, CLIENT_JVMFLAGS="-Xmx256m")
    p = subprocess.run([ZKCLI, "-server", server.hosts] + list(args),
                       input=stdin, capture_output=True, text=True,
                       timeout=timeout, env=env)
    return p.returncode, p.stdout + p.stderr


def test_zkcli_session(server, zk, base):
    script = "\n".join([
        "create %s/x data1" % base,
        "get %s/x" % base,
        "ls %s" % base,
        "stat %s/x" % base,
        "set %s/x data2" % base,
        "get %s/x" % base,
        "create -e %s/e eph" % base,
        "create -s %s/s- seq" % base,
        "create %s/x again" % base,
        "get %s/missing" % base,
        "delete %s/x" % base,
        "ls %s" % base,
        "quit",
    ]) + "\n"
    rc, out = run_cli(server, stdin=script)
    lines = [l.strip() for l in out.splitlines()]
    assert "Created %s/x" % base in lines
    assert "data1" in lines and "data2" in lines
    assert "[x]" in lines
    assert "Created %s/e" % base in lines
    assert "Created %s/s-0000000002" % base in lines
    assert "Node already exists: %s/x" % base in lines
    assert "Node does not exist: %s/missing" % base in lines
    assert "[e, s-0000000002]" in lines
    stat = dict(re.findall(r"^(\w+) = (.*)$", out, re.M))
    assert stat["dataVersion"] == "0"
    assert stat["cversion"] == "0"
    assert stat["aclVersion"] == "0"
    assert stat["ephemeralOwner"] == "0x0"
    assert stat["dataLength"] == "5"
    assert stat["numChildren"] == "0"
    assert stat["cZxid"] == stat["mZxid"] == stat["pZxid"]
    assert re.fullmatch(r"0x[0-9a-f]+", stat["cZxid"])
    # the CLI's work is visible to another client; its ephemeral went away
    # with its session
    assert zk.exists(base + "/x") is None
    assert zk.get(base + "/s-0000000002")[0] == b"seq"
    assert zk.exists(base + "/e") is None


def test_zkcli_command_line_mode(server, zk, base):
    zk.create(base + "/y", b"hello-cli")
    rc, out = run_cli(server, ["get", base + "/y"])
    assert rc == 0
    assert "hello-cli" in out.splitlines()
    rc, out = run_cli(server, ["ls", "/zookeeper"])
    assert "[config, quota]" in out.splitlines()
