"""Other shapes than three voters: five voters, and an observer."""
import time

import pytest
from kazoo.client import KazooClient
from kazoo.exceptions import KazooException
from kazoo.handlers.threading import KazooTimeoutError

from conftest import Ensemble


def client(hosts, timeout=6.0):
    c = KazooClient(hosts=hosts, timeout=timeout,
                    connection_retry={"max_tries": -1, "delay": 0.05, "max_delay": 0.3})
    c.start(timeout=20)
    return c


def test_five_voters_survive_two_failures_including_the_leader():
    e = Ensemble(size=5)
    e.start()
    try:
        c = client(e.hosts())
        c.create("/five", b"0")
        leader = e.leader()
        other = next(m for m in e.members if m is not leader)
        leader.kill()
        other.kill()
        t0 = time.monotonic()
        while True:
            try:
                c.set("/five", b"1")
                break
            except (KazooException, KazooTimeoutError):
                assert time.monotonic() - t0 < 20, "no write within 20 s with 3 of 5 alive"
                time.sleep(0.05)
        assert c.get("/five")[0] == b"1"
        c.stop()
    finally:
        e.stop()


def test_an_observer_replicates_and_forwards_but_does_not_vote():
    e = Ensemble(size=3, observers=1)
    e.start()
    try:
        obs = e.members[3]
        assert obs.mode() == "observer"
        via_observer = client(e.hosts([obs]))
        via_observer.create("/obs", b"written through the observer")
        voter = client(e.hosts([e.members[0]]))
        voter.sync("/")
        assert voter.get("/obs")[0] == b"written through the observer"
        voter.set("/obs", b"seen by the observer")
        via_observer.sync("/")
        assert via_observer.get("/obs")[0] == b"seen by the observer"
        voter.stop()
        via_observer.stop()
        # Two voters down: observer + one voter are not a quorum of the three voters.
        e.members[0].kill()
        e.members[1].kill()
        time.sleep(3)
        assert e.members[2].mode() not in ("leader", "follower")
        assert obs.mode() != "observer" or not _can_write(e.hosts([obs]))
    finally:
        e.stop()


def _can_write(hosts):
    try:
        c = KazooClient(hosts=hosts, timeout=3.0, connection_retry={"max_tries": 0})
        c.start(timeout=3)
    except (KazooException, KazooTimeoutError):
        return False
    try:
        c.set("/obs", b"x")
        return True
    except (KazooException, KazooTimeoutError):
        return False
    finally:
        c.stop()
