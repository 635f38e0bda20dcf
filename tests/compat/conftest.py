"""Fixtures for the Caucus <-> Apache ZooKeeper 3.8 compatibility suite.

Target selection (env ``CAUCUS_COMPAT_TARGET``):

* ``caucus`` (default): runs ``$CAUCUSD <zoo.cfg>``; CAUCUSD defaults to
  ``build/release/server/caucusd`` relative to the repo root.  A missing
  binary is a hard failure, never a skip.
* ``zookeeper``: runs the Debian ZooKeeper 3.8 JVM directly
  (``java -cp /usr/share/java/zookeeper.jar ... QuorumPeerMain <zoo.cfg>``).

Both targets get the SAME zoo.cfg (see ``write_zoo_cfg``):

  tickTime=2000, minSessionTimeout=1000, maxSessionTimeout=40000, dataDir,
  clientPort, clientPortAddress=127.0.0.1, 4lw.commands.whitelist=*,
  extendedTypesEnabled=true, DigestAuthenticationProvider.superDigest=...,
  admin.enableServer=false, znode.container.checkIntervalMs=1000,
  znode.container.maxNeverUsedIntervalMs=0

How real ZooKeeper reads them: unknown zoo.cfg keys become Java system
properties ``zookeeper.<key>``; that works for extendedTypesEnabled,
DigestAuthenticationProvider.superDigest and admin.enableServer.  The
container manager however reads the *unprefixed* system properties
``znode.container.checkIntervalMs`` / ``znode.container.maxNeverUsedIntervalMs``
so for the JVM we ALSO pass them (and -Dzookeeper.extendedTypesEnabled=true,
for belt and braces) as -D flags.  Caucus is expected to read every key from
zoo.cfg.
"""

import base64
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)

from jute_client import JuteClient, four_letter  # noqa: E402

TARGET = os.environ.get("CAUCUS_COMPAT_TARGET", "caucus").strip().lower()
# CAUCUS_COMPAT_ENSEMBLE=1: the shared server is a follower of a 3-member ensemble, so every
# request goes through forwarding to the leader (destructive tests keep their own standalone
# servers).
ENSEMBLE = os.environ.get("CAUCUS_COMPAT_ENSEMBLE", "") not in ("", "0")
SUPER_USER = "super"
SUPER_PASSWORD = "test"
CONTAINER_CHECK_INTERVAL_MS = 1000
MIN_SESSION_TIMEOUT_MS = 1000
MAX_SESSION_TIMEOUT_MS = 40000
DEFAULT_TEST_TIMEOUT = 60  # seconds, per test

ZK_JARS = ["/usr/share/java/zookeeper.jar",      # its manifest Class-Path
           "/usr/share/java/slf4j-simple.jar"]    # pulls in all other deps


def zk_digest(user, password):
    """ZooKeeper's DigestAuthenticationProvider.generateDigest."""
    raw = ("%s:%s" % (user, password)).encode("utf-8")
    return "%s:%s" % (user, base64.b64encode(hashlib.sha1(raw).digest())
                      .decode("ascii"))


def free_port():
    return free_ports(1)[0]


def free_ports(n):
    """n distinct free ports: every socket stays bound until all are known, so the kernel
    cannot hand the same port out twice (it did: two members got colliding ports)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


# ------------------------------------------------------------ timeouts
# pytest-timeout (Debian package python3-pytest-timeout) is used if present
# (pytest.ini sets timeout=60).  Otherwise a SIGALRM fallback is installed.
try:
    import pytest_timeout  # noqa: F401
    HAVE_PYTEST_TIMEOUT = True
except ImportError:
    HAVE_PYTEST_TIMEOUT = False


def pytest_addoption(parser):
    if not HAVE_PYTEST_TIMEOUT:
        parser.addini("timeout", "per-test timeout (fallback)",
                      default=str(DEFAULT_TEST_TIMEOUT))


if not HAVE_PYTEST_TIMEOUT:
    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(item):
        secs = int(float(item.config.getini("timeout") or
                         DEFAULT_TEST_TIMEOUT))

        def on_alarm(signum, frame):
            raise TimeoutError("test exceeded %d s" % secs)
        old = signal.signal(signal.SIGALRM, on_alarm)
        signal.alarm(secs)
        try:
            yield
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, old)


# ------------------------------------------------------------ server
def write_zoo_cfg(path, data_dir, port, extra=None):
    cfg = {
        "tickTime": "2000",
        "minSessionTimeout": str(MIN_SESSION_TIMEOUT_MS),
        "maxSessionTimeout": str(MAX_SESSION_TIMEOUT_MS),
        "initLimit": "10",
        "syncLimit": "5",
        "dataDir": data_dir,
        "clientPort": str(port),
        "clientPortAddress": "127.0.0.1",
        "4lw.commands.whitelist": "*",
        "extendedTypesEnabled": "true",
        "DigestAuthenticationProvider.superDigest":
            zk_digest(SUPER_USER, SUPER_PASSWORD),
        "admin.enableServer": "false",
        "znode.container.checkIntervalMs": str(CONTAINER_CHECK_INTERVAL_MS),
        "znode.container.maxNeverUsedIntervalMs": "0",
    }
    if extra:
        cfg.update(extra)
    with open(path, "w") as f:
        for k, v in cfg.items():
            f.write("%s=%s\n" % (k, v))
    return cfg


class Server:
    """A server process (caucusd or ZooKeeper) on 127.0.0.1:<port>."""

    def __init__(self, target=TARGET, base_dir=None, port=None, extra=None):
        self.target = target
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.base_dir = base_dir or tempfile.mkdtemp(prefix="caucus-compat-")
        self.data_dir = os.path.join(self.base_dir, "data")
        os.makedirs(self.data_dir, exist_ok=True)
        self.cfg_path = os.path.join(self.base_dir, "zoo.cfg")
        self.log_path = os.path.join(self.base_dir, "server.log")
        self.cfg = write_zoo_cfg(self.cfg_path, self.data_dir, self.port,
                                 extra)
        self.proc = None
        self._log = None

    @property
    def hosts(self):
        return "%s:%d" % (self.host, self.port)

    def command(self):
        if self.target == "zookeeper":
            java = shutil.which("java") or "/usr/bin/java"
            return [java, "-Xmx512m",
                    "-Dzookeeper.extendedTypesEnabled=true",
                    "-Dznode.container.checkIntervalMs=%d"
                    % CONTAINER_CHECK_INTERVAL_MS,
                    "-Dznode.container.maxNeverUsedIntervalMs=0",
                    "-Dzookeeper.admin.enableServer=false",
                    "-Dzookeeper.log.dir=%s" % self.base_dir,
                    "-cp", ":".join(ZK_JARS),
                    "org.apache.zookeeper.server.quorum.QuorumPeerMain",
                    self.cfg_path]
        if self.target == "caucus":
            binary = os.environ.get("CAUCUSD", os.path.join(
                REPO_ROOT, "build", "release", "server", "caucusd"))
            if not os.path.isabs(binary):
                binary = os.path.join(REPO_ROOT, binary)
            if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
                pytest.fail("caucusd binary not found/executable at %s "
                            "(set CAUCUSD, or CAUCUS_COMPAT_TARGET=zookeeper)"
                            % binary, pytrace=False)
            return [binary, self.cfg_path]
        pytest.fail("unknown CAUCUS_COMPAT_TARGET=%r (caucus|zookeeper)"
                    % self.target, pytrace=False)

    def start(self, timeout=40.0):
        self.start_process()
        return self.wait_ready(timeout)

    def start_process(self):
        cmd = self.command()
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(cmd, stdout=self._log,
                                     stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL,
                                     cwd=self.base_dir,
                                     start_new_session=True)
        _live_servers.add(self)

    def wait_ready(self, timeout=40.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail("server exited with %s during startup; log:\n%s"
                            % (self.proc.returncode, self.log_tail()),
                            pytrace=False)
            try:
                # ZooKeeper answers ruok before it accepts sessions, so a
                # real session handshake is the readiness criterion
                if four_letter(self.host, self.port, "ruok",
                               timeout=1.0) == "imok":
                    c = JuteClient(self.host, self.port, timeout_ms=5000,
                                   io_timeout=2.0)
                    c.close()
                    return self
            except Exception:
                pass
            time.sleep(0.1)
        self.stop()
        pytest.fail("server did not answer ruok within %.0fs; log:\n%s"
                    % (timeout, self.log_tail()), pytrace=False)

    def log_tail(self, n=4000):
        try:
            with open(self.log_path, "rb") as f:
                return f.read()[-n:].decode("utf-8", "replace")
        except OSError:
            return "<no log>"

    def stop(self, sig=signal.SIGTERM):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(timeout=10)
        self.proc = None
        if self._log:
            self._log.close()
            self._log = None
        _live_servers.discard(self)

    def kill(self):
        self.stop(signal.SIGKILL)

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.base_dir, ignore_errors=True)


_live_servers = set()


def pytest_sessionfinish(session, exitstatus):
    for s in list(_live_servers):
        s.stop(signal.SIGKILL)


@pytest.fixture(scope="session")
def target():
    return TARGET


class EnsembleFollower:
    """Three members sharing the compat settings; behaves as the Server of one follower."""

    def __init__(self, size=3):
        flat = free_ports(3 * size)
        ports = [tuple(flat[3 * i:3 * i + 3]) for i in range(size)]
        lines = {"server.%d" % (i + 1): "127.0.0.1:%d:%d" % (p[1], p[2])
                 for i, p in enumerate(ports)}
        self.members = [Server(port=p[0], extra=lines) for p in ports]
        for i, m in enumerate(self.members):
            with open(os.path.join(m.data_dir, "myid"), "w") as f:
                f.write("%d\n" % (i + 1))
        self.follower = None

    def start(self, timeout=90.0):
        for m in self.members:
            m.start_process()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            modes = [mode_of(m) for m in self.members]
            if modes.count("leader") == 1 and modes.count("follower") == len(modes) - 1:
                self.follower = self.members[modes.index("follower")]
                self.follower.wait_ready()
                return self
            time.sleep(0.2)
        pytest.fail("the ensemble did not form within %.0fs" % timeout, pytrace=False)

    def __getattr__(self, name):  # host, port, hosts, log_tail ... of the follower
        return getattr(self.follower, name)

    def wait_following(self, timeout=60.0):
        """Waits until the follower serves as a follower again (a loaded machine can make an
        ensemble re-elect between tests; ZooKeeper's follower then drops its clients)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if mode_of(self.follower) == "follower":
                return
            time.sleep(0.2)
        pytest.fail("the follower did not serve as a follower within %.0fs; log:\n%s"
                    % (timeout, self.follower.log_tail()), pytrace=False)

    def cleanup(self):
        for m in self.members:
            m.cleanup()


def mode_of(server):
    try:
        out = four_letter(server.host, server.port, "srvr", timeout=1.0)
    except OSError:
        return None  # not listening yet
    for line in out.splitlines():
        if line.startswith("Mode:"):
            return line.split(":", 1)[1].strip()
    return None


@pytest.fixture(scope="session")
def server():
    """Session-scoped server shared by most tests (tests use unique paths)."""
    s = EnsembleFollower() if ENSEMBLE else Server()
    s.start()
    yield s
    s.cleanup()


@pytest.fixture(autouse=True)
def ensemble_following(request):
    """Ensemble runs: each test starts with the shared follower serving as a follower."""
    if ENSEMBLE and "server" in request.fixturenames:
        request.getfixturevalue("server").wait_following()


@pytest.fixture
def server_factory():
    """Start dedicated servers (for restart / destructive tests)."""
    made = []

    def make(**kw):
        s = Server(**kw)
        made.append(s)
        return s.start()
    yield make
    for s in made:
        s.cleanup()


# ------------------------------------------------------------ clients
def make_kazoo(hosts, timeout=10.0, start=True, **kw):
    from kazoo.client import KazooClient
    from kazoo.retry import KazooRetry
    kw.setdefault("connection_retry", KazooRetry(max_tries=3, delay=0.1,
                                                 max_delay=1))
    kw.setdefault("command_retry", None)
    c = KazooClient(hosts=hosts, timeout=timeout, **kw)
    if start:
        c.start(timeout=15)
    return c


@pytest.fixture
def kazoo_factory(server):
    clients = []

    def make(hosts=None, **kw):
        c = make_kazoo(hosts or server.hosts, **kw)
        clients.append(c)
        return c
    yield make
    for c in clients:
        try:
            c.stop()
            c.close()
        except Exception:
            pass


@pytest.fixture
def zk(kazoo_factory):
    return kazoo_factory()


@pytest.fixture
def zk2(kazoo_factory):
    return kazoo_factory()


@pytest.fixture
def jute_factory(server):
    clients = []

    def make(host=None, port=None, **kw):
        c = JuteClient(host or server.host, port or server.port, **kw)
        clients.append(c)
        return c
    yield make
    for c in clients:
        c.close_socket()


@pytest.fixture
def jc(jute_factory):
    return jute_factory()


@pytest.fixture
def base(request, server):
    """A fresh unique persistent base path for the test: /<name>-<hex>."""
    name = request.node.name.replace("[", "_").replace("]", "_")[:40]
    path = "/%s-%s" % (name, uuid.uuid4().hex[:8])
    c = make_kazoo(server.hosts)
    try:
        c.create(path)
    finally:
        c.stop()
        c.close()
    return path


def wait_until(pred, timeout=10.0, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(interval)
    return pred()


class EventCollector:
    """Thread-safe collector for kazoo watch callbacks."""

    def __init__(self):
        self.events = []
        self.cond = threading.Condition()

    def __call__(self, event):
        with self.cond:
            self.events.append(event)
            self.cond.notify_all()

    def wait(self, n=1, timeout=5.0):
        with self.cond:
            self.cond.wait_for(lambda: len(self.events) >= n, timeout)
            return list(self.events)
