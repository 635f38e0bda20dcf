"""Run the stock-C-client program (c_client/c_client_test.c)."""

import os
import subprocess

import pytest

from conftest import REPO_ROOT


def c_client_binary():
    p = os.environ.get("CAUCUS_C_CLIENT_TEST", os.path.join(
        "build", "release", "tests", "compat", "c_client", "c_client_test"))
    if not os.path.isabs(p):
        p = os.path.join(REPO_ROOT, p)
    return p


def test_c_client(server):
    binary = c_client_binary()
    if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
        pytest.fail("c_client_test binary not found at %s (build target "
                    "c_client_test or set CAUCUS_C_CLIENT_TEST)" % binary,
                    pytrace=False)
    p = subprocess.run([binary, server.hosts], capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 0, "c_client_test failed:\n%s\n%s" % (
        p.stdout, p.stderr)
    assert "all checks passed" in p.stdout
