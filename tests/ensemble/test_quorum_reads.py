"""Quorum reads (readConsistency=quorum, docs/consistency.md) on real processes: never stale
on a follower cut off by a partition, and uninterrupted while the leader is killed.

Caucus only: quorum reads are a Caucus extension that ZooKeeper does not have, so these tests
have nothing to assert against ZooKeeper (they are reported as skipped there, with the
reason). Stock clients (kazoo) get quorum reads from the server setting."""
import threading
import time

import pytest
from kazoo.exceptions import KazooException, NoNodeError
from kazoo.handlers.threading import KazooTimeoutError

from conftest import TARGET, Ensemble, client, four_letter, retry
from netns import NetnsEnsemble
from test_partition import SYNC_LIMIT_S, net  # noqa: F401 (the module's network fixture)

pytestmark = pytest.mark.skipif(
    TARGET == "zookeeper", reason="quorum reads are a Caucus extension; ZooKeeper has none")

QUORUM = {"readConsistency": "quorum"}


def timed_read(c, path, timeout):
    """(start, end, kind, value) of one read; kind is "value", "nonode" or "error"."""
    start = time.monotonic()
    try:
        value = c.get_async(path).get(timeout=timeout)[0]
        return (start, time.monotonic(), "value", value)
    except NoNodeError:
        return (start, time.monotonic(), "nonode", None)
    except (KazooTimeoutError, KazooException) as e:
        return (start, time.monotonic(), "error", type(e).__name__)


@pytest.fixture
def quorum_netns(net):
    e = NetnsEnsemble(net, extra=QUORUM)
    try:
        e.start()
        yield e
    finally:
        try:
            net.heal()
        finally:
            e.stop()


def test_quorum_reads_on_an_isolated_follower_are_never_stale(net, quorum_netns):
    ens = quorum_netns
    follower = ens.followers()[0]
    majority = [m for m in ens.members if m is not follower]
    c = client(ens.hosts(majority))
    iso = client(ens.hosts([follower]))  # connected to the follower that will be cut off
    try:
        c.create("/q", b"old")
        assert iso.get("/q")[0] == b"old"  # a quorum read: sees the write at once

        net.isolate(follower.sid)
        c.set("/q", b"new")  # acknowledged by the majority
        t_ack = time.monotonic()
        timeline = []
        while time.monotonic() - t_ack < 3 * SYNC_LIMIT_S:
            timeline.append(timed_read(iso, "/q", timeout=0.5))
            time.sleep(0.05)
        stale = [r for r in timeline if r[2] == "value" and r[3] == b"old"]
        failed = [r for r in timeline if r[2] == "error"]
        print("[quorum] %d reads on the isolated follower after the write: %d stale, %d failed"
              % (len(timeline), len(stale), len(failed)))
        # Every read began after the write was acknowledged: none may return the old value.
        assert not stale, timeline
        # Without a quorum it cannot answer at all (it never had the new value).
        assert failed and all(r[2] == "error" for r in timeline), timeline

        net.heal()
        deadline = time.monotonic() + 30
        last = None
        while time.monotonic() < deadline:
            last = timed_read(iso, "/q", timeout=2.0)
            if last[2] == "value":
                break
            time.sleep(0.1)
        assert last[2:] == ("value", b"new"), last
    finally:
        c.stop()
        iso.stop()


def test_quorum_reads_do_not_stall_when_the_leader_is_killed():
    ens = Ensemble(3, extra=QUORUM)
    ens.start()
    try:
        leader = ens.wait_for_leader()
        follower = ens.followers()[0]
        w = client(ens.hosts([m for m in ens.members if m is not leader]))
        r = client(ens.hosts([follower]))  # reads go to one follower, which stays up
        w.create("/k", b"0")
        w.set("/k", b"1")  # the last write before the kill: acknowledged, nothing in flight
        samples, stop = [], threading.Event()

        def reader():
            while not stop.is_set():
                samples.append(timed_read(r, "/k", timeout=5.0))

        t = threading.Thread(target=reader)
        t.start()
        time.sleep(0.5)
        t_kill = time.monotonic()
        leader.kill()
        new_leader = ens.wait_for_leader(exclude=(leader,))
        retry(lambda: w.set("/k", b"2"), 20)
        t_write = time.monotonic()
        time.sleep(0.5)
        stop.set()
        t.join()

        during = [s for s in samples if s[1] >= t_kill]
        failed = [s for s in samples if s[2] != "value"]
        longest = max(s[1] - s[0] for s in during)
        print("[quorum] leader %d killed, new leader %d, first write %.3fs after the kill; "
              "%d reads since the kill, %d failed, longest %.1f ms"
              % (leader.sid, new_leader.sid, t_write - t_kill, len(during), len(failed),
                 1000 * longest))
        assert not failed, failed
        assert len(during) > 10
        # Reads never wait for the election: well under one election (syncLimit).
        assert longest < SYNC_LIMIT_S / 2, "a read took %.3fs" % longest
        # And they stay linearizable: once a read saw "2", no later one sees "1".
        values = [s[3] for s in samples]
        assert values[-1] == b"2"
        assert b"1" not in values[values.index(b"2"):], values
        # Every round the follower asked, through the kill included, is settled once reads stop.
        deadline = time.monotonic() + 5
        while True:
            mntr = dict(line.split("\t", 1) for line in
                        four_letter(follower.client_port, "mntr").splitlines() if "\t" in line)
            if mntr["zk_caucus_read_rounds_in_flight"] == "0" or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert mntr["zk_caucus_read_rounds_in_flight"] == "0", mntr
    finally:
        ens.stop()
