"""zxids keep increasing across restarts (clean and SIGKILL), are never
reused for acknowledged writes, and every znode's Stat is identical before
and after a restart (snapshot + log replay restore it exactly)."""

import random
import signal

from jute_client import Op, Writer
from dhelpers import create_body, pipelined, set_data_body, get_data_many


def stats_of(server, paths):
    c = server.client()
    try:
        got = get_data_many(c, paths)
    finally:
        c.close()
    return {p: (v[0], tuple(getattr(v[1], f) for f in v[1].FIELDS))
            if v else None for p, v in got.items()}


def test_zxids_increase_across_restarts_and_stats_survive(caucus_factory):
    rng = random.Random(7)
    server = caucus_factory(snap_count=200)
    server.start()
    c = server.client()
    c.create("/z")
    c.create("/z/ctr", b"0")
    c.close()
    seen = []            # (cycle, zxid) of every acknowledged write
    max_acked = 0
    paths = ["/z", "/z/ctr"]
    live = set()         # persistent leaves under /z/h* that exist now
    dead = []            # deleted paths that may be created again
    for h in range(20):  # hot parents: children come and go under them
        paths.append("/z/h%d" % h)
    c = server.client()
    for h in range(20):
        c.create("/z/h%d" % h)
    c.close()
    for cycle in range(8):
        c = server.client()
        reqs = []
        for i in range(2500):
            x = rng.random()
            if x < 0.35 or not live:
                p = "/z/h%d/c%d-%d" % (rng.randrange(20), cycle, i)
                paths.append(p)
                live.add(p)
                reqs.append((Op.CREATE2, create_body(p, b"%d" % i)))
            elif x < 0.50 and dead:
                p = dead.pop(rng.randrange(len(dead)))
                live.add(p)
                reqs.append((Op.CREATE2, create_body(p, b"again%d" % i)))
            elif x < 0.65:
                p = rng.choice(sorted(live)) if len(live) < 64 else \
                    rng.sample(sorted(live), 1)[0]
                live.discard(p)
                dead.append(p)
                reqs.append((Op.DELETE, Writer().string(p).int(-1).bytes()))
            elif x < 0.85:
                p = rng.choice(["/z/ctr"] + list(live)[:50])
                reqs.append((Op.SET_DATA, set_data_body(p, b"v%d" % i)))
            else:
                reqs.append((Op.CREATE2, create_body(
                    "/z/seq-", b"s", flags=2)))
        reps = pipelined(c, reqs)
        zx = []
        for (op, _), rep in zip(reqs, reps):
            assert rep.err == 0, rep
            if op == Op.CREATE2:
                path = rep.body.string()
                st = rep.body.stat()
                if path.startswith("/z/seq-"):
                    paths.append(path)
                assert st.czxid == st.mzxid == rep.zxid
            elif op == Op.SET_DATA:
                st = rep.body.stat()
                assert st.mzxid == rep.zxid
            zx.append(rep.zxid)
        assert zx == sorted(zx) and len(set(zx)) == len(zx), (
            "zxids not strictly increasing within cycle %d" % cycle)
        assert zx[0] > max_acked, (
            "cycle %d: first zxid %#x not above last acknowledged %#x from "
            "before the restart (zxid reused)" % (cycle, zx[0], max_acked))
        max_acked = zx[-1]
        seen.extend((cycle, z) for z in zx)
        srvr_zxid = int(server.srvr()["Zxid"], 16)
        assert srvr_zxid >= max_acked
        before = stats_of(server, paths)
        c.close_socket()  # leave the session open: it is restored
        if cycle % 2:
            server.kill()
        else:
            assert server.stop(signal.SIGTERM) == 0
        server.start()
        after_srvr = int(server.srvr()["Zxid"], 16)
        assert after_srvr >= max_acked, (
            "after restart srvr Zxid %#x < last acknowledged %#x"
            % (after_srvr, max_acked))
        after = stats_of(server, paths)
        diff = [(p, before[p], after[p]) for p in paths
                if before[p] != after[p]]
        assert not diff, ("cycle %d: %d znodes differ after restart "
                          "(data, Stat fields %s), e.g. %s"
                          % (cycle, len(diff), before and
                             "czxid..pzxid", diff[:3]))
    assert len(server.snapshots()) >= 1, "no snapshot was taken"
    assert len({z for _, z in seen}) == len(seen)
