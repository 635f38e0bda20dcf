"""Network partitions between real members (netns.py): each member in its own network namespace,
a member cut off from the others by routes while clients in the root namespace still reach it.
Runs against Caucus and ZooKeeper 3.8 (CAUCUS_ENSEMBLE_TARGET), like the rest of the suite.

Needs root (namespaces, veth, bridge): without them the tests fail, they are not skipped."""
import time

import pytest
from kazoo.client import KazooClient
from kazoo.exceptions import KazooException, NoNodeError
from kazoo.handlers.threading import KazooTimeoutError

from conftest import TARGET, TICK_MS, can_write, client, retry
from netns import NetnsEnsemble, built_network

# syncLimit=5 ticks: how long a member may go without hearing from its leader / followers.
SYNC_LIMIT_S = 5 * TICK_MS / 1000.0


@pytest.fixture(scope="module")
def net():
    with built_network(3) as n:
        yield n


@pytest.fixture
def ens(net):
    e = NetnsEnsemble(net)
    try:
        e.start()
        yield e
    finally:
        try:
            net.heal()
        finally:
            e.stop()


def read(c, path, timeout=1.0):
    """One read through client c: ("value", data), ("nonode", None) or ("error", kind)."""
    try:
        return ("value", c.get_async(path).get(timeout=timeout)[0])
    except NoNodeError:
        return ("nonode", None)
    except KazooTimeoutError:
        return ("error", "no answer in %.1fs" % timeout)
    except KazooException as e:  # ConnectionLoss, SessionExpiredError ...
        return ("error", type(e).__name__)


def eventually(fn, deadline_s, what):
    """Polls fn() until it returns a true value; returns the seconds it took."""
    t0 = time.monotonic()
    last = None
    while time.monotonic() - t0 < deadline_s:
        try:
            last = fn()
            if last:
                return time.monotonic() - t0
        except (KazooException, KazooTimeoutError) as e:
            last = repr(e)
        time.sleep(0.1)
    pytest.fail("%s: not within %.0fs (last: %r)" % (what, deadline_s, last), pytrace=False)


def member_state(member, paths):
    """{path: data or None} read through a fresh session on `member` alone, after a sync."""
    c = KazooClient(hosts="%s:%d" % (member.host, member.client_port), timeout=4.0,
                    connection_retry={"max_tries": -1, "delay": 0.05, "max_delay": 0.3})
    try:
        c.start(timeout=10)
        c.sync("/")
        out = {}
        for p in paths:
            try:
                out[p] = c.get(p)[0]
            except NoNodeError:
                out[p] = None
        return out
    finally:
        c.stop()
        c.close()


def test_isolated_follower_misses_majority_writes_and_catches_up_after_heal(net, ens):
    follower = ens.followers()[0]
    majority = [m for m in ens.members if m is not follower]
    c = client(ens.hosts(majority))
    iso = client(ens.hosts([follower]))  # a session on the isolated member only
    try:
        c.create("/a", b"before")
        iso.sync("/a")
        assert iso.get("/a")[0] == b"before"

        net.isolate(follower.sid)
        leader = ens.wait_for_leader(timeout=20, exclude=(follower,))
        assert leader in majority
        took = retry(lambda: c.set("/a", b"during"), deadline_s=15)
        assert took < 15
        for i in range(20):
            c.create("/a/n-", b"%d" % i, sequence=True)
        assert c.get("/a")[0] == b"during" and len(c.get_children("/a")) == 20

        # For 2 syncLimits the isolated member never shows those writes: it either answers
        # with the old data or does not answer at all.
        seen = []
        t_end = time.monotonic() + 2 * SYNC_LIMIT_S
        while time.monotonic() < t_end:
            seen.append(read(iso, "/a"))
            seen.append(read(iso, "/a/n-0000000000"))
            time.sleep(0.1)
        # Old data (b"before", no /a/n-0000000000) or no answer; nothing written since.
        assert not [s for s in seen if s[0] == "value" and s[1] != b"before"], seen
        assert follower.mode() != "leader"
        print("[%s] isolated follower while isolated: %s" % (TARGET, sorted(set(map(str, seen)))))

        net.heal()
        took = eventually(lambda: member_state(follower, ["/a"])["/a"] == b"during", 30,
                          "the healed follower shows the majority's write")
        r = client(ens.hosts([follower]))
        try:
            r.sync("/")
            assert len(r.get_children("/a")) == 20
        finally:
            r.stop()
        ens.wait_for_leader(timeout=30)
        print("[%s] healed follower caught up in %.2fs" % (TARGET, took))
    finally:
        c.stop()
        iso.stop()


def test_isolated_leader_is_replaced_and_the_three_converge_after_heal(net, ens):
    old = ens.leader()
    others = [m for m in ens.members if m is not old]
    c = client(ens.hosts(others))
    via_old = client(ens.hosts([old]))  # a session on the old leader only
    try:
        c.create("/b", b"before")
        via_old.sync("/b")
        assert via_old.get("/b")[0] == b"before"

        t0 = time.monotonic()
        net.isolate(old.sid)
        # A write through the isolated leader has no quorum to commit it: it must fail.
        pending = via_old.set_async("/b", b"old-leader")
        old_done = []
        pending.rawlink(lambda _: old_done.append(time.monotonic() - t0))

        new = ens.wait_for_leader(timeout=20, exclude=(old,))
        assert new in others
        leader_s = time.monotonic() - t0
        retry(lambda: c.set("/b", b"after"), deadline_s=20)
        write_s = time.monotonic() - t0
        assert write_s < 20, "first majority write %.1fs after isolating the leader" % write_s

        try:
            pending.get(timeout=15)
            old_write = "acknowledged"
        except KazooTimeoutError:
            old_write = "no answer in 15s"
        except KazooException as e:
            old_write = type(e).__name__
        assert old_write != "acknowledged", "the isolated old leader acknowledged a write"
        for i in range(20):
            c.create("/b/n-", b"%d" % i, sequence=True)
        stepped_down_s = time.monotonic() - t0 + eventually(
            lambda: old.mode() != "leader", 10, "the isolated old leader steps down")
        assert not can_write(ens.hosts([old]), "/b"), "the isolated old leader took a write"
        print("[%s] leader isolated: new leader seen after %.2fs, first majority write acked "
              "after %.2fs; the write sent to the old leader -> %s after %.2fs; old leader's mode "
              "no longer 'leader' by %.2fs"
              % (TARGET, leader_s, write_s, old_write, old_done[0] if old_done else -1,
                 stepped_down_s))

        net.heal()
        ens.wait_for_leader(timeout=30)
        paths = ["/b"] + ["/b/n-%010d" % i for i in range(20)]
        expected = member_state(new, paths)
        assert expected["/b"] == b"after" and None not in expected.values()
        c.sync("/b")
        assert c.get("/b")[1].version == 1, "the old leader's write took effect after all"
        for m in ens.members:
            eventually(lambda: member_state(m, paths) == expected, 30,
                       "member %d converges on the majority's data" % m.sid)
    finally:
        c.stop()
        via_old.stop()


def test_local_read_on_an_isolated_follower_is_stale_or_unavailable_never_new(net, ens):
    """ZooKeeper's reads are served locally: a follower cut off from its leader can answer with
    old data until it notices (syncLimit), and none of its answers can be the new value."""
    follower = ens.followers()[0]
    majority = [m for m in ens.members if m is not follower]
    c = client(ens.hosts(majority))
    iso = client(ens.hosts([follower]))  # connected to the isolated follower ONLY
    try:
        c.create("/c", b"old")
        iso.sync("/c")
        assert iso.get("/c")[0] == b"old"

        t0 = time.monotonic()
        states = []  # the isolated member's client: connection dropped (SUSPENDED) and back
        iso.add_listener(lambda state: states.append((round(time.monotonic() - t0, 2), state)))
        net.isolate(follower.sid)
        c.set("/c", b"new")  # acknowledged by the majority
        t_ack = time.monotonic() - t0
        timeline = []
        while time.monotonic() - t0 < 3 * SYNC_LIMIT_S:
            kind, what = read(iso, "/c", timeout=0.5)
            timeline.append((round(time.monotonic() - t0, 2), kind, what))
            time.sleep(0.05)
        first = timeline[0]
        stale = [t for t in timeline if t[1] == "value" and t[2] == b"old"]
        unavailable = [t for t in timeline if t[1] == "error"]
        print("[%s] write acked %.3fs after isolation; reads on the isolated follower: "
              "first %r; %d stale (last at %s s), %d failed (first at %s s: %s)"
              % (TARGET, t_ack, first, len(stale), stale[-1][0] if stale else "-",
                 len(unavailable), unavailable[0][0] if unavailable else "-",
                 unavailable[0][2] if unavailable else "-"))
        print("[%s] the isolated follower's client: %s" % (TARGET, states))
        assert not [t for t in timeline if t[1] == "value" and t[2] == b"new"], timeline
        assert all(t[1] == "error" or (t[1] == "value" and t[2] == b"old") for t in timeline)
        assert first[1] == "error" or first[2] == b"old"
        # Local reads can be stale: both servers answered old data after the write was
        # acknowledged. (ZooKeeper then closes its clients once it notices, after syncLimit;
        # Caucus keeps them and goes on answering local reads, stale, as documented in
        # docs/consistency.md: a client that needs fresh reads asks for quorum reads.)
        assert stale, "no stale read observed: %r" % timeline
        assert c.get("/c")[0] == b"new"  # the majority has it all along

        net.heal()
        eventually(lambda: member_state(follower, ["/c"])["/c"] == b"new", 30,
                   "the healed follower shows the new value")

        def through_iso():
            iso.sync("/c")
            return iso.get("/c")[0] == b"new"
        took = eventually(through_iso, 30, "the isolated follower's client reads the new value")
        print("[%s] after heal, its client read the new value in %.2fs; client: %s"
              % (TARGET, took, states))
    finally:
        c.stop()
        iso.stop()
