"""Disk trouble: the data disk (a small tmpfs) fills up while clients write.

Writes must fail with SystemError (-1, kazoo's SystemZookeeperError), never
be half-applied; reads and other sessions keep working; the server logs the
failure and stays up; writes resume once space returns; after a SIGKILL and
restart exactly the acknowledged writes are present.

Needs root (mount -t tmpfs). Not being able to mount is a failure, not a
skip.
"""

import errno
import re
import os
import subprocess
import time

import pytest

import caucus_proc
from caucus_proc import wait_until

from jute_client import ConnectionClosed

TMPFS_SIZE = "4m"


@pytest.fixture
def small_disk(workdir):
    mnt = os.path.join(workdir, "disk")
    os.makedirs(mnt)
    if os.geteuid() != 0:
        pytest.fail("test_disk_full needs root to mount a tmpfs (running as "
                    "uid %d)" % os.geteuid(), pytrace=False)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=" + TMPFS_SIZE,
                        "tmpfs", mnt], capture_output=True, text=True,
                       timeout=30)
    if r.returncode != 0:
        pytest.fail("cannot mount a %s tmpfs on %s (rc %d): %s"
                    % (TMPFS_SIZE, mnt, r.returncode, r.stderr.strip()),
                    pytrace=False)
    yield mnt
    # caucus_factory (requested after this fixture) has killed its servers
    # already; make sure nothing still holds the mount
    for s in list(caucus_proc._live):
        if s.data_dir.startswith(mnt):
            s.kill()
    for _ in range(50):
        r = subprocess.run(["umount", mnt], capture_output=True, text=True,
                           timeout=30)
        if r.returncode == 0:
            break
        time.sleep(0.1)
    else:
        raise AssertionError("cannot unmount %s: %s" % (mnt, r.stderr))


def fill(path, chunk=64 * 1024):
    """Writes `path` until the file system is full; returns bytes written."""
    written = 0
    buf = b"\xab" * chunk
    with open(path, "wb") as f:
        while True:
            try:
                n = os.write(f.fileno(), buf if chunk else buf)
            except OSError as e:
                if e.errno != errno.ENOSPC:
                    raise
                if chunk > 512:
                    chunk //= 8
                    buf = buf[:chunk]
                    continue
                break
            written += n
    return written


def test_disk_full_fails_writes_keeps_reads_and_recovers(
        small_disk, caucus_factory, kazoo_factory):
    from kazoo.exceptions import SystemZookeeperError

    server = caucus_factory(data_dir=os.path.join(small_disk, "data"),
                            log_dir=os.path.join(small_disk, "log"),
                            snap_count=400)
    server.start()
    zk = kazoo_factory(server.hosts, timeout=20.0)
    other = kazoo_factory(server.hosts, timeout=20.0)
    zk.create("/df", b"root")
    payload = b"x" * 700

    acked = {}    # path -> data
    failed = set()
    for i in range(200):
        p = "/df/before-%04d" % i
        zk.create(p, payload + p.encode())
        acked[p] = payload + p.encode()
    zk.create("/df/ctr", b"0")
    off = server.log_size()

    filler = os.path.join(small_disk, "filler")
    fill(filler)
    # keep writing until the log can no longer grow; a second round of
    # filling takes whatever the server's own files freed meanwhile
    first_failure = None
    i = 0
    deadline = time.monotonic() + 60
    consecutive = 0
    while time.monotonic() < deadline and consecutive < 20:
        p = "/df/during-%05d" % i
        data = payload + p.encode()
        i += 1
        try:
            zk.create(p, data)
            acked[p] = data
            consecutive = 0
        except SystemZookeeperError:
            failed.add(p)
            consecutive += 1
            if first_failure is None:
                first_failure = i
        if i % 50 == 0:
            fill(filler + ".%d" % i)
    assert first_failure is not None, (
        "no write failed after %d creates on a full disk; log tail:\n%s"
        % (i, server.log_tail()))
    assert consecutive >= 20, "writes kept succeeding intermittently"
    print("\ndisk full: first failure at write %d, %d acked, %d failed"
          % (first_failure, len(acked), len(failed)))

    # the failed creates did not happen, not even in memory
    for p in sorted(failed)[:50]:
        assert zk.exists(p) is None, "failed create %s is visible" % p
    # setData fails too and leaves the node unchanged
    with pytest.raises(SystemZookeeperError):
        zk.set("/df/ctr", b"1")
    data, st = zk.get("/df/ctr")
    assert (data, st.version) == (b"0", 0)
    # reads keep working, on this and on another session
    some = sorted(acked)[0]
    assert zk.get(some)[0] == acked[some]
    assert other.get(some)[0] == acked[some]
    assert set(other.get_children("/df")) >= {p.rsplit("/", 1)[1]
                                              for p in acked}
    with pytest.raises(SystemZookeeperError):
        other.create("/df/other-session", b"x")
    assert server.alive(), "server died on a full disk"
    assert server.four("ruok") == "imok"
    log = server.log_since(off)
    assert "transaction log write failed" in log, (
        "no log line about the failed write; log:\n%s" % log[-3000:])
    assert ("full" in log.lower() or "space" in log.lower()), (
        "the log line does not say the disk is full:\n%s" % log[-3000:])

    # a brand-new session cannot be made durable: refused, server stays up
    try:
        c = server.client(timeout_ms=5000, io_timeout=5.0)
        c.close_socket()
        new_session_ok = True
    except (ConnectionClosed, OSError, ValueError):
        new_session_ok = False
    assert server.alive()

    # space comes back: writes resume
    for name in os.listdir(small_disk):
        if name.startswith("filler"):
            os.unlink(os.path.join(small_disk, name))
    resumed_after = None
    t0 = time.monotonic()
    j = 0
    while time.monotonic() - t0 < 10:
        p = "/df/after-%04d" % j
        j += 1
        try:
            zk.create(p, b"after" + p.encode())
            acked[p] = b"after" + p.encode()
            resumed_after = j
            break
        except SystemZookeeperError:
            failed.add(p)
            time.sleep(0.1)
    assert resumed_after is not None, ("writes did not resume after space "
                                       "returned; log tail:\n%s"
                                       % server.log_tail())
    assert resumed_after == 1, ("the first write after space returned "
                                "failed (%d attempts)" % resumed_after)
    for k in range(100):
        p = "/df/after2-%04d" % k
        zk.create(p, b"a2" + p.encode())
        acked[p] = b"a2" + p.encode()
    zk.set("/df/ctr", b"2")
    # new sessions work again
    c = server.client(timeout_ms=5000)
    c.close()

    # SIGKILL and restart: exactly the acknowledged writes are there
    zk.stop()
    other.stop()
    server.kill()
    server.start()
    check = kazoo_factory(server.hosts)
    names = set(check.get_children("/df"))
    expect = {p.rsplit("/", 1)[1] for p in acked} | {"ctr"}
    missing = expect - names
    extra = names - expect
    assert not missing, "acknowledged writes lost: %s" % sorted(missing)[:20]
    assert not extra, "failed writes present after restart: %s" % (
        sorted(extra)[:20])
    for p in sorted(acked):
        assert check.get(p)[0] == acked[p], p
    data, st = check.get("/df/ctr")
    assert (data, st.version) == (b"2", 1)
    print("disk full: new session during full disk %s; %d acked writes "
          "verified after restart" % ("accepted" if new_session_ok
                                      else "refused", len(acked)))


def test_disk_fills_under_pipelined_writes(small_disk, caucus_factory,
                                           kazoo_factory):
    """Many async writes in flight while the disk fills mid-stream (some
    space left, so group-commit batches succeed and then fail): every write
    gets success or SystemError, and after SIGKILL + restart exactly the
    successful ones exist (failed zxids are reused without leaving
    ghosts)."""
    from kazoo.exceptions import SystemZookeeperError

    server = caucus_factory(data_dir=os.path.join(small_disk, "data"),
                            log_dir=os.path.join(small_disk, "log"),
                            snap_count=300)
    server.start()
    zk = kazoo_factory(server.hosts, timeout=20.0)
    zk.create("/pf", b"")
    st = os.statvfs(small_disk)
    free = st.f_bavail * st.f_frsize
    # leave ~300 KB: a few hundred writes fit, then the log cannot grow
    with open(os.path.join(small_disk, "filler"), "wb") as f:
        f.write(b"\0" * max(0, free - 300 * 1024))
    results = {}
    outcomes = {"ok": 0, "syserr": 0}
    waves = 0
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        batch = []
        for k in range(200):
            p = "/pf/n-%d-%03d" % (waves, k)
            data = (p.encode() + b":") * 40
            batch.append((p, data, zk.create_async(p, data)))
        for p, data, a in batch:
            try:
                a.get(timeout=30)
                results[p] = ("ok", data)
                outcomes["ok"] += 1
            except SystemZookeeperError:
                results[p] = ("fail", data)
                outcomes["syserr"] += 1
        waves += 1
        if all(results[p][0] == "fail" for p, _, _ in batch):
            break
        fill(os.path.join(small_disk, "filler.%d" % waves))
    print("\npipelined disk full: %d waves, %s" % (waves, outcomes))
    assert outcomes["syserr"] > 0, "the disk never filled up"
    assert outcomes["ok"] > 0
    assert server.alive()
    # what the live server shows matches the replies
    names = set(zk.get_children("/pf"))
    ok = {p.rsplit("/", 1)[1] for p, (r, _) in results.items() if r == "ok"}
    assert names == ok, ("live tree differs from replies: missing %s, "
                         "extra %s" % (sorted(ok - names)[:10],
                                       sorted(names - ok)[:10]))
    for name in os.listdir(small_disk):
        if name.startswith("filler"):
            os.unlink(os.path.join(small_disk, name))
    zk.create("/pf/after", b"after")
    last = zk.exists("/pf/after").mzxid
    zk.stop()
    server.kill()
    server.start()
    check = kazoo_factory(server.hosts)
    names = set(check.get_children("/pf"))
    assert names == ok | {"after"}, (
        "after restart: missing %s, extra %s"
        % (sorted((ok | {"after"}) - names)[:10],
           sorted(names - ok - {"after"})[:10]))
    for p, (r, data) in sorted(results.items()):
        if r == "ok":
            assert check.get(p)[0] == data, p
    assert check.exists("/pf/after").mzxid == last


def test_restart_on_a_full_disk(small_disk, caucus_factory):
    """SIGKILL, then the disk fills before the restart: recovery still
    works (it only reads), a resumed session reads, writes fail with
    SystemError (a new session cannot be made durable and is refused), no
    crash; once space returns everything works and nothing was lost."""
    server = caucus_factory(data_dir=os.path.join(small_disk, "data"),
                            snap_count=300)
    server.start()
    c = server.client(timeout_ms=20000)
    c.create("/r", b"r")
    for i in range(50):
        c.create("/r/n%02d" % i, b"%d" % i)
    sid, pw = c.session_id, c.passwd
    c.close_socket()
    server.kill()
    fill(os.path.join(small_disk, "filler"))
    off = server.log_size()
    server.start(session_check=False)
    assert server.alive()
    c = server.client(timeout_ms=20000, session_id=sid, passwd=pw)
    assert c.session_id == sid and c.negotiated_timeout > 0
    assert c.get_data("/r/n49")[0] == b"49"
    assert sorted(c.get_children("/r")) == ["n%02d" % i for i in range(50)]
    from jute_client import ZkError
    with pytest.raises(ZkError) as ei:
        c.create("/r/full", b"x")
    assert ei.value.err == -1, "expected SystemError, got %d" % ei.value.err
    assert c.exists("/r/full") is None
    with pytest.raises((ConnectionClosed, OSError)):
        server.client(timeout_ms=5000, io_timeout=5.0).get_data("/r")
    assert server.alive(), "server died after a write failed on start-up"
    assert "transaction log write failed" in server.log_since(off)
    os.unlink(os.path.join(small_disk, "filler"))
    c.create("/r/after", b"ok")
    c.close_socket()
    server.kill()
    server.start()
    v = server.client()
    assert v.get_data("/r/after")[0] == b"ok"
    assert len(v.get_children("/r")) == 51
    v.close()


def test_mntr_counts_failed_log_writes(small_disk, caucus_factory):
    from jute_client import ZkError
    server = caucus_factory(data_dir=os.path.join(small_disk, "data"))
    server.start()
    before = server.mntr()
    c = server.client()
    fill(os.path.join(small_disk, "filler"))
    failures = 0
    for i in range(30):
        try:
            c.create("/m%d" % i, b"x" * 2000)
        except ZkError as e:
            assert e.err == -1
            failures += 1
    assert failures > 0
    after = server.mntr()
    grown = [k for k, v in after.items()
             if re.search(r"fail|error", k) and v.isdigit() and
             int(v) > int(before.get(k, "0") or 0)]
    assert grown, "no mntr counter for failed log writes: %s" % sorted(after)


def test_full_snapshot_disk_does_not_affect_writes(small_disk, caucus_factory,
                                                   workdir):
    """dataDir (snapshots) on the full tmpfs, dataLogDir on a disk with
    space: snapshots fail and are abandoned (logged, no temporary left
    behind), every write still succeeds, and snapshots resume once space
    returns."""
    log_dir = os.path.join(workdir, "biglog")
    server = caucus_factory(data_dir=os.path.join(small_disk, "data"),
                            log_dir=log_dir, snap_count=100)
    server.start()
    c = server.client()
    c.create("/sf", b"")
    fill(os.path.join(small_disk, "filler"))
    off = server.log_size()
    for i in range(1500):
        c.create("/sf/n%04d" % i, b"y" * 200)   # raises on any error
    assert server.alive()
    log = server.log_since(off)
    assert "snapshot abandoned" in log or "cannot start a snapshot" in log, (
        "no log line about the failed snapshot:\n%s" % log[-2000:])
    # (a snapshot may be in progress right now: give it time to give up)
    assert wait_until(lambda: not [n for n in os.listdir(server.snap_dir)
                                   if n.endswith(".tmp")], timeout=5), (
        "abandoned snapshot left a temporary file: %s"
        % os.listdir(server.snap_dir))
    before = len(server.snapshots())
    os.unlink(os.path.join(small_disk, "filler"))
    for i in range(1500, 2000):
        c.create("/sf/n%04d" % i, b"y" * 200)
    assert wait_until(lambda: len(server.snapshots()) > before, timeout=10), (
        "snapshots did not resume after space returned")
    c.close_socket()
    server.kill()
    server.start()
    v = server.client()
    assert len(v.get_children("/sf")) == 2000
    v.close()
