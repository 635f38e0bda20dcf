"""Raw jute protocol features that kazoo 2.8 does not expose."""

import time

import pytest

from conftest import CONTAINER_CHECK_INTERVAL_MS, ENSEMBLE, wait_until
from jute_client import (AddWatchMode, ConnectionClosed, CreateMode, Err,
                         EventType, JuteClient, Op, WatcherType, Writer,
                         create_body, path_body, path_watch_body)

ET = EventType


def test_create2_returns_stat(jc, base):
    path, st = jc.create2(base + "/c2", b"data")
    assert path == base + "/c2"
    assert st.dataLength == 4 and st.version == 0
    assert st.czxid == st.mzxid == st.pzxid
    data, st2 = jc.get_data(path)
    assert data == b"data"
    assert repr(st2) == repr(st)


def test_create_container_and_reaping(jc, base):
    path, st = jc.create_container(base + "/cont", b"x")
    assert path == base + "/cont"
    # containers report ephemeralOwner 0 like persistent nodes
    assert st.ephemeralOwner == 0
    jc.create(base + "/cont/kid")
    jc.create_container(base + "/never_used")
    time.sleep(2.5 * CONTAINER_CHECK_INTERVAL_MS / 1000)
    # a container with children is never reaped
    assert jc.exists(base + "/cont") is not None
    jc.delete(base + "/cont/kid")
    assert wait_until(lambda: jc.exists(base + "/cont") is None, 6.0)
    # a container that never had a child is not reaped
    # (znode.container.maxNeverUsedIntervalMs=0)
    assert jc.exists(base + "/never_used") is not None
    # flags=CONTAINER via plain create / create2 is accepted but makes an
    # ordinary persistent node that is never reaped
    for op in (Op.CREATE, Op.CREATE2):
        p = base + "/plain%d" % op
        assert jc.call(op, create_body(p, flags=CreateMode.CONTAINER)).err \
            == 0
        jc.create(p + "/k")
        jc.delete(p + "/k")
    time.sleep(2.5 * CONTAINER_CHECK_INTERVAL_MS / 1000)
    assert jc.exists(base + "/plain1") is not None
    assert jc.exists(base + "/plain15") is not None


def test_create_ttl_and_reaping(jc, base):
    path, st = jc.create_ttl(base + "/ttl", b"t", ttl=500)
    assert path == base + "/ttl"
    assert st.ephemeralOwner == 0 and st.dataLength == 1
    path2, _ = jc.create_ttl(base + "/ttlkid", b"", ttl=500)
    jc.create(path2 + "/k")
    seq, _ = jc.create_ttl(base + "/tseq-", b"", ttl=60000,
                           flags=CreateMode.PERSISTENT_SEQUENTIAL_WITH_TTL)
    assert seq == base + "/tseq-%010d" % 2
    assert wait_until(lambda: jc.exists(path) is None, 6.0)
    # a TTL node with children is not reaped; a long TTL is not reaped
    assert jc.exists(path2) is not None
    assert jc.exists(seq) is not None


@pytest.mark.parametrize("op,flags,ttl,err", [
    (Op.CREATE_TTL, CreateMode.PERSISTENT_WITH_TTL, 0, Err.BAD_ARGUMENTS),
    (Op.CREATE_TTL, CreateMode.PERSISTENT, 100, Err.BAD_ARGUMENTS),
    (Op.CREATE, CreateMode.PERSISTENT_WITH_TTL, None, Err.BAD_ARGUMENTS),
    (Op.CREATE, 99, None, Err.BAD_ARGUMENTS),
])
def test_create_mode_validation(jc, base, op, flags, ttl, err):
    rep = jc.call(op, create_body(base + "/bad", flags=flags, ttl=ttl))
    assert rep.err == err
    assert jc.exists(base + "/bad") is None


def test_add_watch_persistent_recursive(jute_factory, base):
    w = jute_factory()
    c = jute_factory()
    rep = w.add_watch(base, AddWatchMode.PERSISTENT_RECURSIVE)
    assert rep.err == 0 and rep.body.remaining() == 4  # ErrorResponse
    c.create(base + "/a")
    c.set_data(base + "/a", b"x")
    c.create(base + "/a/b")
    c.set_data(base, b"y")
    c.delete(base + "/a/b")
    c.delete(base + "/a")
    evs = w.wait_events(6, timeout=5)
    evs += w.drain_events(0.3)
    assert [e.key() for e in evs] == [
        (ET.NODE_CREATED, base + "/a"),
        (ET.NODE_DATA_CHANGED, base + "/a"),
        (ET.NODE_CREATED, base + "/a/b"),
        (ET.NODE_DATA_CHANGED, base),
        (ET.NODE_DELETED, base + "/a/b"),
        (ET.NODE_DELETED, base + "/a"),
    ]  # no NodeChildrenChanged for recursive watches
    assert all(e.state == 3 and e.zxid == -1 for e in evs)
    # persistent: still there
    c.create(base + "/again")
    assert [e.key() for e in w.wait_events(1)] == [
        (ET.NODE_CREATED, base + "/again")]


def test_add_watch_persistent(jute_factory, base):
    w = jute_factory()
    c = jute_factory()
    assert w.add_watch(base, AddWatchMode.PERSISTENT).err == 0
    c.create(base + "/a")
    c.set_data(base + "/a", b"x")     # no event: not on the watched node
    c.create(base + "/a/b")           # no event
    c.set_data(base, b"y")
    c.delete(base + "/a/b")
    c.delete(base + "/a")
    evs = w.wait_events(3, timeout=5) + w.drain_events(0.3)
    assert [e.key() for e in evs] == [
        (ET.NODE_CHILDREN_CHANGED, base),
        (ET.NODE_DATA_CHANGED, base),
        (ET.NODE_CHILDREN_CHANGED, base),
    ]
    # on a missing node a persistent watch fires NodeCreated
    assert w.add_watch(base + "/later", AddWatchMode.PERSISTENT).err == 0
    c.create(base + "/later")
    evs = w.wait_events(2, timeout=5) + w.drain_events(0.3)
    assert sorted(e.key() for e in evs) == sorted([
        (ET.NODE_CREATED, base + "/later"),
        (ET.NODE_CHILDREN_CHANGED, base)])


def test_check_and_remove_watches(jute_factory, base):
    w = jute_factory()
    c = jute_factory()
    # no watch at all -> NoWatcher (-121)
    assert w.check_watches(base, WatcherType.DATA).err == Err.NO_WATCHER
    assert w.check_watches(base, WatcherType.ANY).err == Err.NO_WATCHER
    assert w.remove_watches(base, WatcherType.ANY).err == Err.NO_WATCHER
    w.get_data(base, watch=True)
    assert w.check_watches(base, WatcherType.DATA).err == 0
    assert w.check_watches(base, WatcherType.ANY).err == 0
    assert w.check_watches(base, WatcherType.CHILDREN).err == Err.NO_WATCHER
    w.get_children(base, watch=True)
    assert w.check_watches(base, WatcherType.CHILDREN).err == 0
    rep = w.remove_watches(base, WatcherType.ANY)
    assert rep.err == 0
    # the server sends no notification for removed watches (the
    # DataWatchRemoved events are generated client-side)
    assert w.drain_events(0.3) == []
    assert w.check_watches(base, WatcherType.ANY).err == Err.NO_WATCHER
    c.set_data(base, b"z")
    c.create(base + "/k")
    assert w.drain_events(0.5) == []
    # a persistent watch satisfies checkWatches for every type
    w.add_watch(base, AddWatchMode.PERSISTENT)
    for t in (WatcherType.DATA, WatcherType.CHILDREN, WatcherType.ANY):
        assert w.check_watches(base, t).err == 0
    assert w.remove_watches(base, WatcherType.ANY).err == 0
    assert w.remove_watches(base, WatcherType.ANY).err == Err.NO_WATCHER


def test_multi_read(jc, base):
    jc.create(base + "/a", b"A")
    jc.create(base + "/b", b"")
    rep, res = jc.multi([(Op.GET_DATA, path_watch_body(base + "/a")),
                         (Op.GET_CHILDREN, path_watch_body(base)),
                         (Op.GET_DATA, path_watch_body(base + "/nope")),
                         (Op.GET_CHILDREN, path_watch_body(base + "/a"))],
                        opcode=Op.MULTI_READ)
    assert rep.err == 0
    assert res[0][0] == Op.GET_DATA and res[0][2][0] == b"A"
    assert res[0][2][1].dataLength == 1
    assert res[1][0] == Op.GET_CHILDREN and sorted(res[1][2]) == ["a", "b"]
    # a failing read does not abort the others (not atomic)
    assert res[2] == (Op.ERROR, Err.NO_NODE, None)
    assert res[3] == (Op.GET_CHILDREN, 0, [])
    # write ops are rejected in multiRead
    w = Writer()
    w.int(Op.CREATE).bool(False).int(-1).raw(create_body(base + "/zz"))
    w.int(-1).bool(True).int(-1)
    rep = jc.call(Op.MULTI_READ, w.bytes())
    assert rep.err == Err.MARSHALLING_ERROR
    assert jc.exists(base + "/zz") is None


def test_get_ephemerals(jute_factory, base):
    a = jute_factory()
    b = jute_factory()
    a.create(base + "/e1", b"", flags=CreateMode.EPHEMERAL)
    a.create(base + "/sub", b"")
    a.create(base + "/sub/e2", b"", flags=CreateMode.EPHEMERAL)
    b.create(base + "/other", b"", flags=CreateMode.EPHEMERAL)
    assert sorted(a.get_ephemerals(base)) == [base + "/e1", base + "/sub/e2"]
    assert a.get_ephemerals(base + "/sub") == [base + "/sub/e2"]
    assert base + "/e1" in a.get_ephemerals("/")
    assert b.get_ephemerals(base) == [base + "/other"]
    # prefix is a string prefix, and a missing path is just empty
    assert sorted(a.get_ephemerals(base + "/e")) == [base + "/e1"]
    assert a.get_ephemerals(base + "/nope") == []


def test_get_all_children_number(jc, base):
    jc.create(base + "/a")
    jc.create(base + "/a/b")
    jc.create(base + "/a/b/c")
    jc.create(base + "/d")
    assert jc.get_all_children_number(base) == 4
    assert jc.get_all_children_number(base + "/a/b/c") == 0
    rep = jc.call(Op.GET_ALL_CHILDREN_NUMBER, path_body(base + "/nope"))
    assert rep.err == Err.NO_NODE


def test_who_am_i(jc):
    assert jc.who_am_i() == [("ip", "127.0.0.1")]
    rep = jc.add_auth("digest", b"someone:pw")
    assert rep.err == 0 and rep.xid == -4
    # order is not specified (a set on the server)
    assert sorted(jc.who_am_i()) == [("digest", "someone"),
                                     ("ip", "127.0.0.1")]


def test_bad_auth_scheme_closes_connection(jc):
    rep = jc.add_auth("nosuchscheme", b"x")
    assert rep.err == Err.AUTH_FAILED and rep.xid == -4
    assert jc.is_closed_by_server(3.0)


def test_set_watches2(jute_factory, base):
    c = jute_factory()
    c.create(base + "/d", b"0")
    c.create(base + "/ch", b"")
    zxid = c.last_zxid
    # changes happen before the watches are (re)registered
    c.set_data(base + "/d", b"1")
    c.create(base + "/ex", b"")
    c.create(base + "/ch/k", b"")
    w = jute_factory()
    rep = w.set_watches2(zxid, data=[base + "/d"], exist=[base + "/ex"],
                         child=[base + "/ch"],
                         persistent=[base + "/p"],
                         persistent_recursive=[base + "/r"])
    assert rep.err == 0 and rep.xid == -8
    evs = w.wait_events(3, timeout=5) + w.drain_events(0.3)
    assert sorted(e.key() for e in evs) == sorted([
        (ET.NODE_DATA_CHANGED, base + "/d"),
        (ET.NODE_CREATED, base + "/ex"),
        (ET.NODE_CHILDREN_CHANGED, base + "/ch")])
    # the persistent ones were registered
    c.create(base + "/p")
    c.create(base + "/r")
    c.create(base + "/r/x")
    evs = w.wait_events(3, timeout=5) + w.drain_events(0.3)
    assert [e.key() for e in evs] == [
        (ET.NODE_CREATED, base + "/p"),
        (ET.NODE_CREATED, base + "/r"),
        (ET.NODE_CREATED, base + "/r/x")]
    # an up-to-date relative zxid fires nothing; the watches are armed
    w2 = jute_factory()
    w2.set_watches2(c.last_zxid, data=[base + "/d"])
    assert w2.drain_events(0.3) == []
    c.set_data(base + "/d", b"2")
    assert [e.key() for e in w2.wait_events(1)] == [
        (ET.NODE_DATA_CHANGED, base + "/d")]


def test_get_set_acl_raw(jc, base):
    acl = [(1, "world", "anyone"), (31, "ip", "127.0.0.1")]
    st = jc.set_acl(base, acl, version=0)
    assert st.aversion == 1
    got, st2 = jc.get_acl(base)
    assert got == acl and st2.aversion == 1
    rep = jc.call(Op.SET_ACL, Writer().string(base).acls(acl).int(7).bytes())
    assert rep.err == Err.BAD_VERSION


def test_sync(jc, base):
    assert jc.sync(base) == base
    # sync does not check existence
    assert jc.sync(base + "/nope") == base + "/nope"


def test_reconfig_disabled_on_standalone(jc):
    body = (Writer().string(None).string(None)
            .string("server.1=127.0.0.1:2888:3888").long(-1).bytes())
    rep = jc.call(Op.RECONFIG, body)
    assert rep.err == Err.RECONFIG_DISABLED
    assert rep.body.remaining() == 0


def test_ping(jc):
    rep = jc.ping()
    assert rep.xid == -2 and rep.err == 0
    assert rep.zxid >= 0


def test_unknown_opcode(jc, base):
    rep = jc.call(77, b"abc")
    assert rep.err == Err.UNIMPLEMENTED
    assert rep.zxid == -1
    # ... and then the server closes the connection
    assert jc.is_closed_by_server(3.0)


def test_create_session_opcode_in_session(jc, base):
    rep = jc.call(Op.CREATE_SESSION, b"")
    assert rep.err == Err.MARSHALLING_ERROR


def test_delete_container_opcode_from_client(jc, base):
    jc.create_container(base + "/c")
    rep = jc.call(Op.DELETE_CONTAINER, path_body(base + "/c"))
    assert rep.err == Err.BAD_ARGUMENTS
    assert jc.exists(base + "/c") is not None


def test_check_outside_multi_gets_no_reply(jute_factory, base):
    c = jute_factory()
    xid = c.send_request(Op.CHECK, Writer().string(base).int(0).bytes())
    if ENSEMBLE:
        # A ZooKeeper follower closes the connection instead (the leader's reply for a check
        # outside multi cannot be serialized either).
        with pytest.raises(ConnectionClosed):
            c.read_reply(xid, timeout=5.0)
        return
    with pytest.raises(TimeoutError):
        c.read_reply(xid, timeout=1.5)
    # ... but the connection and session keep working
    assert c.ping().err == 0
    assert c.exists(base) is not None


def test_notification_zxid_and_xid_ordering(jute_factory, base):
    w = jute_factory()
    c = jute_factory()
    w.get_data(base, watch=True)
    c.set_data(base, b"q")
    # a read issued after the change sees the event first on the wire
    time.sleep(0.2)
    data, _ = w.get_data(base)
    assert data == b"q"
    assert len(w.events) == 1
    ev = w.events[0]
    assert ev.type == ET.NODE_DATA_CHANGED and ev.path == base
    assert ev.state == 3 and ev.zxid == -1
