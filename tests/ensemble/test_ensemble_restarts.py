"""Members coming back: a rolling restart under load, and a follower catching up by DIFF when
it missed a little and by SNAP when it missed more than commitLogCount (500) transactions."""
import threading
import time

from kazoo.exceptions import ConnectionLoss

from conftest import TARGET, client, retry

# What each server logs when a learner syncs, to tell DIFF from SNAP.
SYNC_EVIDENCE = {
    "caucus": {"diff": "synced with the leader by DIFF", "snap": "synced with the leader by SNAP"},
    "zookeeper": {"diff": "Getting a diff from the leader", "snap": "Getting a snapshot from leader"},
}[TARGET]


def test_rolling_restart_under_load_shows_clients_nothing_but_reconnects(ensemble):
    c = client(ensemble.hosts(), timeout=10.0)
    c.ensure_path("/roll")
    sid = c.client_id[0]
    stop = threading.Event()
    acked, unexpected, lost_connection = [], [], [0]

    def writer():
        n = 0
        while not stop.is_set():
            try:
                acked.append(c.create("/roll/n-", b"%d" % n, sequence=True))
            except ConnectionLoss:
                lost_connection[0] += 1  # in flight when a member went away: allowed
                time.sleep(0.05)
            except Exception as e:  # anything else is a client-visible failure
                unexpected.append(repr(e))
            n += 1

    t = threading.Thread(target=writer, daemon=True)
    t.start()
    try:
        for m in ensemble.members:
            before = len(acked)
            m.stop_gracefully()
            time.sleep(0.5)
            m.start()
            ensemble.wait_for_leader(timeout=60)
            deadline = time.monotonic() + 20
            while len(acked) <= before + 20 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert len(acked) > before + 20, "writes did not resume after restarting %d" % m.sid
    finally:
        stop.set()
        t.join(timeout=30)
    assert not unexpected, unexpected[:5]
    assert c.client_id[0] == sid, "the session survived the rolling restart"
    c.sync("/roll")
    present = set(c.get_children("/roll"))
    assert all(p.rsplit("/", 1)[1] in present for p in acked)
    c.stop()


def _catch_up(ensemble, writes):
    follower = ensemble.followers()[0]
    c = client(ensemble.hosts([m for m in ensemble.members if m is not follower]))
    try:
        path = "/catchup%d" % writes
        c.create(path, b"")
        follower.kill()
        pending = [c.create_async(path + "/n", b"x", sequence=True) for _ in range(writes)]
        for p in pending:
            p.get(timeout=60)
        log_before = len(follower.log_text())
        follower.start()
        ensemble.wait_for_leader(timeout=60)
        r = client(ensemble.hosts([follower]))
        try:
            retry(lambda: r.sync("/"))
            assert len(r.get_children(path)) == writes
        finally:
            r.stop()
        return follower.log_text()[log_before:]
    finally:
        c.stop()


def test_a_follower_that_missed_little_catches_up_by_diff(ensemble):
    log = _catch_up(ensemble, 100)
    assert SYNC_EVIDENCE["diff"] in log, log[-2000:]


def test_a_follower_that_missed_much_catches_up_by_snap(ensemble):
    log = _catch_up(ensemble, 3000)
    assert SYNC_EVIDENCE["snap"] in log, log[-2000:]
