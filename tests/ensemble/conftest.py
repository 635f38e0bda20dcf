"""A 3-member ensemble on loopback for the ensemble tests.

CAUCUS_ENSEMBLE_TARGET=caucus (default) runs caucusd ($CAUCUSD or build/release/server/caucusd);
=zookeeper runs Debian's Apache ZooKeeper 3.8 with the same zoo.cfg and myid files, so that
every test asserts ZooKeeper's behaviour, not just ours.
"""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest
from kazoo.client import KazooClient
from kazoo.exceptions import KazooException
from kazoo.handlers.threading import KazooTimeoutError

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TARGET = os.environ.get("CAUCUS_ENSEMBLE_TARGET", "caucus")
ZK_JARS = ["/usr/share/java/zookeeper.jar", "/usr/share/java/slf4j-simple.jar"]
TICK_MS = 200  # syncLimit=5 ticks: a dead leader is noticed within a second


def free_ports(n):
    socks, ports = [], []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports


def four_letter(port, word, timeout=2.0, host="127.0.0.1"):
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.sendall(word.encode())
            out = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    return out.decode(errors="replace")
                out += chunk
    except OSError:
        return ""


class Member:
    def __init__(self, sid, base, ports, server_lines, observer=False, host="127.0.0.1",
                 extra=None):
        self.sid = sid
        self.host = host  # the client port's address (clientPortAddress)
        self.client_port = ports[0]
        self.dir = os.path.join(base, "m%d" % sid)
        os.makedirs(self.dir, exist_ok=True)
        with open(os.path.join(self.dir, "myid"), "w") as f:
            f.write("%d\n" % sid)
        self.cfg = os.path.join(self.dir, "zoo.cfg")
        with open(self.cfg, "w") as f:
            f.write("tickTime=%d\ninitLimit=10\nsyncLimit=5\n" % TICK_MS)
            f.write("dataDir=%s\nclientPort=%d\n" % (self.dir, self.client_port))
            f.write("clientPortAddress=%s\n4lw.commands.whitelist=*\n" % host)
            f.write("admin.enableServer=false\n")
            # ZooKeeper's default: a learner more than 500 txns behind is sent a snapshot.
            f.write("commitLogCount=500\n")
            if TARGET == "zookeeper":
                # ZooKeeper can also DIFF from its on-disk txn log (up to 0.33 x the snapshot
                # size); Caucus cannot, so turn that off to compare like with like.
                f.write("snapshotSizeFactor=-1\n")
            if observer:
                f.write("peerType=observer\n")
            for k, v in (extra or {}).items():
                f.write("%s=%s\n" % (k, v))
            f.write(server_lines)
        self.proc = None

    def command(self):
        if TARGET == "zookeeper":
            java = shutil.which("java") or "/usr/bin/java"
            return [java, "-Xmx256m", "-Dzookeeper.admin.enableServer=false",
                    "-Dzookeeper.log.dir=%s" % self.dir, "-cp", ":".join(ZK_JARS),
                    "org.apache.zookeeper.server.quorum.QuorumPeerMain", self.cfg]
        binary = os.environ.get("CAUCUSD", os.path.join(
            REPO_ROOT, "build", "release", "server", "caucusd"))
        if not os.access(binary, os.X_OK):
            pytest.fail("caucusd not found at %s (set CAUCUSD)" % binary, pytrace=False)
        return [binary, self.cfg]

    def start(self):
        log = open(os.path.join(self.dir, "server.log"), "ab")
        self.proc = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, cwd=self.dir,
                                     start_new_session=True)
        log.close()

    def kill(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.proc = None

    def stop_gracefully(self, timeout=30):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None

    def mode(self):
        for line in four_letter(self.client_port, "srvr", host=self.host).splitlines():
            if line.startswith("Mode:"):
                return line.split(":", 1)[1].strip()
        return None

    def log_text(self):
        try:
            with open(os.path.join(self.dir, "server.log"), errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def log_tail(self, n=30):
        try:
            with open(os.path.join(self.dir, "server.log"), errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""


class Ensemble:
    member_class = Member  # subclasses (netns.NetnsEnsemble) run members differently

    def __init__(self, size=3, observers=0, extra=None):
        """`extra`: more zoo.cfg settings for every member (e.g. readConsistency)."""
        self.base = tempfile.mkdtemp(prefix="caucus-ensemble-")
        total = size + observers
        addrs = self.addresses(total)
        lines = "".join("server.%d=%s:%d:%d%s\n"
                        % (i + 1, host, p[1], p[2], ":observer" if i >= size else "")
                        for i, (host, p) in enumerate(addrs))
        self.members = [self.member_class(i + 1, self.base, p, lines, observer=i >= size,
                                          host=host, extra=extra)
                        for i, (host, p) in enumerate(addrs)]

    def addresses(self, total):
        """(address, [client, quorum, election port]) of each member: all on loopback here."""
        flat = free_ports(3 * total)  # all at once: no port handed out twice
        return [("127.0.0.1", flat[3 * i:3 * i + 3]) for i in range(total)]

    def hosts(self, members=None):
        ms = members or self.members
        return ",".join("%s:%d" % (m.host, m.client_port) for m in ms)

    def start(self):
        for m in self.members:
            m.start()
        self.wait_for_leader()

    def wait_for_leader(self, timeout=60.0, exclude=()):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            live = [m for m in self.members if m.proc and m not in exclude]
            modes = {m.sid: m.mode() for m in live}
            leaders = [m for m in live if modes[m.sid] == "leader"]
            if leaders and all(modes[m.sid] in ("leader", "follower", "observer")
                               for m in live):
                return leaders[0]
            time.sleep(0.1)
        tails = "\n".join("--- member %d:\n%s" % (m.sid, m.log_tail()) for m in self.members)
        pytest.fail("no leader with every live member serving within %.0fs\n%s"
                    % (timeout, tails), pytrace=False)

    def leader(self):
        return self.wait_for_leader()

    def followers(self):
        return [m for m in self.members if m.proc and m.mode() == "follower"]

    def stop(self):
        for m in self.members:
            m.kill()
        shutil.rmtree(self.base, ignore_errors=True)


def client(hosts, timeout=6.0):
    """A kazoo client that keeps retrying its connection (as applications configure it)."""
    c = KazooClient(hosts=hosts, timeout=timeout,
                    connection_retry={"max_tries": -1, "delay": 0.05, "max_delay": 0.3})
    c.start(timeout=20)
    return c


def retry(fn, deadline_s=20.0):
    """Runs fn until it succeeds; returns the seconds it took."""
    t0 = time.monotonic()
    while True:
        try:
            fn()
            return time.monotonic() - t0
        except (KazooException, KazooTimeoutError):
            if time.monotonic() - t0 > deadline_s:
                raise
            time.sleep(0.05)


def can_write(hosts, path):
    """Whether a new session on `hosts` gets setData(path) acknowledged within a few seconds."""
    z = KazooClient(hosts=hosts, timeout=3.0, connection_retry={"max_tries": 0})
    try:
        z.start(timeout=3)
        z.set(path, b"minority")
        return True
    except (KazooException, KazooTimeoutError):
        return False
    finally:
        z.stop()
        z.close()


@pytest.fixture
def ensemble():
    e = Ensemble()
    e.start()
    yield e
    e.stop()
