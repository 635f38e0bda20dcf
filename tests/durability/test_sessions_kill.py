"""Sessions survive a SIGKILL (not a clean stop) + restart: a client that
reconnects within its timeout keeps its session and its ephemerals; a
session whose client does not come back expires and its ephemerals go."""

import threading
import time

from jute_client import CreateMode
from caucus_proc import wait_until


def test_ephemeral_survives_sigkill_when_client_reconnects(caucus_factory):
    server = caucus_factory()
    server.start()
    keep = server.client(timeout_ms=8000)
    gone = server.client(timeout_ms=3000)
    assert keep.negotiated_timeout == 8000
    assert gone.negotiated_timeout == 3000
    keep.create("/eph-keep", b"k", flags=CreateMode.EPHEMERAL)
    gone.create("/eph-gone", b"g", flags=CreateMode.EPHEMERAL)
    keep_sid, keep_pw = keep.session_id, keep.passwd
    keep.close_socket()
    gone.close_socket()

    server.kill()
    t_kill = time.monotonic()
    server.start()

    # reconnect the first session well within its 8 s timeout
    again = server.client(timeout_ms=8000, session_id=keep_sid,
                          passwd=keep_pw)
    assert time.monotonic() - t_kill < 8
    assert again.session_id == keep_sid, "session not resumed"
    assert again.negotiated_timeout > 0, "session reported expired"
    st = again.exists("/eph-keep")
    assert st is not None, "ephemeral of a live session lost by SIGKILL"
    assert st.ephemeralOwner == keep_sid
    # the other session's ephemeral is there until its timeout runs out
    st = again.exists("/eph-gone")
    assert st is not None and st.ephemeralOwner == gone.session_id

    # keep the resumed session alive with pings while the other expires
    def gone_expired():
        again.ping()
        return again.exists("/eph-gone") is None
    assert wait_until(gone_expired, timeout=3.0 + 6.0, interval=0.5), (
        "ephemeral of a session that never came back did not expire")
    assert time.monotonic() - t_kill >= 2.5, "expired too early"
    assert again.exists("/eph-keep") is not None

    # the expiry is durable too, and the resumed session survives a second
    # SIGKILL
    again.close_socket()
    server.kill()
    server.start()
    c = server.client(timeout_ms=8000, session_id=keep_sid, passwd=keep_pw)
    assert c.session_id == keep_sid and c.negotiated_timeout > 0
    assert c.exists("/eph-keep") is not None
    assert c.exists("/eph-gone") is None
    # the expired session cannot be resumed
    old = server.client(timeout_ms=3000, session_id=gone.session_id,
                        passwd=gone.passwd)
    assert old.negotiated_timeout == 0, "expired session came back"
    old.close_socket()
    c.close()  # explicit close removes the ephemeral
    v = server.client()
    assert v.exists("/eph-keep") is None
    v.close()


def test_ephemeral_expires_after_sigkill_without_reconnect(caucus_factory):
    server = caucus_factory()
    server.start()
    c = server.client(timeout_ms=2000)
    c.create("/lonely", b"x", flags=CreateMode.EPHEMERAL)
    sid = c.session_id
    c.close_socket()
    server.kill()
    server.start()
    t0 = time.monotonic()
    v = server.client(timeout_ms=10000)
    st = v.exists("/lonely")
    assert st is not None and st.ephemeralOwner == sid, (
        "ephemeral gone right after restart (session not restored)")

    def expired():
        v.ping()
        return v.exists("/lonely") is None
    assert wait_until(expired, timeout=8.0, interval=0.2)
    assert time.monotonic() - t0 >= 1.0, "session expired before its timeout"
    v.close()


def test_kazoo_session_resumes_across_sigkill(caucus_factory, kazoo_factory):
    from kazoo.protocol.states import KazooState
    server = caucus_factory()
    server.start()
    zk = kazoo_factory(server.hosts, timeout=10.0)
    states = []
    lost = threading.Event()

    def listener(state):
        states.append(state)
        if state == KazooState.LOST:
            lost.set()
    zk.add_listener(listener)
    zk.create("/kz-eph", b"e", ephemeral=True)
    sid = zk.client_id[0]
    server.kill()
    time.sleep(0.5)
    server.start()
    assert wait_until(lambda: zk.connected and
                      states[-1:] == [KazooState.CONNECTED], timeout=15), (
        "kazoo did not reconnect: %s" % states)
    assert not lost.is_set(), "session was lost: %s" % states
    assert zk.client_id[0] == sid
    data, st = zk.get("/kz-eph")
    assert data == b"e" and st.ephemeralOwner == sid
    zk.create("/kz-after", b"a")
