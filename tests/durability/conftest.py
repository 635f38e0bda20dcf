"""Fixtures for the Caucus durability suite (tests/durability); the process
and file helpers live in caucus_proc.py.

Missing dependencies (caucusd binary, kazoo, pytest-timeout, the compat
suite's jute_client) are hard failures, never skips."""

import os
import shutil
import sys
import tempfile

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import caucus_proc  # noqa: E402
from caucus_proc import Caucus, make_kazoo  # noqa: E402

try:
    import pytest_timeout  # noqa: F401
except ImportError:  # pragma: no cover
    raise RuntimeError("pytest-timeout is required (Debian: "
                       "python3-pytest-timeout): a hung server must not hang CI")


def pytest_sessionfinish(session, exitstatus):
    for s in list(caucus_proc._live):
        try:
            s.kill()
        except Exception:
            pass


@pytest.fixture
def workdir():
    d = tempfile.mkdtemp(prefix="caucus-durability-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def caucus_factory(workdir):
    """caucus_factory(**Caucus kwargs) -> Caucus (not started)."""
    made = []

    def make(**kw):
        n = len(made)
        base = os.path.join(workdir, "srv%d" % n)
        os.makedirs(base, exist_ok=True)
        s = Caucus(base, **kw)
        made.append(s)
        return s
    yield make
    for s in made:
        try:
            s.kill()
        except Exception:
            pass


@pytest.fixture
def kazoo_factory():
    clients = []

    def make(hosts, **kw):
        c = make_kazoo(hosts, **kw)
        clients.append(c)
        return c
    yield make
    for c in clients:
        try:
            c.stop()
        except Exception:
            pass
        try:
            c.close()
        except Exception:
            pass


