"""Basic CRUD semantics through kazoo (a stock Python client)."""

import re
import time

import pytest
from kazoo.exceptions import (BadArgumentsError, BadVersionError,
                              NoChildrenForEphemeralsError, NodeExistsError,
                              NoNodeError, NotEmptyError)

from conftest import ENSEMBLE
from jute_client import Err, Op, Writer, create_body, path_watch_body


def now_ms():
    return int(time.time() * 1000)


def test_create_persistent_and_stat(zk, base):
    before = now_ms()
    path = zk.create(base + "/node", b"hello")
    after = now_ms()
    assert path == base + "/node"
    data, st = zk.get(path)
    assert data == b"hello"
    assert st.version == 0 and st.cversion == 0 and st.aversion == 0
    assert st.ephemeralOwner == 0
    assert st.dataLength == 5
    assert st.numChildren == 0
    assert st.czxid == st.mzxid == st.pzxid
    assert st.czxid > 0
    assert st.ctime == st.mtime
    assert before - 5000 <= st.ctime <= after + 5000


def test_create_include_data_returns_stat(zk, base):
    # kazoo uses opcode create2 (15) for include_data=True
    path, st = zk.create(base + "/c2", b"abc", include_data=True)
    assert path == base + "/c2"
    _, st2 = zk.get(path)
    assert st == st2
    assert st.dataLength == 3


def test_create_ephemeral_owner_is_session(zk, base):
    path = zk.create(base + "/eph", b"x", ephemeral=True)
    _, st = zk.get(path)
    assert st.ephemeralOwner == zk.client_id[0]
    assert st.ephemeralOwner != 0


def test_sequential_names_count_creates_not_deletes(zk, base):
    # ZooKeeper stores a per-parent counter of child *creates*; the sequence
    # suffix is that counter.  The cversion reported in a Stat is derived:
    # reported_cversion = 2 * creates - numChildren  (DataNode.copyStat), so
    # it grows on deletes too, but the sequence counter does not.
    p = zk.create(base + "/seq")
    names = []
    for _ in range(3):
        names.append(zk.create(p + "/n-", sequence=True))
    assert names == [p + "/n-%010d" % i for i in range(3)]
    zk.delete(names[0])
    zk.delete(names[1])
    _, pst = zk.get(p)
    assert pst.cversion == 5          # 2*3 - 1
    assert pst.numChildren == 1
    nxt = zk.create(p + "/n-", sequence=True)
    assert nxt == p + "/n-%010d" % 3  # 3 creates so far, deletes ignored
    _, pst = zk.get(p)
    assert pst.cversion == 6          # 2*4 - 2
    # a plain (non-sequential) create also advances the counter
    zk.create(p + "/plain")
    nxt2 = zk.create(p + "/other-", sequence=True)
    assert nxt2 == p + "/other-%010d" % 5
    zk.delete(p + "/plain")
    # sequence with an empty prefix (path ends with '/')
    nxt3 = zk.create(p + "/", sequence=True)
    assert nxt3 == p + "/%010d" % 6
    _, pst = zk.get(p)
    assert pst.numChildren == 4 and pst.cversion == 2 * 7 - 4


def test_reported_cversion_formula(zk, base):
    p = zk.create(base + "/cv")
    for i in range(4):
        zk.create(p + "/c%d" % i)
    for i in range(4):
        zk.delete(p + "/c%d" % i)
    _, st = zk.get(p)
    assert st.cversion == 8 and st.numChildren == 0
    assert zk.create(p + "/s", sequence=True) == p + "/s%010d" % 4


def test_ephemeral_sequential(zk, base):
    path = zk.create(base + "/es-", b"", ephemeral=True, sequence=True)
    assert path == base + "/es-0000000000"
    _, st = zk.get(path)
    assert st.ephemeralOwner == zk.client_id[0]


def test_create_makepath(zk, base):
    path = zk.create(base + "/a/b/c", b"leaf", makepath=True)
    assert path == base + "/a/b/c"
    assert zk.get(base + "/a")[0] == b""
    assert zk.get(base + "/a/b")[0] == b""
    assert zk.get(base + "/a/b/c")[0] == b"leaf"
    assert zk.get_children(base + "/a") == ["b"]


def test_set_with_versions(zk, base):
    p = zk.create(base + "/v", b"0")
    _, st0 = zk.get(p)
    st1 = zk.set(p, b"1", version=0)
    assert st1.version == 1
    assert st1.mzxid > st0.mzxid
    assert st1.czxid == st0.czxid
    assert st1.pzxid == st0.pzxid
    assert st1.mtime >= st0.mtime
    assert st1.ctime == st0.ctime
    with pytest.raises(BadVersionError):
        zk.set(p, b"2", version=0)
    assert zk.get(p)[0] == b"1"
    st2 = zk.set(p, b"22", version=-1)
    assert st2.version == 2
    assert st2.dataLength == 2
    # setting the same data still bumps version/mzxid
    st3 = zk.set(p, b"22")
    assert st3.version == 3 and st3.mzxid > st2.mzxid


def test_exists(zk, base):
    assert zk.exists(base + "/missing") is None
    zk.create(base + "/here", b"12")
    st = zk.exists(base + "/here")
    assert st is not None and st.dataLength == 2


def test_delete_with_version(zk, base):
    p = zk.create(base + "/d", b"")
    zk.set(p, b"x")
    with pytest.raises(BadVersionError):
        zk.delete(p, version=0)
    zk.delete(p, version=1)
    assert zk.exists(p) is None
    with pytest.raises(NoNodeError):
        zk.delete(p)


def test_errors(zk, base):
    zk.create(base + "/e")
    zk.create(base + "/e/child")
    with pytest.raises(NotEmptyError):
        zk.delete(base + "/e")
    with pytest.raises(NodeExistsError):
        zk.create(base + "/e")
    with pytest.raises(NoNodeError):
        zk.create(base + "/nope/x")
    with pytest.raises(NoNodeError):
        zk.get(base + "/nope")
    with pytest.raises(NoNodeError):
        zk.set(base + "/nope", b"")
    with pytest.raises(NoNodeError):
        zk.get_children(base + "/nope")
    eph = zk.create(base + "/eph", ephemeral=True)
    with pytest.raises(NoChildrenForEphemeralsError):
        zk.create(eph + "/kid")
    with pytest.raises(NoChildrenForEphemeralsError):
        zk.create(eph + "/kid-", sequence=True)
    # error precedence: NodeExists wins over a missing parent? (parent exists
    # here) and NoNode when the parent is missing even for sequential
    with pytest.raises(NoNodeError):
        zk.create(base + "/nope/s-", sequence=True)


def test_parent_stat_on_child_create_and_delete(zk, base):
    p = zk.create(base + "/parent", b"pd")
    _, p0 = zk.get(p)
    cpath, cst = zk.create(p + "/kid", b"", include_data=True)
    _, p1 = zk.get(p)
    assert p1.cversion == p0.cversion + 1
    assert p1.numChildren == 1
    assert p1.pzxid == cst.czxid
    assert p1.mzxid == p0.mzxid and p1.version == p0.version
    assert p1.czxid == p0.czxid
    zk.delete(cpath)
    _, p2 = zk.get(p)
    assert p2.cversion == p0.cversion + 2
    assert p2.numChildren == 0
    assert p2.pzxid > cst.czxid
    assert p2.mzxid == p0.mzxid and p2.version == 0
    # the delete's zxid is what pzxid becomes: a later write has a larger one
    st = zk.set(p, b"later")
    assert st.mzxid > p2.pzxid


def test_aversion_after_set_acls(zk, base):
    from kazoo.security import OPEN_ACL_UNSAFE, READ_ACL_UNSAFE
    p = zk.create(base + "/acl", b"")
    st = zk.set_acls(p, READ_ACL_UNSAFE + OPEN_ACL_UNSAFE)
    assert st.aversion == 1
    assert st.version == 0
    with pytest.raises(BadVersionError):
        zk.set_acls(p, OPEN_ACL_UNSAFE, version=0)
    st = zk.set_acls(p, OPEN_ACL_UNSAFE, version=1)
    assert st.aversion == 2
    acls, st2 = zk.get_acls(p)
    assert st2.aversion == 2
    assert len(acls) == 1 and acls[0].perms == 31
    assert acls[0].id.scheme == "world" and acls[0].id.id == "anyone"


def test_get_children_include_data(zk, base):
    p = zk.create(base + "/gc")
    for n in ("b", "a", "c"):
        zk.create(p + "/" + n)
    children, st = zk.get_children(p, include_data=True)
    assert sorted(children) == ["a", "b", "c"]
    assert st.numChildren == 3 and st.cversion == 3
    assert sorted(zk.get_children(p)) == ["a", "b", "c"]
    assert zk.get_children(p + "/a") == []


def test_large_data_roundtrip(zk, base):
    blob = bytes(range(256)) * 2048  # 512 KiB, below jute.maxbuffer
    p = zk.create(base + "/big", blob)
    data, st = zk.get(p)
    assert data == blob and st.dataLength == len(blob)


def test_empty_and_binary_data(zk, base):
    p = zk.create(base + "/bin", b"\x00\xff\x00")
    assert zk.get(p)[0] == b"\x00\xff\x00"
    zk.set(p, b"")
    data, st = zk.get(p)
    assert data == b"" and st.dataLength == 0


def test_unicode_node_names(zk, base):
    p = zk.create(base + "/h\u00e9llo-\u65e5\u672c", b"u")
    assert zk.get_children(base) == ["h\u00e9llo-\u65e5\u672c"]
    assert zk.get(p)[0] == b"u"


def test_system_nodes(zk):
    assert zk.exists("/zookeeper") is not None
    assert zk.exists("/zookeeper/quota") is not None
    cfg = zk.exists("/zookeeper/config")
    assert cfg is not None
    assert {"quota", "config"} <= set(zk.get_children("/zookeeper"))
    assert "zookeeper" in zk.get_children("/")
    data, st = zk.get("/zookeeper/config")
    if ENSEMBLE:
        # an ensemble publishes its membership, as ZooKeeper's dynamic config does
        lines = data.decode().split("\n")
        assert re.fullmatch(r"server\.1=127\.0\.0\.1:\d+:\d+:participant", lines[0]), lines
        assert lines[-1] == "version=0" and st.version == -1
    else:
        # standalone without dynamic config: /zookeeper/config is empty
        assert data == b""
    assert st.czxid == 0 and st.ctime == 0 and st.ephemeralOwner == 0
    # /zookeeper/config has a read-only world ACL + super (aversion -1)
    assert st.aversion == -1
    assert zk.get("/zookeeper/quota")[0] == b""
    _, root = zk.get("/")
    assert root.czxid == 0 and root.ctime == 0


def test_system_nodes_protected(zk):
    from kazoo.exceptions import NoAuthError
    for p in ("/zookeeper", "/zookeeper/quota", "/zookeeper/config", "/"):
        with pytest.raises(BadArgumentsError):
            zk.delete(p)
    with pytest.raises(NoAuthError):
        zk.set("/zookeeper/config", b"x")


# ---- bad paths: kazoo normalises paths client-side, so use the raw client


@pytest.mark.parametrize("path,err", [
    ("//", Err.BAD_ARGUMENTS),
    ("rel", Err.BAD_ARGUMENTS),
    ("", Err.BAD_ARGUMENTS),
    ("/", Err.NODE_EXISTS),
    ("/\u0001x", Err.BAD_ARGUMENTS),
])
def test_create_bad_paths_top(jc, path, err):
    rep = jc.call(Op.CREATE, create_body(path))
    assert rep.err == err


@pytest.mark.parametrize("suffix,err", [
    ("/", Err.BAD_ARGUMENTS),          # trailing slash, parent exists
    ("/.", Err.BAD_ARGUMENTS),
    ("/..", Err.BAD_ARGUMENTS),
    ("/x\u0000", Err.BAD_ARGUMENTS),
    ("/a\u007fb", Err.BAD_ARGUMENTS),
    # the parent lookup happens before validation: a missing parent
    # ("<base>/" , "<base>/." ...) gives NoNode
    ("//x", Err.NO_NODE),
    ("/./x", Err.NO_NODE),
    ("/../x", Err.NO_NODE),
    ("/x/", Err.NO_NODE),
])
def test_create_bad_paths_under_existing_parent(jc, base, suffix, err):
    rep = jc.call(Op.CREATE, create_body(base + suffix))
    assert rep.err == err


def test_bad_paths_other_ops(jc, base):
    # reads do not validate: the lookup simply fails
    for p in (base + "/", "//", "rel", base + "//x"):
        assert jc.call(Op.GET_DATA, path_watch_body(p)).err == Err.NO_NODE
        assert jc.call(Op.EXISTS, path_watch_body(p)).err == Err.NO_NODE
        # setData validates the path
        rep = jc.call(Op.SET_DATA, Writer().string(p).buffer(b"")
                      .int(-1).bytes())
        assert rep.err == Err.BAD_ARGUMENTS
    # delete: no '/' at all -> BadArguments, otherwise NoNode
    assert jc.call(Op.DELETE, Writer().string("rel").int(-1).bytes()).err \
        == Err.BAD_ARGUMENTS
    assert jc.call(Op.DELETE, Writer().string(base + "/").int(-1)
                   .bytes()).err == Err.NO_NODE
    # the session still works after all these errors
    assert jc.exists(base) is not None
