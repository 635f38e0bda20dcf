"""kill -9 of random members (leaders included) while writers keep many requests in flight:
every acknowledged write survives with its data, and no write appears twice."""
import os
import random
import threading
import time

from kazoo.client import KazooClient

from conftest import Ensemble, TARGET

ROUNDS = int(os.environ.get("ENSEMBLE_CRASH_ROUNDS", "8"))
WRITERS = 3
IN_FLIGHT = 40


class Writer(threading.Thread):
    """Creates /crash/w<i>-<n> with data "<i>-<n>" asynchronously, never retrying a create,
    so that an unacknowledged create can appear at most once."""

    def __init__(self, hosts, idx, stop):
        super().__init__(daemon=True)
        self.idx, self.stop_event = idx, stop
        self.acked = {}  # data -> path
        self.zk = KazooClient(hosts=hosts, timeout=6.0,
                              connection_retry={"max_tries": -1, "delay": 0.05, "max_delay": 0.3})
        self.zk.start(timeout=20)
        self.sem = threading.Semaphore(IN_FLIGHT)
        self.lock = threading.Lock()

    def run(self):
        n = 0
        while not self.stop_event.is_set():
            self.sem.acquire()
            data = "%d-%d" % (self.idx, n)
            n += 1
            try:
                res = self.zk.create_async("/crash/w%d-" % self.idx, data.encode(), sequence=True)
            except Exception:
                self.sem.release()
                time.sleep(0.05)
                continue
            res.rawlink(lambda r, d=data: self.done(r, d))

    def done(self, res, data):
        try:
            path = res.get_nowait()
            with self.lock:
                self.acked[data] = path
        except Exception:
            pass
        finally:
            self.sem.release()


def _contents(e, member):
    """data -> path of every /crash child as `member` serves it; a value twice is an error."""
    zk = KazooClient(hosts=e.hosts([member]), timeout=10.0)
    zk.start(timeout=20)
    try:
        zk.sync("/crash")
        seen = {}
        children = zk.get_children("/crash")
        replies = [(c, zk.get_async("/crash/" + c)) for c in children]  # pipelined
        for c, r in replies:
            data = r.get(timeout=30)[0].decode()
            assert data not in seen, "member %d: write %s appears twice (%s, %s)" % (
                member.sid, data, seen[data], c)
            seen[data] = "/crash/" + c
        return seen
    finally:
        zk.stop()


def test_random_kill9_of_members_loses_no_acknowledged_write():
    e = Ensemble()
    e.start()
    try:
        setup = KazooClient(hosts=e.hosts(), timeout=6.0)
        setup.start(timeout=20)
        setup.ensure_path("/crash")
        stop = threading.Event()
        writers = [Writer(e.hosts(), i, stop) for i in range(WRITERS)]
        for w in writers:
            w.start()
        rng = random.Random(int(os.environ.get("ENSEMBLE_CRASH_SEED", "7")))
        killed_leaders = 0
        for _ in range(ROUNDS):
            time.sleep(rng.uniform(0.5, 1.5))
            leader = e.wait_for_leader(timeout=60)
            victim = leader if rng.random() < 0.5 else rng.choice(e.members)
            killed_leaders += victim is leader
            victim.kill()
            time.sleep(rng.uniform(0.2, 1.0))
            victim.start()
        e.wait_for_leader(timeout=60)
        time.sleep(1.0)
        stop.set()
        for w in writers:
            w.join(timeout=30)
        time.sleep(2.0)  # let the last callbacks land
        acked = {}
        for w in writers:
            acked.update(w.acked)
            w.zk.stop()
        setup.stop()
        # Every member must hold every acknowledged write: a member that lost some would serve
        # reads without them forever.
        for m in e.members:
            seen = _contents(e, m)
            lost = [(d, p) for d, p in acked.items() if seen.get(d) != p]
            assert not lost, "member %d lacks %d of %d acknowledged writes, e.g. %s" % (
                m.sid, len(lost), len(acked), lost[:3])
        total = len(acked)
        assert total > 500, "too few acknowledged writes to mean anything: %d" % total
        print("%s: %d acknowledged writes, %d rounds, %d leader kills" %
              (TARGET, total, ROUNDS, killed_leaders))
    finally:
        e.stop()
