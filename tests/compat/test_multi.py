"""multi (opcode 14) through kazoo transactions and the raw client."""

from kazoo.exceptions import (BadVersionError, NodeExistsError, NoNodeError,
                              RolledBackError, RuntimeInconsistency,
                              BadArgumentsError)

from jute_client import Err, Op, Writer, create_body, path_watch_body


def test_multi_success(zk, base):
    zk.create(base + "/a", b"1")
    zk.create(base + "/gone", b"")
    t = zk.transaction()
    t.create(base + "/new", b"n")
    t.set_data(base + "/a", b"2", version=0)
    t.check(base + "/a", 1)
    t.delete(base + "/gone")
    t.create(base + "/s-", b"", sequence=True)
    res = t.commit()
    assert res[0] == base + "/new"
    assert res[1].version == 1 and res[1].dataLength == 1
    assert res[2] is True
    assert res[3] is True
    assert res[4] == base + "/s-%010d" % 3
    assert zk.get(base + "/a")[0] == b"2"
    assert zk.exists(base + "/gone") is None
    # all ops of a multi share a single zxid
    _, st_new = zk.get(base + "/new")
    _, st_a = zk.get(base + "/a")
    assert st_new.czxid == st_a.mzxid


def test_multi_failure_is_atomic_and_reports_per_op(zk, base):
    zk.create(base + "/a", b"1")
    zk.create(base + "/c", b"")
    _, before = zk.get(base)
    t = zk.transaction()
    t.create(base + "/x", b"")           # would succeed
    t.set_data(base + "/a", b"3", version=99)  # fails: BadVersion
    t.delete(base + "/c")                 # after the failure
    t.create(base + "/c", b"")
    res = t.commit()
    assert len(res) == 4
    # ops before the failing one: error 0 (RolledBack); the failing one its
    # own error; ops after it: RuntimeInconsistency (-2)
    assert isinstance(res[0], RolledBackError)
    assert isinstance(res[1], BadVersionError)
    assert isinstance(res[2], RuntimeInconsistency)
    assert isinstance(res[3], RuntimeInconsistency)
    assert zk.exists(base + "/x") is None
    assert zk.get(base + "/a")[0] == b"1"
    assert zk.exists(base + "/c") is not None
    _, after = zk.get(base)
    assert after.cversion == before.cversion


def test_multi_failure_first_op_and_node_exists(zk, base):
    zk.create(base + "/dup")
    t = zk.transaction()
    t.check(base + "/nope", 0)
    t.create(base + "/y")
    res = t.commit()
    assert isinstance(res[0], NoNodeError)
    assert isinstance(res[1], RuntimeInconsistency)
    t = zk.transaction()
    t.create(base + "/q")
    t.create(base + "/q")
    res = t.commit()
    assert isinstance(res[0], RolledBackError)
    assert isinstance(res[1], NodeExistsError)
    assert zk.exists(base + "/q") is None


def test_multi_sees_its_own_earlier_ops(zk, base):
    t = zk.transaction()
    t.create(base + "/p", b"")
    t.create(base + "/p/c", b"")
    t.set_data(base + "/p/c", b"v", version=0)
    t.check(base + "/p/c", 1)
    t.delete(base + "/p/c", version=1)
    res = t.commit()
    assert res[:2] == [base + "/p", base + "/p/c"]
    assert zk.get_children(base + "/p") == []


def _ops(*ops):
    return list(ops)


def test_multi_raw_results(jc, base):
    jc.create(base + "/a", b"1")

    def s(p, d, v=-1):
        return Writer().string(p).buffer(d).int(v).bytes()

    def d(p, v=-1):
        return Writer().string(p).int(v).bytes()
    rep, res = jc.multi([(Op.CREATE, create_body(base + "/b")),
                         (Op.SET_DATA, s(base + "/a", b"2", 0)),
                         (Op.CHECK, d(base + "/a", 1)),
                         (Op.DELETE, d(base + "/b")),
                         (Op.CREATE2, create_body(base + "/c"))])
    assert rep.err == 0
    types = [r[0] for r in res]
    # create2 inside a multi is answered as a plain create (path only)
    assert types == [Op.CREATE, Op.SET_DATA, Op.CHECK, Op.DELETE, Op.CREATE]
    assert all(r[1] == 0 for r in res)
    assert res[0][2] == base + "/b" and res[4][2] == base + "/c"
    assert res[1][2].version == 1
    # failing multi: outer header err is 0, every result is type -1 (error)
    rep, res = jc.multi([(Op.CREATE, create_body(base + "/x")),
                         (Op.CREATE, create_body("bad")),
                         (Op.DELETE, d(base + "/c"))])
    assert rep.err == 0
    assert res == [(-1, 0, None), (-1, Err.BAD_ARGUMENTS, None),
                   (-1, Err.RUNTIME_INCONSISTENCY, None)]
    # an empty multi succeeds with no results
    rep, res = jc.multi([])
    assert rep.err == 0 and res == []


def test_multi_rejects_read_ops(jc, base):
    w = Writer()
    w.int(Op.GET_DATA).bool(False).int(-1).raw(path_watch_body(base))
    w.int(-1).bool(True).int(-1)
    rep = jc.call(Op.MULTI, w.bytes())
    assert rep.err == Err.MARSHALLING_ERROR
    assert rep.body.remaining() == 0
    assert jc.exists(base) is not None  # session still fine
