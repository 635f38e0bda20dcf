"""Caucus's protocol extensions (docs/protocol-extensions.md): read modes per connection
(opcode 5001) and per request (5002). Against ZooKeeper the same requests assert what the
document promises a client there: UNIMPLEMENTED, then the connection closes."""

import pytest

from conftest import TARGET
from jute_client import Err, Op, Writer, path_watch_body

SET_READ_MODE = 5001
READ = 5002
LOCAL, QUORUM, LEADER = 0, 1, 2

caucus_only = pytest.mark.skipif(
    TARGET == "zookeeper",
    reason="Caucus extension; ZooKeeper's answer is asserted by the first two tests")


def mode_body(mode):
    return Writer().int(mode).bytes()


def read_body(mode, op, body):
    return Writer().int(mode).int(op).bytes() + body


def test_zookeeper_refuses_the_extension_and_closes(jc, base):
    if TARGET != "zookeeper":
        rep = jc.call(SET_READ_MODE, mode_body(QUORUM))
        assert rep.err == Err.OK and rep.body.remaining() == 0
        return
    rep = jc.call(SET_READ_MODE, mode_body(QUORUM))
    assert rep.err == Err.UNIMPLEMENTED
    assert jc.is_closed_by_server(3.0)


def test_per_request_read_modes_answer_like_getdata(jc, base):
    if TARGET == "zookeeper":
        rep = jc.call(READ, read_body(QUORUM, Op.GET_DATA, path_watch_body(base)))
        assert rep.err == Err.UNIMPLEMENTED
        return
    jc.create(base + "/x", b"payload")
    want, want_stat = jc.get_data(base + "/x")
    for mode in (LOCAL, QUORUM, LEADER):
        rep = jc.call(READ, read_body(mode, Op.GET_DATA, path_watch_body(base + "/x")))
        assert rep.err == Err.OK, mode
        assert rep.body.buffer() == want
        assert rep.body.stat().mzxid == want_stat.mzxid
    rep = jc.call(READ, read_body(QUORUM, Op.GET_DATA, path_watch_body(base + "/none")))
    assert rep.err == Err.NO_NODE
    rep = jc.call(READ, read_body(QUORUM, Op.EXISTS, path_watch_body(base + "/none")))
    assert rep.err == Err.NO_NODE


@caucus_only
def test_connection_read_mode_then_reads_see_writes(jc, base):
    for mode in (QUORUM, LEADER, LOCAL, QUORUM):
        rep = jc.call(SET_READ_MODE, mode_body(mode))
        assert rep.err == Err.OK
        jc.create(base + "/m%d-%d" % (mode, rep.xid), b"v")
        assert jc.get_data(base + "/m%d-%d" % (mode, rep.xid))[0] == b"v"
    assert jc.call(Op.SYNC, Writer().string(base).bytes()).err == Err.OK


@caucus_only
def test_bad_extension_requests_get_bad_arguments_and_keep_the_connection(jc, base):
    assert jc.call(SET_READ_MODE, mode_body(7)).err == Err.BAD_ARGUMENTS
    assert jc.call(SET_READ_MODE, b"\x00").err == Err.BAD_ARGUMENTS
    write = Writer().string(base).buffer(b"x").int(-1).bytes()
    assert jc.call(READ, read_body(QUORUM, Op.SET_DATA, write)).err == Err.BAD_ARGUMENTS
    assert jc.call(READ, read_body(9, Op.GET_DATA, path_watch_body(base))).err == \
        Err.BAD_ARGUMENTS
    assert jc.call(READ, b"").err == Err.BAD_ARGUMENTS
    # The connection goes on.
    assert jc.exists(base) is not None
