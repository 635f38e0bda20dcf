"""Protocol helpers shared by the durability tests (raw jute client based)."""

from jute_client import (Err, Op, Writer, create_body, path_watch_body,  # noqa: F401
                         XID_NOTIFICATION, XID_PING)


def multi_body(ops):
    """ops: [(opcode, body)] -> MultiRequest body."""
    w = Writer()
    for op, body in ops:
        w.int(op).bool(False).int(-1).raw(body)
    w.int(-1).bool(True).int(-1)
    return w.bytes()


def set_data_body(path, data, version=-1):
    return Writer().string(path).buffer(data).int(version).bytes()


def delete_body(path, version=-1):
    return Writer().string(path).int(version).bytes()


def pipelined(client, requests, window=400, timeout=30.0):
    """Send [(op, body)] keeping up to `window` outstanding on one session;
    returns the replies in request order (each a jute_client.Reply)."""
    replies = []
    pending = []
    it = iter(requests)
    exhausted = False
    while True:
        while not exhausted and len(pending) < window:
            try:
                op, body = next(it)
            except StopIteration:
                exhausted = True
                break
            pending.append(client.send_request(op, body))
        if not pending:
            return replies
        rep = _read_one(client, timeout)
        assert rep.xid == pending[0], ("reply xid %d out of order (expected "
                                       "%d)" % (rep.xid, pending[0]))
        pending.pop(0)
        replies.append(rep)


def _read_one(client, timeout):
    while True:
        rep = client._parse_reply(client.recv_frame(timeout))
        if rep.xid in (XID_NOTIFICATION, XID_PING):
            continue
        return rep


def get_data_many(client, paths, window=400):
    """{path: (data, stat) or None if NoNode}; other errors raise."""
    reps = pipelined(client, [(Op.GET_DATA, path_watch_body(p))
                              for p in paths], window)
    out = {}
    for p, rep in zip(paths, reps):
        if rep.err == Err.NO_NODE:
            out[p] = None
        elif rep.err != 0:
            raise AssertionError("getData %s failed with error %d"
                                 % (p, rep.err))
        else:
            out[p] = (rep.body.buffer(), rep.body.stat())
    return out


def children(client, path):
    rep = client.call(Op.GET_CHILDREN, path_watch_body(path))
    if rep.err == Err.NO_NODE:
        return None
    assert rep.err == 0, "getChildren %s: error %d" % (path, rep.err)
    return rep.body.strings()


def count_tree(client, path="/", leaf_prefixes=()):
    """Counts znodes under and including `path` by walking getChildren.
    Children of paths starting with one of `leaf_prefixes` are counted
    without listing their own children (the tests only create leaves
    there), which keeps the walk cheap."""
    total = 1
    stack = [path]
    while stack:
        p = stack.pop()
        kids = children(client, p) or []
        for k in kids:
            cp = (p.rstrip("/") + "/" + k)
            total += 1
            if not any(p.startswith(lp) for lp in leaf_prefixes):
                stack.append(cp)
    return total

