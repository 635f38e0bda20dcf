"""Real network partitions between real server processes, with Linux network namespaces.

    root namespace:  bridge caucus-br0, 10.231.0.254/24  (the test process and its clients)
                        |            |            |
                    caucus-v1    caucus-v2    caucus-v3     (veth, root side, in the bridge)
                        |            |            |
    namespace:     caucus-ns-1  caucus-ns-2  caucus-ns-3    (eth0 10.231.0.N/24, lo up)

Network(size).create() builds that (root only: `ip netns`, veth, bridge); NetnsEnsemble runs
member N under `ip netns exec caucus-ns-N` with its client, quorum and election ports on
10.231.0.N, so the test process reaches every member as a client through the bridge.

Network.isolate(sid) cuts member sid off from the other members in both directions, and only
from them: in its namespace a blackhole route per other member, and in each other member's
namespace a blackhole route to it. Packets between members are dropped at the sender (an
established connection just goes silent, a new connect() fails at once); clients in the root
namespace still reach the isolated member. heal() deletes those routes, cleanup() deletes the
namespaces (after killing whatever still runs in them), the veths and the bridge.

Nothing outside these names and 10.231.0.0/24 is touched. create() first removes leftovers of an
aborted run (same names); a lock file keeps two runs on one machine from tearing down each other.
"""
import contextlib
import fcntl
import os
import signal
import subprocess
import time

import pytest

from conftest import Ensemble, Member

PREFIX = "caucus"
SUBNET = "10.231.0"  # a /24 of which .1.. are members and .254 the root namespace's bridge
LOCK_PATH = ("/run/lock/caucus-netns.lock" if os.path.isdir("/run/lock")
             else "/tmp/caucus-netns.lock")


class NetnsError(RuntimeError):
    pass


def _ip(*args, check=True):
    r = subprocess.run(["ip"] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=30)
    if check and r.returncode != 0:
        raise NetnsError("ip %s: %s" % (" ".join(args), (r.stderr or r.stdout).strip()))
    return r


class Network:
    """A bridge in the root namespace and `size` namespaces hanging off it, one per member."""

    def __init__(self, size=3, subnet=SUBNET, prefix=PREFIX, lock_timeout=120.0):
        if not 1 <= size <= 250:
            raise ValueError("size %d" % size)
        self.size = size
        self.subnet = subnet
        self.prefix = prefix
        self.bridge = "%s-br0" % prefix
        self.root_addr = "%s.254" % subnet
        self.lock_timeout = lock_timeout
        self.routes = set()  # (namespace sid, blackholed address) pairs currently installed
        self._lock = None

    def ns(self, sid):
        """The namespace of member sid (1-based)."""
        return "%s-ns-%d" % (self.prefix, sid)

    def veth(self, sid):
        return "%s-v%d" % (self.prefix, sid)

    def addr(self, sid):
        return "%s.%d" % (self.subnet, sid)

    def isolated(self):
        """Sids that cannot reach some other member right now."""
        return sorted({a for a, _ in self.routes})

    # -- setup and teardown --------------------------------------------------------------------

    def create(self):
        """Builds bridge, namespaces and veths; raises NetnsError if any step fails."""
        if os.geteuid() != 0:
            raise NetnsError("network namespaces need root (euid %d)" % os.geteuid())
        self._acquire_lock()
        try:
            self.cleanup_stale()
            _ip("link", "add", self.bridge, "type", "bridge")
            _ip("addr", "add", "%s/24" % self.root_addr, "dev", self.bridge)
            _ip("link", "set", self.bridge, "up")
            for sid in range(1, self.size + 1):
                ns = self.ns(sid)
                _ip("netns", "add", ns)
                _ip("link", "add", self.veth(sid), "type", "veth", "peer", "name", "eth0",
                    "netns", ns)
                _ip("link", "set", self.veth(sid), "master", self.bridge, "up")
                _ip("-n", ns, "link", "set", "lo", "up")
                _ip("-n", ns, "addr", "add", "%s/24" % self.addr(sid), "dev", "eth0")
                _ip("-n", ns, "link", "set", "eth0", "up")
        except BaseException:
            self.cleanup()
            raise
        return self

    def _acquire_lock(self):
        f = open(LOCK_PATH, "a")
        deadline = time.monotonic() + self.lock_timeout
        while True:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self._lock = f
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    f.close()
                    raise NetnsError("another run holds %s for more than %.0fs"
                                     % (LOCK_PATH, self.lock_timeout))
                time.sleep(0.2)

    def _names(self):
        """Our namespaces that exist now (any size: an aborted run may have had more)."""
        out = _ip("netns", "list", check=False).stdout
        names = [line.split()[0] for line in out.splitlines() if line.strip()]
        return [n for n in names if n.startswith(self.prefix + "-ns-")]

    def _remove(self, errors):
        for ns in self._names():
            # A process still running in the namespace would keep it, its veth, alive:
            # these can only be servers a run of this helper started there.
            for pid in _ip("netns", "pids", ns, check=False).stdout.split():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
            r = _ip("netns", "del", ns, check=False)
            if r.returncode != 0:
                errors.append("netns del %s: %s" % (ns, r.stderr.strip()))
        links = _ip("-o", "link", "show", check=False).stdout
        for line in links.splitlines():
            name = line.split(":")[1].strip().split("@")[0]
            if name.startswith(self.prefix + "-v") or name == self.bridge:
                r = _ip("link", "del", name, check=False)
                if r.returncode != 0 and "Cannot find device" not in r.stderr:
                    errors.append("link del %s: %s" % (name, r.stderr.strip()))

    def cleanup_stale(self):
        errors = []
        self._remove(errors)
        if errors:
            raise NetnsError("cannot remove leftovers of an earlier run: %s" % "; ".join(errors))

    def cleanup(self):
        """Removes namespaces, veths and bridge (idempotent); returns the errors, if any."""
        errors = []
        try:
            self._remove(errors)
            self.routes.clear()
        finally:
            if self._lock is not None:
                self._lock.close()  # releases the flock
                self._lock = None
        return errors

    # -- partitions ----------------------------------------------------------------------------

    def cut(self, a, b):
        """No packet between members a and b, either way (a route in each namespace)."""
        for src, dst in ((a, b), (b, a)):
            if (src, dst) not in self.routes:
                _ip("-n", self.ns(src), "route", "add", "blackhole", "%s/32" % self.addr(dst))
                self.routes.add((src, dst))

    def isolate(self, sid):
        """Member sid reaches no other member and no other member reaches it; the root
        namespace (clients, four-letter words) still reaches it."""
        for other in range(1, self.size + 1):
            if other != sid:
                self.cut(sid, other)

    def heal(self):
        """Every member reaches every member again."""
        for src, dst in sorted(self.routes):
            r = _ip("-n", self.ns(src), "route", "del", "blackhole", "%s/32" % self.addr(dst),
                    check=False)
            if r.returncode != 0 and "No such process" not in r.stderr:
                raise NetnsError("cannot heal %s -> %s: %s" % (src, dst, r.stderr.strip()))
            self.routes.discard((src, dst))


@contextlib.contextmanager
def built_network(size):
    """A created Network for a test module's fixture; fails the test (never skips it) when the
    namespaces cannot be built, and asserts that they are cleaned up afterwards."""
    n = Network(size=size)
    error = None
    try:
        n.create()
    except (NetnsError, OSError, subprocess.SubprocessError) as e:
        error = e
    if error is not None:  # fail, not skip: a partition test that never runs proves nothing
        n.cleanup()
        pytest.fail("cannot build the network namespaces for the partition tests "
                    "(root, iproute2, veth and bridge support are required): %s" % error,
                    pytrace=False)
    yield n
    errors = n.cleanup()
    assert not errors, "network namespace cleanup failed: %s" % errors


class NetnsMember(Member):
    """A Member whose process runs in its own namespace (set by NetnsEnsemble)."""
    netns = None

    def command(self):
        return ["ip", "netns", "exec", self.netns] + super().command()


class NetnsEnsemble(Ensemble):
    """Ensemble (conftest) with member N in namespace N of `network`, at its address there;
    every member uses the same ports (client 2181, quorum 2888, election 3888), since the
    addresses differ. The API is Ensemble's: start, wait_for_leader, leader, followers,
    hosts, members (kill, start, mode, log_tail ...), stop."""
    member_class = NetnsMember
    PORTS = [2181, 2888, 3888]

    def __init__(self, network, size=3, observers=0, extra=None):
        if size + observers > network.size:
            raise ValueError("%d members in a network of %d" % (size + observers, network.size))
        self.network = network
        super().__init__(size=size, observers=observers, extra=extra)
        for m in self.members:
            m.netns = network.ns(m.sid)

    def addresses(self, total):
        return [(self.network.addr(sid), list(self.PORTS)) for sid in range(1, total + 1)]
