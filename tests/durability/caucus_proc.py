"""Process and file helpers for the Caucus durability suite (tests/durability).

Every test runs its own ``caucusd`` (``$CAUCUSD``, default
``build/release/server/caucusd``) on a free 127.0.0.1 port with a private
data directory, restarts it (clean SIGTERM or SIGKILL) as it needs, and
inspects the files under ``<dataDir>/caucus``.  Missing dependencies
(binary, kazoo, the compat suite's ``jute_client``) are hard failures, never
skips.  Servers are always killed by PID in teardown and temporary
directories are removed.
"""

import os
import re
import signal
import socket
import subprocess
import sys
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
COMPAT_DIR = os.path.join(REPO_ROOT, "tests", "compat")
if COMPAT_DIR not in sys.path:
    sys.path.append(COMPAT_DIR)

try:
    from jute_client import JuteClient, four_letter  # noqa: E402,F401
except ImportError as e:  # pragma: no cover - loud failure, not a skip
    raise RuntimeError("tests/compat/jute_client.py is required by the "
                       "durability suite: %s" % e)

try:
    import kazoo  # noqa: F401  (fail loudly at collection)
except ImportError as e:  # pragma: no cover
    raise RuntimeError("kazoo is required (Debian: apt-get install "
                       "python3-kazoo; run with /usr/bin/python3): %s" % e)

MIN_SESSION_TIMEOUT_MS = 1000
MAX_SESSION_TIMEOUT_MS = 60000


def caucusd_binary():
    binary = os.environ.get("CAUCUSD", os.path.join(
        REPO_ROOT, "build", "release", "server", "caucusd"))
    if not os.path.isabs(binary):
        binary = os.path.join(REPO_ROOT, binary)
    if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
        pytest.fail("caucusd binary not found/executable at %s (build it, "
                    "or set CAUCUSD)" % binary, pytrace=False)
    return binary


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_until(pred, timeout=10.0, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(interval)
    return pred()


_live = set()


class Caucus:
    """One caucusd with a persistent data directory, restartable.

    ``base_dir`` holds zoo.cfg and server.log (never on the data disk, so the
    log stays writable in the disk-full test); ``data_dir``/``log_dir`` may
    be put elsewhere (e.g. a tmpfs)."""

    def __init__(self, base_dir, data_dir=None, log_dir=None, snap_count=100000,
                 retain=3, extra=None, port=None):
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.base_dir = base_dir
        self.data_dir = data_dir or os.path.join(base_dir, "data")
        self.log_dir = log_dir
        os.makedirs(self.data_dir, exist_ok=True)
        self.cfg_path = os.path.join(base_dir, "zoo.cfg")
        self.log_path = os.path.join(base_dir, "server.log")
        cfg = {
            "tickTime": "500",
            "minSessionTimeout": str(MIN_SESSION_TIMEOUT_MS),
            "maxSessionTimeout": str(MAX_SESSION_TIMEOUT_MS),
            "dataDir": self.data_dir,
            "clientPort": str(self.port),
            "clientPortAddress": "127.0.0.1",
            "snapCount": str(snap_count),
            "autopurge.snapRetainCount": str(retain),
            "4lw.commands.whitelist": "*",
            "admin.enableServer": "false",
        }
        if log_dir:
            os.makedirs(log_dir, exist_ok=True)
            cfg["dataLogDir"] = log_dir
        if extra:
            cfg.update(extra)
        with open(self.cfg_path, "w") as f:
            for k, v in cfg.items():
                f.write("%s=%s\n" % (k, v))
        self.proc = None
        self._logf = None
        self.starts = 0

    # ---------------------------------------------------------------- files
    @property
    def snap_dir(self):
        return os.path.join(self.data_dir, "caucus")

    @property
    def db_path(self):
        return os.path.join(self.log_dir or self.data_dir, "caucus", "log.db")

    def snapshots(self):
        """Snapshot files, newest (highest zxid) first: [(zxid, path)]."""
        out = []
        if os.path.isdir(self.snap_dir):
            for name in os.listdir(self.snap_dir):
                m = re.fullmatch(r"snapshot\.([0-9a-f]{16})", name)
                if m:
                    out.append((int(m.group(1), 16),
                                os.path.join(self.snap_dir, name)))
        return sorted(out, reverse=True)

    @property
    def hosts(self):
        return "%s:%d" % (self.host, self.port)

    def log_text(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def log_tail(self, n=3000):
        return self.log_text()[-n:]

    def log_size(self):
        try:
            return os.path.getsize(self.log_path)
        except OSError:
            return 0

    def log_since(self, offset):
        return self.log_text().encode("utf-8", "replace")[offset:].decode(
            "utf-8", "replace")

    # ------------------------------------------------------------- process
    def _spawn(self):
        if self.proc is not None and self.proc.poll() is None:
            raise AssertionError("server already running (pid %d)"
                                 % self.proc.pid)
        self._logf = open(self.log_path, "ab")
        self._logf.write(("\n===== start #%d =====\n" % (self.starts + 1))
                         .encode())
        self._logf.flush()
        self.proc = subprocess.Popen([caucusd_binary(), self.cfg_path],
                                     stdout=self._logf,
                                     stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL,
                                     cwd=self.base_dir,
                                     start_new_session=True)
        self.starts += 1
        _live.add(self)

    def start(self, timeout=30.0, session_check=True):
        """Start and wait until `ruok` answers and (unless session_check is
        false, e.g. on a full disk) a new session can be created."""
        self._spawn()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            rc = self.proc.poll()
            if rc is not None:
                raise AssertionError(
                    "caucusd exited with %s during start-up; log tail:\n%s"
                    % (rc, self.log_tail()))
            try:
                if four_letter(self.host, self.port, "ruok",
                               timeout=1.0) == "imok":
                    if not session_check:
                        return self
                    c = JuteClient(self.host, self.port, timeout_ms=5000,
                                   io_timeout=3.0)
                    c.close()
                    return self
            except Exception:
                pass
            time.sleep(0.05)
        self.kill()
        raise AssertionError("caucusd did not become ready within %.0fs; "
                             "log tail:\n%s" % (timeout, self.log_tail()))

    def start_expect_exit(self, timeout=30.0):
        """Start and expect the process to exit by itself (refusing to
        start); returns (exit code, log output of this start)."""
        off = self.log_size()
        self._spawn()
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            log = self.log_since(off)
            self.kill()
            raise AssertionError("caucusd kept running although it was "
                                 "expected to refuse to start; log:\n%s" % log)
        self._close_log()
        self.proc = None
        _live.discard(self)
        return rc, self.log_since(off)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def _close_log(self):
        if self._logf:
            self._logf.close()
            self._logf = None

    def stop(self, sig=signal.SIGTERM, timeout=15.0):
        """Stop by PID (process group of the server only); returns rc."""
        rc = None
        if self.proc is not None:
            if self.proc.poll() is None:
                try:
                    os.killpg(self.proc.pid, sig)
                except ProcessLookupError:
                    pass
                try:
                    self.proc.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                    self.proc.wait(timeout=10)
                    raise AssertionError("caucusd did not exit within %.0fs "
                                         "after signal %d" % (timeout, sig))
            rc = self.proc.returncode
            self.proc = None
        self._close_log()
        _live.discard(self)
        return rc

    def kill(self):
        return self.stop(signal.SIGKILL)

    # -------------------------------------------------------------- 4lw
    def four(self, word, timeout=5.0):
        return four_letter(self.host, self.port, word, timeout=timeout)

    def mntr(self):
        out = {}
        for line in self.four("mntr").splitlines():
            parts = line.split("\t", 1)
            if len(parts) == 2:
                out[parts[0].strip()] = parts[1].strip()
        return out

    def srvr(self):
        out = {}
        for line in self.four("srvr").splitlines():
            if ":" in line:
                k, v = line.split(":", 1)
                out[k.strip()] = v.strip()
        return out

    def client(self, timeout_ms=10000, **kw):
        kw.setdefault("io_timeout", 10.0)
        return JuteClient(self.host, self.port, timeout_ms=timeout_ms, **kw)


def make_kazoo(hosts, timeout=10.0, start=True, **kw):
    from kazoo.client import KazooClient
    from kazoo.retry import KazooRetry
    kw.setdefault("connection_retry", KazooRetry(max_tries=-1, delay=0.1,
                                                 max_delay=0.5))
    kw.setdefault("command_retry", None)
    c = KazooClient(hosts=hosts, timeout=timeout, **kw)
    if start:
        c.start(timeout=15)
    return c


def flip_byte(path, offset, mask=0x01):
    with open(path, "r+b") as f:
        f.seek(offset)
        b = f.read(1)
        assert len(b) == 1, "offset %d beyond end of %s" % (offset, path)
        f.seek(offset)
        f.write(bytes([b[0] ^ mask]))
        f.flush()
        os.fsync(f.fileno())
