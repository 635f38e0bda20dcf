"""The stock npm client node-zookeeper-client (node_client/compat.js).

node_client/package.json + package-lock.json pin node-zookeeper-client 1.1.3;
node_modules is not committed: if it is missing (or holds another version) it
is installed with ``npm ci`` under a file lock.  A missing ``node``/``npm`` or
a failed install is a test failure, never a skip.
"""

import fcntl
import json
import os
import shutil
import subprocess

import pytest

from conftest import HERE

NODE_DIR = os.path.join(HERE, "node_client")
SCRIPT = os.path.join(NODE_DIR, "compat.js")


def _locked_version():
    with open(os.path.join(NODE_DIR, "package-lock.json")) as f:
        lock = json.load(f)
    return lock["packages"]["node_modules/node-zookeeper-client"]["version"]


def _installed_version():
    try:
        with open(os.path.join(NODE_DIR, "node_modules",
                               "node-zookeeper-client", "package.json")) as f:
            return json.load(f)["version"]
    except (OSError, ValueError, KeyError):
        return None


@pytest.fixture(scope="session")
def node_client():
    node = shutil.which("node")
    npm = shutil.which("npm")
    if not node or not npm:
        pytest.fail("node/npm not found on PATH (needed for "
                    "node-zookeeper-client; install Node.js and npm)",
                    pytrace=False)
    want = _locked_version()
    # two pytest runs (caucus + zookeeper targets) may race on the install
    with open(os.path.join(NODE_DIR, ".install.lock"), "w") as lockf:
        fcntl.flock(lockf, fcntl.LOCK_EX)
        if _installed_version() != want:
            p = subprocess.run([npm, "ci", "--no-audit", "--no-fund",
                                "--loglevel=error"],
                               cwd=NODE_DIR, capture_output=True, text=True,
                               timeout=300)
            if p.returncode != 0 or _installed_version() != want:
                pytest.fail("npm ci in %s failed (rc=%s):\n%s\n%s"
                            % (NODE_DIR, p.returncode, p.stdout, p.stderr),
                            pytrace=False)
    return node


def test_node_zookeeper_client(server, node_client):
    p = subprocess.run([node_client, SCRIPT, server.hosts],
                       capture_output=True, text=True, timeout=50,
                       cwd=NODE_DIR)
    out = p.stdout + ("\n--- stderr ---\n" + p.stderr if p.stderr else "")
    fails = [l for l in p.stdout.splitlines() if l.startswith("FAIL")]
    assert p.returncode == 0 and not fails, \
        "compat.js exited %d; failed checks:\n%s\n\nfull output:\n%s" % (
            p.returncode, "\n".join(fails), out)
    passes = [l for l in p.stdout.splitlines() if l.startswith("PASS")]
    assert len(passes) >= 80, "only %d checks ran:\n%s" % (len(passes), out)
    assert " 0 failed" in p.stdout
