"""Other shapes than three voters: five voters, and an observer."""
import time

from kazoo.exceptions import KazooException
from kazoo.handlers.threading import KazooTimeoutError

from conftest import Ensemble, can_write, client


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
        assert obs.mode() != "observer" or not can_write(e.hosts([obs]), "/obs")
    finally:
        e.stop()
