"""Sessions: ephemerals on close/expiry, resume, timeout negotiation."""

import time

import pytest
from kazoo.protocol.states import KazooState

from conftest import make_kazoo, wait_until, MIN_SESSION_TIMEOUT_MS, \
    MAX_SESSION_TIMEOUT_MS
from jute_client import ConnectionClosed, CreateMode, Err, JuteClient, Op


def test_ephemeral_deleted_on_close(server, zk2, base):
    c = make_kazoo(server.hosts)
    p = c.create(base + "/eph", b"", ephemeral=True)
    p2 = c.create(base + "/eseq-", b"", ephemeral=True, sequence=True)
    assert zk2.exists(p) is not None and zk2.exists(p2) is not None
    c.stop()
    c.close()
    # closeSession is synchronous: gone immediately for the other client
    assert zk2.exists(p) is None
    assert zk2.exists(p2) is None
    assert zk2.get_children(base) == []


def test_ephemeral_deleted_on_session_expiry(server, zk2, base):
    raw = JuteClient(server.host, server.port, timeout_ms=2000)
    assert raw.negotiated_timeout == 2000
    p = raw.create(base + "/expiring", b"x", flags=CreateMode.EPHEMERAL)
    _, st = zk2.get(p)
    assert st.ephemeralOwner == raw.session_id
    t0 = time.monotonic()
    # the raw client just stops sending (no ping, no close): must expire
    assert wait_until(lambda: zk2.exists(p) is None, timeout=10.0)
    elapsed = time.monotonic() - t0
    assert elapsed >= 1.0, "expired too early (%.2fs)" % elapsed
    # the server closes the expired session's connection
    assert raw.is_closed_by_server(timeout=5.0)
    raw.close_socket()


def test_pings_keep_session_alive(server, zk2, base):
    raw = JuteClient(server.host, server.port, timeout_ms=1000)
    p = raw.create(base + "/kept", b"", flags=CreateMode.EPHEMERAL)
    t_end = time.monotonic() + 3.0
    while time.monotonic() < t_end:
        rep = raw.ping()
        assert rep.xid == -2 and rep.err == 0
        time.sleep(0.25)
    assert zk2.exists(p) is not None
    raw.close()
    assert zk2.exists(p) is None


def test_expired_session_resume_gets_expired(server, kazoo_factory, base):
    raw = JuteClient(server.host, server.port, timeout_ms=1000)
    sid, pw = raw.session_id, raw.passwd
    # expired (an ensemble of three JVMs on a loaded machine may take longer than one server)
    assert raw.is_closed_by_server(timeout=20.0)
    again = JuteClient(server.host, server.port, timeout_ms=1000,
                       session_id=sid, passwd=pw)
    assert again.session_id == 0 and again.negotiated_timeout == 0
    assert again.is_closed_by_server(timeout=3.0)


def test_session_resume_keeps_ephemerals(server, zk2, base):
    raw = JuteClient(server.host, server.port, timeout_ms=10000)
    sid, pw = raw.session_id, raw.passwd
    assert len(pw) == 16
    p = raw.create(base + "/mine", b"", flags=CreateMode.EPHEMERAL)
    raw.close_socket()  # drop TCP without closeSession
    c = make_kazoo(server.hosts, client_id=(sid, pw))
    try:
        assert c.client_id[0] == sid
        _, st = c.get(p)
        assert st.ephemeralOwner == sid
        assert zk2.exists(p) is not None
    finally:
        c.stop()
        c.close()
    assert zk2.exists(p) is None


def test_session_resume_raw_returns_same_password(server, base):
    a = JuteClient(server.host, server.port, timeout_ms=10000)
    a.close_socket()
    b = JuteClient(server.host, server.port, timeout_ms=8000,
                   session_id=a.session_id, passwd=a.passwd)
    try:
        assert b.session_id == a.session_id
        assert b.passwd == a.passwd
        assert b.negotiated_timeout == 8000
        assert b.exists(base) is not None
    finally:
        b.close()


def test_wrong_password_is_rejected(server, base):
    a = JuteClient(server.host, server.port, timeout_ms=10000)
    try:
        bad = bytes(x ^ 0xFF for x in a.passwd)
        b = JuteClient(server.host, server.port, timeout_ms=10000,
                       session_id=a.session_id, passwd=bad, connect=False)
        # ZooKeeper answers a ConnectResponse with timeout 0, session 0 and
        # a 16-byte zero password, then closes the connection.  (Real ZK
        # sometimes closes before that response is flushed, so a bare close
        # is tolerated too; a real session is never granted.)
        try:
            b.handshake(10000, a.session_id, bad, 0)
        except ConnectionClosed:
            pass
        else:
            assert b.negotiated_timeout == 0
            assert b.session_id == 0
            assert b.passwd == b"\x00" * 16
            assert b.is_closed_by_server(timeout=3.0)
        # ANY connect attempt naming an existing session (even with a wrong
        # password) makes ZooKeeper close that session's current connection
        assert a.is_closed_by_server(timeout=3.0)
        # ... but the session itself is alive: resume with the right password
        a2 = JuteClient(server.host, server.port, timeout_ms=10000,
                        session_id=a.session_id, passwd=a.passwd)
        assert a2.session_id == a.session_id
        assert a2.exists(base) is not None
        a2.close()
    finally:
        a.close_socket()


def test_wrong_password_kazoo_session_expired(server, zk2, base):
    p = zk2.create(base + "/e", b"", ephemeral=True)
    sid, pw = zk2.client_id
    c = make_kazoo(server.hosts, start=False,
                   client_id=(sid, b"\x01" * 16))
    states = []
    c.add_listener(states.append)
    try:
        # kazoo sees SessionExpired (LOST) and transparently starts a NEW
        # session
        c.start(timeout=10)
        assert c.client_id[0] != sid
        assert c.exists(p) is not None
    finally:
        c.stop()
        c.close()
    # the real owner's connection was kicked, but its session and ephemeral
    # survive (kazoo reconnects with the same session id)
    from kazoo.retry import KazooRetry
    retry = KazooRetry(max_tries=20, delay=0.2, max_delay=1)
    assert retry(zk2.exists, p) is not None
    assert wait_until(lambda: zk2.client_id[0] == sid, 10)


def test_unknown_session_id_rejected(server):
    b = JuteClient(server.host, server.port, timeout_ms=5000,
                   session_id=0x7123456789, passwd=b"\x00" * 16)
    assert b.session_id == 0 and b.negotiated_timeout == 0
    assert b.is_closed_by_server(timeout=3.0)


@pytest.mark.parametrize("asked,expected", [
    (100, MIN_SESSION_TIMEOUT_MS),
    (MIN_SESSION_TIMEOUT_MS, MIN_SESSION_TIMEOUT_MS),
    (2500, 2500),
    (100000, MAX_SESSION_TIMEOUT_MS),
])
def test_session_timeout_negotiation(server, asked, expected):
    c = JuteClient(server.host, server.port, timeout_ms=asked)
    try:
        assert c.negotiated_timeout == expected
        assert c.session_id != 0
        assert c.protocol_version == 0
        assert c.read_only is False
    finally:
        c.close()


def test_session_ids_unique(server):
    clients = [JuteClient(server.host, server.port, timeout_ms=5000)
               for _ in range(5)]
    try:
        ids = {c.session_id for c in clients}
        assert len(ids) == 5
    finally:
        for c in clients:
            c.close()


def test_close_session_reply_then_connection_closed(server):
    c = JuteClient(server.host, server.port, timeout_ms=5000)
    rep = c.call(Op.CLOSE_SESSION, b"", timeout=5)
    assert rep.err == Err.OK
    assert c.is_closed_by_server(timeout=3.0)
    c.close_socket()
    # a closed session cannot be resumed
    d = JuteClient(server.host, server.port, timeout_ms=5000,
                   session_id=c.session_id, passwd=c.passwd)
    assert d.session_id == 0 and d.negotiated_timeout == 0
    d.close_socket()


def test_ephemeral_survives_server_restart_then_expires(server_factory,
                                                        tmp_path):
    """Sessions are persisted: after a restart the ephemeral is still there
    until its session times out."""
    s = server_factory()
    raw = JuteClient(s.host, s.port, timeout_ms=4000)
    raw.create("/persist", b"p")
    raw.create("/eph", b"", flags=CreateMode.EPHEMERAL)
    raw.close_socket()
    s.stop()
    s.start()
    c = make_kazoo(s.hosts)
    try:
        assert c.get("/persist")[0] == b"p"
        assert wait_until(lambda: c.exists("/eph") is None, timeout=15)
    finally:
        c.stop()
        c.close()
