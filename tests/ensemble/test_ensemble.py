"""A 3-member ensemble seen through stock kazoo clients: replication, sessions across members,
leader failure, restarts and loss of quorum. Runs against Caucus and against ZooKeeper 3.8."""
import time

from conftest import can_write, client
from conftest import retry as retry_write


def test_writes_on_any_member_are_seen_on_every_member(ensemble):
    clients = [client(ensemble.hosts([m])) for m in ensemble.members]
    try:
        for i, c in enumerate(clients):
            c.create("/w%d" % i, b"from %d" % i)
        for c in clients:
            c.sync("/")
            for i in range(len(clients)):
                assert c.get("/w%d" % i)[0] == b"from %d" % i
        # Sequential names are assigned once, by the leader, whatever member takes the create.
        names = [c.create("/w0/s-", b"", sequence=True) for c in clients for _ in range(5)]
        assert len(set(names)) == 15
        assert sorted(names) == names
    finally:
        for c in clients:
            c.stop()


def test_a_session_keeps_its_ephemerals_and_watches_when_its_member_dies(ensemble):
    follower = ensemble.followers()[0]
    c = client(ensemble.hosts([follower] + [m for m in ensemble.members if m is not follower]))
    other = client(ensemble.hosts([m for m in ensemble.members if m is not follower]))
    try:
        c.create("/eph", b"mine", ephemeral=True)
        sid = c.client_id[0]
        other.create("/watched", b"0")
        seen = []
        c.DataWatch("/watched", lambda data, stat: seen.append(data))
        follower.kill()
        retry_write(lambda: c.get("/"))
        assert c.client_id[0] == sid, "the session moved and survived"
        assert other.exists("/eph") is not None
        other.set("/watched", b"1")
        deadline = time.monotonic() + 10
        while b"1" not in seen and time.monotonic() < deadline:
            time.sleep(0.05)
        assert b"1" in seen, "the watch was set again on the new member: %r" % seen
    finally:
        c.stop()
        other.stop()


def test_ephemerals_vanish_everywhere_when_the_session_ends(ensemble):
    owner = client(ensemble.hosts([ensemble.members[0]]))
    readers = [client(ensemble.hosts([m])) for m in ensemble.members[1:]]
    try:
        owner.create("/gone", b"", ephemeral=True)
        for r in readers:
            r.sync("/")
            assert r.exists("/gone") is not None
        owner.stop()
        owner.close()
        for r in readers:
            r.sync("/")
            assert r.exists("/gone") is None
    finally:
        for r in readers:
            r.stop()


def test_leader_kill_loses_no_acknowledged_write_and_a_new_leader_takes_over(ensemble):
    c = client(ensemble.hosts())
    try:
        c.ensure_path("/acked")
        acked = [c.create("/acked/n-", b"x", sequence=True) for _ in range(300)]
        leader = ensemble.leader()
        leader.kill()
        took = retry_write(lambda: acked.append(c.create("/acked/n-", b"y", sequence=True)))
        new_leader = ensemble.wait_for_leader(timeout=30)
        assert new_leader is not leader
        assert took < 15, "first write after the leader died took %.1fs" % took
        for _ in range(100):
            acked.append(retry_write_value(c))
        c.sync("/")
        present = set(c.get_children("/acked"))
        missing = [p for p in acked if p.rsplit("/", 1)[1] not in present]
        assert not missing, "acknowledged writes lost: %s" % missing[:5]
        # The old leader comes back as a follower and catches up.
        leader.start()
        ensemble.wait_for_leader(timeout=60)
        back = client(ensemble.hosts([leader]))
        try:
            retry_write(lambda: back.sync("/"))
            assert set(back.get_children("/acked")) == present
        finally:
            back.stop()
    finally:
        c.stop()


def retry_write_value(c):
    out = []
    retry_write(lambda: out.append(c.create("/acked/n-", b"z", sequence=True)))
    return out[0]


def test_without_a_quorum_nothing_is_written_and_writes_resume_with_it(ensemble):
    survivor = ensemble.followers()[0]
    c = client(ensemble.hosts([survivor]), timeout=4.0)
    try:
        c.create("/q", b"before")
        for m in ensemble.members:
            if m is not survivor:
                m.kill()
        deadline = time.monotonic() + 15
        while survivor.mode() in ("leader", "follower") and time.monotonic() < deadline:
            time.sleep(0.1)
        assert survivor.mode() not in ("leader", "follower"), "a lone member kept serving"
        assert not can_write(ensemble.hosts([survivor]), "/q"), "a minority accepted a write"
        for m in ensemble.members:
            if m is not survivor:
                m.start()
        ensemble.wait_for_leader(timeout=60)
        retry_write(lambda: c.set("/q", b"after"), deadline_s=30)
        assert c.get("/q")[0] == b"after"
    finally:
        c.stop()


def test_a_restarted_follower_catches_up_on_what_it_missed(ensemble):
    follower = ensemble.followers()[0]
    c = client(ensemble.hosts([m for m in ensemble.members if m is not follower]))
    try:
        follower.kill()
        c.create("/missed", b"")
        for i in range(200):
            c.create("/missed/n", b"%d" % i, sequence=True)
        follower.start()
        ensemble.wait_for_leader(timeout=60)
        r = client(ensemble.hosts([follower]))
        try:
            retry_write(lambda: r.sync("/"))
            assert len(r.get_children("/missed")) == 200
        finally:
            r.stop()
    finally:
        c.stop()
