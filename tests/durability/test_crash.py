"""Crash test: writers with many outstanding requests, SIGKILL at random
moments, restart, and check that every acknowledged write survived and no
write was applied twice.

Knobs (environment):
  CRASH_ROUNDS     number of kill/restart rounds (default 20, CI form)
  CRASH_SEED       random seed (default: random, printed)
  CRASH_WRITERS    writer sessions (default 4)
  CRASH_INFLIGHT   outstanding requests per writer (default 50)
  CRASH_MAX_LOAD   max seconds of load per round (default 2.0)
  CRASH_SNAPCOUNT  snapCount (default 500)
  CRASH_TERM_EVERY every Nth round stops the server with SIGTERM under load
                   instead of SIGKILL (default 5; 0 = never): the clean
                   shutdown path must not lose or hang either

Reproduce a failure with the seed printed in the summary, e.g.
  CRASH_SEED=1234 CRASH_ROUNDS=50 /usr/bin/python3 -m pytest -s \
      tests/durability/test_crash.py
(the seed fixes the schedule, not the thread interleaving, so a rare race
may need a few runs).
"""

import os
import random
import signal
import socket
import struct
import threading
import time

import pytest

from jute_client import ConnectionClosed, CreateMode, Op
from dhelpers import (count_tree, create_body, delete_body, get_data_many,
                      multi_body, children, set_data_body)

ROUNDS = int(os.environ.get("CRASH_ROUNDS", "20"))
WRITERS = int(os.environ.get("CRASH_WRITERS", "4"))
INFLIGHT = int(os.environ.get("CRASH_INFLIGHT", "50"))
MAX_LOAD = float(os.environ.get("CRASH_MAX_LOAD", "2.0"))
SNAPCOUNT = int(os.environ.get("CRASH_SNAPCOUNT", "500"))
SEED = int(os.environ.get("CRASH_SEED", str(random.SystemRandom()
                                               .randrange(1 << 30))))
# full getData verification of *every* znode each round is O(rounds * nodes);
# old rounds' nodes are checked by name every round, by data every
# FULL_EVERY rounds and at the end.
TERM_EVERY = int(os.environ.get("CRASH_TERM_EVERY", "5"))
FULL_EVERY = int(os.environ.get("CRASH_FULL_EVERY", "5"))

ROOT = "/crash"
NODES = ROOT + "/nodes"
SEQ = ROOT + "/seq"
CTR = ROOT + "/ctr"
MULTI = ROOT + "/multi"


class Model:
    """What the clients know. Paths map to the data they must hold."""

    def __init__(self):
        self.present = {}        # path -> data (acked create, or observed)
        self.absent = set()      # acked deletes / lost unacked creates
        self.unsure = {}         # path -> data sent (unacked create)
        self.unsure_del = {}     # path -> data it had (unacked delete)
        self.seq_acked = {}      # seq path -> token
        self.seq_tokens = set()  # every token sent in a sequential create
        self.seq_seen = {}       # seq path -> token observed after restart
        self.ctr_acked = {}      # writer -> max acked version
        self.ctr_tokens = {}     # writer -> {token: resulting version}
        self.ctr_seen = {}       # writer -> version observed last restart
        self.multi_acked = set()
        self.multi_unsure = set()
        self.multi_seen = set()
        self.acked = 0
        self.sent = 0
        self.errors = []         # unexpected error replies
        self.lock = threading.Lock()


class WriterThread(threading.Thread):
    def __init__(self, server, model, wid, rnd, rng, stop, start_version,
                 pool):
        super().__init__(daemon=True)
        self.server = server
        self.model = model
        self.wid = wid
        self.rnd = rnd
        self.rng = rng
        self.stop = stop
        self.version = start_version      # expected version of next setData
        self.pool = pool                  # acked nodes this writer may delete
        self.inflight = {}                # xid -> (kind, info)
        self.order = []
        self.seq_no = 0
        self.failure = None
        self.acked = 0

    def next_op(self):
        i = self.seq_no
        self.seq_no += 1
        tag = "w%d-r%d-%d" % (self.wid, self.rnd, i)
        x = self.rng.random()
        if x < 0.60:
            path = "%s/r%d/%s" % (NODES, self.rnd, tag)
            data = ("%s:%08x" % (tag, self.rng.getrandbits(32))).encode()
            return ("create", (path, data),
                    Op.CREATE, create_body(path, data))
        if x < 0.75:
            token = "seq:" + tag
            with self.model.lock:
                self.model.seq_tokens.add(token)
            return ("seq", token, Op.CREATE,
                    create_body(SEQ + "/s-", token.encode(),
                                flags=CreateMode.PERSISTENT_SEQUENTIAL))
        if x < 0.88:
            token = "ctr:" + tag
            v = self.version
            self.version += 1
            with self.model.lock:
                self.model.ctr_tokens[self.wid][token] = v + 1
            return ("set", (token, v + 1), Op.SET_DATA,
                    set_data_body("%s/w%d" % (CTR, self.wid), token.encode(),
                                  v))
        if x < 0.94 and self.pool:
            path, data = self.pool.pop()
            return ("delete", (path, data), Op.DELETE, delete_body(path))
        base = "%s/%s" % (MULTI, tag)
        return ("multi", base, Op.MULTI, multi_body([
            (Op.CREATE, create_body(base + "-a", b"a:" + tag.encode())),
            (Op.CREATE, create_body(base + "-b", b"b:" + tag.encode()))]))

    def run(self):
        try:
            self._run()
        except Exception as e:  # a bug in the test itself: report it
            self.failure = "writer %d crashed: %r" % (self.wid, e)
        finally:
            # everything still in flight is unacknowledged
            m = self.model
            with m.lock:
                for xid in self.order:
                    if xid in self.inflight:
                        self._unacked(*self.inflight[xid])

    def _run(self):
        try:
            c = self.server.client(timeout_ms=2000, io_timeout=5.0)
        except (OSError, ConnectionClosed, ValueError) as e:
            self.failure = "writer %d could not connect: %r" % (self.wid, e)
            return
        self.client = c
        try:
            while True:
                while (len(self.inflight) < INFLIGHT and
                       not self.stop.is_set()):
                    kind, info, op, body = self.next_op()
                    xid = c.next_xid()
                    self.inflight[xid] = (kind, info)
                    self.order.append(xid)
                    with self.model.lock:
                        self.model.sent += 1
                    c.send_frame(struct.pack(">ii", xid, op) + body)
                if not self.inflight:
                    return
                try:
                    rep = c._parse_reply(c.recv_frame(5.0))
                except socket.timeout:
                    if self.server.alive():
                        self.failure = ("writer %d: no reply within 5 s from "
                                        "a live server (%d in flight)"
                                        % (self.wid, len(self.inflight)))
                    return
                if rep.xid < 0:
                    continue
                self._acked(rep)
        except (ConnectionClosed, ConnectionResetError, BrokenPipeError,
                OSError):
            return  # the server was killed
        finally:
            c.close_socket()

    def _acked(self, rep):
        kind, info = self.inflight.pop(rep.xid)
        m = self.model
        ok = rep.err == 0
        with m.lock:
            if not ok:
                m.errors.append("%s %r: error %d" % (kind, info, rep.err))
                # its outcome is still known: a failed write did nothing
                if kind == "delete":
                    m.unsure_del[info[0]] = info[1]
                return
            m.acked += 1
            self.acked += 1
            if kind == "create":
                path, data = info
                m.present[path] = data
            elif kind == "seq":
                path = rep.body.string()
                m.seq_acked[path] = info
            elif kind == "set":
                token, version = info
                st = rep.body.stat()
                if st.version != version:
                    m.errors.append("setData %s acked version %d, expected "
                                    "%d" % (token, st.version, version))
                m.ctr_acked[self.wid] = max(m.ctr_acked.get(self.wid, -1),
                                            st.version)
            elif kind == "delete":
                path, _ = info
                m.present.pop(path, None)
                m.absent.add(path)
            elif kind == "multi":
                m.multi_acked.add(info)

    def _unacked(self, kind, info):
        m = self.model
        if kind == "create":
            m.unsure[info[0]] = info[1]
        elif kind == "delete":
            m.unsure_del[info[0]] = info[1]
        elif kind == "multi":
            m.multi_unsure.add(info)
        # seq / set: resolved from the observed state


def verify(server, model, round_no, full, log):
    """Checks the restarted server against the model; folds observed
    outcomes of unacknowledged writes into it. Returns #znodes verified."""
    c = server.client(timeout_ms=10000, io_timeout=30.0)
    problems = []
    verified = 0
    try:
        # --- plain creates and deletes
        round_dirs = children(c, NODES) or []
        names = set()
        for d in round_dirs:
            for k in children(c, NODES + "/" + d) or []:
                names.add("%s/%s/%s" % (NODES, d, k))
        new_round = "%s/r%d/" % (NODES, round_no)
        check_data = [p for p in model.present
                      if full or p.startswith(new_round)]
        got = get_data_many(c, check_data)
        for p in model.present:
            # (an unacknowledged delete may have happened: resolved below)
            if p not in names and p not in model.unsure_del:
                problems.append("acknowledged/observed znode %s is missing"
                                % p)
        for p, v in got.items():
            if v is None:
                continue
            if v[0] != model.present[p]:
                problems.append("znode %s holds %r, expected %r"
                                % (p, v[0], model.present[p]))
        verified += len(model.present)
        for p in model.absent:
            if p in names:
                problems.append("znode %s reappeared (acked delete or lost "
                                "unacked create)" % p)
        known = set(model.present) | model.absent | set(model.unsure)
        for p in names:
            if p not in known and p not in model.unsure_del:
                problems.append("unknown znode %s appeared" % p)
        # unacked creates: either there with the data sent, or gone for good
        unsure = dict(model.unsure)
        ugot = get_data_many(c, list(unsure))
        for p, v in ugot.items():
            if v is None:
                model.absent.add(p)
            elif v[0] != unsure[p]:
                problems.append("unacked create %s holds %r, sent %r"
                                % (p, v[0], unsure[p]))
            else:
                model.present[p] = unsure[p]
        model.unsure.clear()
        for p, data in model.unsure_del.items():
            if p in names:
                model.present[p] = data
                model.absent.discard(p)
            else:
                model.present.pop(p, None)
                model.absent.add(p)
        model.unsure_del.clear()

        # --- sequential creates: acked ones present, no token twice
        seq_names = children(c, SEQ) or []
        seq_paths = ["%s/%s" % (SEQ, n) for n in seq_names]
        sgot = get_data_many(c, seq_paths)
        tokens = {}
        for p, v in sgot.items():
            if v is None:
                problems.append("seq znode %s listed but unreadable" % p)
                continue
            t = v[0].decode()
            if t in tokens:
                problems.append("sequential create %s applied twice: %s and "
                                "%s" % (t, tokens[t], p))
            tokens[t] = p
            if t not in model.seq_tokens:
                problems.append("seq znode %s holds unknown token %s"
                                % (p, t))
        for p, t in list(model.seq_acked.items()) + list(
                model.seq_seen.items()):
            if sgot.get(p) is None:
                problems.append("acked/observed sequential znode %s (%s) "
                                "missing" % (p, t))
            elif sgot[p][0].decode() != t:
                problems.append("sequential znode %s holds %r, expected %s"
                                % (p, sgot[p][0], t))
        model.seq_seen = {p: v[0].decode() for p, v in sgot.items() if v}
        verified += len(sgot)

        # --- counters: version never goes back, data matches its version
        ctr_paths = ["%s/w%d" % (CTR, w) for w in range(WRITERS)]
        cgot = get_data_many(c, ctr_paths)
        for w, p in enumerate(ctr_paths):
            v = cgot[p]
            if v is None:
                problems.append("counter %s missing" % p)
                continue
            data, st = v[0].decode(), v[1]
            acked = model.ctr_acked.get(w, 0)
            if st.version < acked:
                problems.append("counter %s at version %d < acknowledged %d"
                                % (p, st.version, acked))
            if st.version < model.ctr_seen.get(w, 0):
                problems.append("counter %s went back from version %d to %d"
                                % (p, model.ctr_seen[w], st.version))
            if st.version == 0:
                if data != "init":
                    problems.append("counter %s v0 holds %r" % (p, data))
            elif model.ctr_tokens[w].get(data) != st.version:
                problems.append("counter %s version %d holds %r written as "
                                "version %r" % (p, st.version, data,
                                                model.ctr_tokens[w].get(data)))
            model.ctr_seen[w] = st.version
        verified += len(ctr_paths)

        # --- multi: both or neither
        mnames = set(children(c, MULTI) or [])
        for base in (model.multi_acked | model.multi_unsure |
                     model.multi_seen):
            b = base.rsplit("/", 1)[1]
            a_in, b_in = (b + "-a") in mnames, (b + "-b") in mnames
            if a_in != b_in:
                problems.append("multi %s half applied (a=%s b=%s)"
                                % (base, a_in, b_in))
            if (base in model.multi_acked or base in model.multi_seen) \
                    and not a_in:
                problems.append("acked/observed multi %s missing" % base)
            if a_in:
                model.multi_seen.add(base)
        model.multi_unsure.clear()
        verified += 2 * len(model.multi_seen)

        # --- znode count: walk vs mntr / srvr
        walked = count_tree(c, "/", leaf_prefixes=(NODES + "/", SEQ, MULTI,
                                                   CTR))
        mntr = server.mntr()
        srvr = server.srvr()
        if int(mntr.get("zk_znode_count", -1)) != walked:
            problems.append("mntr zk_znode_count %s != %d znodes in the tree"
                            % (mntr.get("zk_znode_count"), walked))
        if int(srvr.get("Node count", -1)) != walked:
            problems.append("srvr Node count %s != %d znodes in the tree"
                            % (srvr.get("Node count"), walked))
    finally:
        c.close()
    return verified, problems


def setup_tree(server):
    c = server.client()
    try:
        for p in (ROOT, NODES, SEQ, CTR, MULTI):
            c.create(p)
        for w in range(WRITERS):
            c.create("%s/w%d" % (CTR, w), b"init")
    finally:
        c.close()


@pytest.mark.timeout(max(180, ROUNDS * 15))
def test_sigkill_under_load_loses_no_acknowledged_write(caucus_factory):
    rng = random.Random(SEED)
    server = caucus_factory(snap_count=SNAPCOUNT)
    server.start()
    setup_tree(server)
    model = Model()
    for w in range(WRITERS):
        model.ctr_tokens[w] = {}
    print("\ncrash test: seed=%d rounds=%d writers=%d inflight=%d "
          "snapCount=%d" % (SEED, ROUNDS, WRITERS, INFLIGHT, SNAPCOUNT))
    t0 = time.monotonic()
    total_verified = 0
    per_round = []
    for rnd in range(ROUNDS):
        c = server.client()
        c.create("%s/r%d" % (NODES, rnd))
        c.close()
        stop = threading.Event()
        pools = {w: [] for w in range(WRITERS)}
        # writers delete some nodes acked in earlier rounds (own ones only)
        older = sorted(p for p in model.present
                       if not p.startswith("%s/r%d/" % (NODES, rnd)))
        rng.shuffle(older)
        for p in older[:WRITERS * 30]:
            w = int(p.rsplit("/", 1)[1].split("-")[0][1:])
            pools[w].append((p, model.present[p]))
        writers = [WriterThread(server, model, w, rnd,
                                random.Random(rng.getrandbits(32)), stop,
                                model.ctr_seen.get(w, 0), pools[w])
                   for w in range(WRITERS)]
        acked_before = model.acked
        for t in writers:
            t.start()
        load = rng.uniform(0.2, MAX_LOAD)
        time.sleep(load)
        if TERM_EVERY and rnd % TERM_EVERY == TERM_EVERY - 1:
            how = "TERM"
            rc = server.stop(signal.SIGTERM, timeout=15.0)
            assert rc == 0, ("round %d: SIGTERM under load: exit code %s; "
                             "log tail:\n%s" % (rnd, rc, server.log_tail()))
        else:
            how = "KILL"
            server.kill()
        for t in writers:
            t.join(timeout=20)
            assert not t.is_alive(), "writer %d hung after the kill" % t.wid
            assert t.failure is None, t.failure
        acked = model.acked - acked_before
        assert acked > 0, ("round %d: no write acknowledged in %.2fs of load; "
                           "log tail:\n%s" % (rnd, load, server.log_tail()))
        restart_t = time.monotonic()
        server.start()
        restart_s = time.monotonic() - restart_t
        full = (rnd % FULL_EVERY == FULL_EVERY - 1) or rnd == ROUNDS - 1
        verified, problems = verify(server, model, rnd, full, server.log_tail)
        assert not model.errors, ("round %d (seed %d): unexpected error "
                                  "replies: %s" % (rnd, SEED,
                                                   model.errors[:10]))
        assert not problems, ("round %d (seed %d): %d problems after "
                              "SIGKILL+restart:\n  %s\nlog tail:\n%s"
                              % (rnd, SEED, len(problems),
                                 "\n  ".join(problems[:30]),
                                 server.log_tail()))
        total_verified += verified
        per_round.append((rnd, how, round(load, 2), acked,
                          round(restart_s, 2)))
    log = server.log_text()
    snaps_written = log.count(" written (")
    server.stop()
    stale_tmp = [n for n in os.listdir(server.snap_dir) if n.endswith(".tmp")]
    elapsed = time.monotonic() - t0
    print("crash test summary: seed=%d rounds=%d sent=%d acked=%d "
          "znodes-verified(total over rounds)=%d final-present=%d "
          "snapshots-written=%d stale-snapshot-tmp-files=%d elapsed=%.1fs"
          % (SEED, ROUNDS, model.sent, model.acked, total_verified,
             len(model.present), snaps_written, len(stale_tmp), elapsed))
    print("per round (round, signal, load s, acked, restart s): %s"
          % per_round)
    # the test must actually have exercised snapshots and log purging
    assert snaps_written >= 3, ("expected several snapshots with snapCount "
                                "%d, saw %d" % (SNAPCOUNT, snaps_written))
    import sqlite3
    db = sqlite3.connect("file:%s?mode=ro" % server.db_path, uri=True)
    try:
        first = db.execute("SELECT MIN(zxid) FROM log").fetchone()[0]
    finally:
        db.close()
    assert first is not None and first > 1, (
        "the log was never purged (first zxid %r)" % first)
