"""Minimal hand-written ZooKeeper (jute) wire-protocol client.

Used by the compatibility suite to exercise protocol features that kazoo 2.8
does not expose (createContainer, createTTL, addWatch, removeWatches,
multiRead, getEphemerals, whoAmI, setWatches2, reconfig, raw opcodes, ...)
and to send malformed input.

Everything is synchronous: ``call()`` sends one request and reads frames until
the reply with the same xid arrives; watch notifications (xid -1) that arrive
meanwhile are queued in ``self.events``.  Every socket operation has a
timeout so a misbehaving server can never hang the test suite.
"""

import socket
import struct
import time

# ---------------------------------------------------------------- constants


class Op:
    NOTIFICATION = 0
    CREATE = 1
    DELETE = 2
    EXISTS = 3
    GET_DATA = 4
    SET_DATA = 5
    GET_ACL = 6
    SET_ACL = 7
    GET_CHILDREN = 8
    SYNC = 9
    PING = 11
    GET_CHILDREN2 = 12
    CHECK = 13
    MULTI = 14
    CREATE2 = 15
    RECONFIG = 16
    CHECK_WATCHES = 17
    REMOVE_WATCHES = 18
    CREATE_CONTAINER = 19
    DELETE_CONTAINER = 20
    CREATE_TTL = 21
    MULTI_READ = 22
    AUTH = 100
    SET_WATCHES = 101
    SASL = 102
    GET_EPHEMERALS = 103
    GET_ALL_CHILDREN_NUMBER = 104
    SET_WATCHES2 = 105
    ADD_WATCH = 106
    WHO_AM_I = 107
    CREATE_SESSION = -10
    CLOSE_SESSION = -11
    ERROR = -1


class Err:
    OK = 0
    SYSTEM_ERROR = -1
    RUNTIME_INCONSISTENCY = -2
    DATA_INCONSISTENCY = -3
    CONNECTION_LOSS = -4
    MARSHALLING_ERROR = -5
    UNIMPLEMENTED = -6
    OPERATION_TIMEOUT = -7
    BAD_ARGUMENTS = -8
    UNKNOWN_SESSION = -12
    NEW_CONFIG_NO_QUORUM = -13
    RECONFIG_IN_PROGRESS = -14
    API_ERROR = -100
    NO_NODE = -101
    NO_AUTH = -102
    BAD_VERSION = -103
    NO_CHILDREN_FOR_EPHEMERALS = -108
    NODE_EXISTS = -110
    NOT_EMPTY = -111
    SESSION_EXPIRED = -112
    INVALID_CALLBACK = -113
    INVALID_ACL = -114
    AUTH_FAILED = -115
    SESSION_MOVED = -118
    NOT_READONLY = -119
    EPHEMERAL_ON_LOCAL_SESSION = -120
    NO_WATCHER = -121
    REQUEST_TIMEOUT = -122
    RECONFIG_DISABLED = -123
    SESSION_CLOSED_REQUIRE_SASL_AUTH = -124
    QUOTA_EXCEEDED = -125
    THROTTLED = -127


class CreateMode:
    PERSISTENT = 0
    EPHEMERAL = 1
    PERSISTENT_SEQUENTIAL = 2
    EPHEMERAL_SEQUENTIAL = 3
    CONTAINER = 4
    PERSISTENT_WITH_TTL = 5
    PERSISTENT_SEQUENTIAL_WITH_TTL = 6


class EventType:
    NONE = -1
    NODE_CREATED = 1
    NODE_DELETED = 2
    NODE_DATA_CHANGED = 3
    NODE_CHILDREN_CHANGED = 4
    DATA_WATCH_REMOVED = 5
    CHILD_WATCH_REMOVED = 6
    PERSISTENT_WATCH_REMOVED = 7


class WatcherType:
    CHILDREN = 1
    DATA = 2
    ANY = 3


class AddWatchMode:
    PERSISTENT = 0
    PERSISTENT_RECURSIVE = 1


class Perms:
    READ = 1
    WRITE = 2
    CREATE = 4
    DELETE = 8
    ADMIN = 16
    ALL = 31


XID_NOTIFICATION = -1
XID_PING = -2
XID_AUTH = -4
XID_SET_WATCHES = -8

OPEN_ACL_UNSAFE = [(Perms.ALL, "world", "anyone")]

# ---------------------------------------------------------------- encoding


class Writer:
    def __init__(self):
        self.parts = []

    def int(self, v):
        self.parts.append(struct.pack(">i", v))
        return self

    def long(self, v):
        self.parts.append(struct.pack(">q", v))
        return self

    def bool(self, v):
        self.parts.append(b"\x01" if v else b"\x00")
        return self

    def buffer(self, b):
        if b is None:
            return self.int(-1)
        self.int(len(b))
        self.parts.append(bytes(b))
        return self

    def string(self, s):
        if s is None:
            return self.int(-1)
        return self.buffer(s.encode("utf-8"))

    def strings(self, lst):
        if lst is None:
            return self.int(-1)
        self.int(len(lst))
        for s in lst:
            self.string(s)
        return self

    def acls(self, acls):
        if acls is None:
            return self.int(-1)
        self.int(len(acls))
        for perms, scheme, ident in acls:
            self.int(perms).string(scheme).string(ident)
        return self

    def raw(self, b):
        self.parts.append(bytes(b))
        return self

    def bytes(self):
        return b"".join(self.parts)


class Reader:
    def __init__(self, data):
        self.data = data
        self.pos = 0

    def _take(self, n):
        if self.pos + n > len(self.data):
            raise ValueError("short read: need %d bytes at %d of %d"
                             % (n, self.pos, len(self.data)))
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def int(self):
        return struct.unpack(">i", self._take(4))[0]

    def long(self):
        return struct.unpack(">q", self._take(8))[0]

    def bool(self):
        return self._take(1) != b"\x00"

    def buffer(self):
        n = self.int()
        if n < 0:
            return None
        return self._take(n)

    def string(self):
        b = self.buffer()
        return None if b is None else b.decode("utf-8")

    def strings(self):
        n = self.int()
        if n < 0:
            return None
        return [self.string() for _ in range(n)]

    def acls(self):
        n = self.int()
        if n < 0:
            return None
        return [(self.int(), self.string(), self.string()) for _ in range(n)]

    def stat(self):
        return Stat(
            czxid=self.long(), mzxid=self.long(), ctime=self.long(),
            mtime=self.long(), version=self.int(), cversion=self.int(),
            aversion=self.int(), ephemeralOwner=self.long(),
            dataLength=self.int(), numChildren=self.int(), pzxid=self.long())

    def remaining(self):
        return len(self.data) - self.pos


class Stat:
    FIELDS = ("czxid", "mzxid", "ctime", "mtime", "version", "cversion",
              "aversion", "ephemeralOwner", "dataLength", "numChildren",
              "pzxid")

    def __init__(self, **kw):
        for f in self.FIELDS:
            setattr(self, f, kw[f])

    def __repr__(self):
        return "Stat(%s)" % ", ".join("%s=%r" % (f, getattr(self, f))
                                      for f in self.FIELDS)


class WatchEvent:
    def __init__(self, type, state, path, zxid):
        self.type = type
        self.state = state
        self.path = path
        self.zxid = zxid

    def __repr__(self):
        return "WatchEvent(type=%d, state=%d, path=%r, zxid=%d)" % (
            self.type, self.state, self.path, self.zxid)

    def key(self):
        return (self.type, self.path)


class Reply:
    def __init__(self, xid, zxid, err, body):
        self.xid = xid
        self.zxid = zxid
        self.err = err
        self.body = body  # Reader positioned after the reply header

    def __repr__(self):
        return "Reply(xid=%d, zxid=%d, err=%d, body=%d bytes)" % (
            self.xid, self.zxid, self.err, self.body.remaining())


class ZkError(Exception):
    def __init__(self, err, what=""):
        super().__init__("ZooKeeper error %d %s" % (err, what))
        self.err = err


class ConnectionClosed(Exception):
    pass


# ------------------------------------------------------------ request bodies


def create_body(path, data=b"", acl=OPEN_ACL_UNSAFE, flags=0, ttl=None):
    w = Writer().string(path).buffer(data).acls(acl).int(flags)
    if ttl is not None:
        w.long(ttl)
    return w.bytes()


def path_body(path):
    return Writer().string(path).bytes()


def path_watch_body(path, watch=False):
    return Writer().string(path).bool(watch).bytes()


# ------------------------------------------------------------------ client


class JuteClient:
    """One TCP connection / one ZooKeeper session."""

    def __init__(self, host, port, timeout_ms=10000, session_id=0,
                 passwd=b"\x00" * 16, last_zxid=0, read_only=False,
                 io_timeout=10.0, connect=True):
        self.host = host
        self.port = port
        self.io_timeout = io_timeout
        self.events = []
        self.xid = 0
        self.last_zxid = last_zxid
        self.sock = socket.create_connection((host, port), timeout=io_timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.session_id = None
        self.passwd = None
        self.negotiated_timeout = None
        if connect:
            self.handshake(timeout_ms, session_id, passwd, last_zxid,
                           read_only)

    # -- low level framing
    def send_frame(self, payload):
        self.sock.sendall(struct.pack(">i", len(payload)) + payload)

    def send_raw(self, data):
        self.sock.sendall(data)

    def _recv_exact(self, n):
        buf = b""
        while len(buf) < n:
            try:
                chunk = self.sock.recv(n - len(buf))
            except ConnectionResetError:
                raise ConnectionClosed("connection reset")
            if not chunk:
                raise ConnectionClosed("connection closed by server "
                                       "(%d of %d bytes read)" % (len(buf), n))
            buf += chunk
        return buf

    def recv_frame(self, timeout=None):
        self.sock.settimeout(timeout if timeout is not None
                             else self.io_timeout)
        (n,) = struct.unpack(">i", self._recv_exact(4))
        if n < 0 or n > 64 * 1024 * 1024:
            raise ValueError("bad frame length %d" % n)
        return self._recv_exact(n)

    def is_closed_by_server(self, timeout=5.0):
        """True if the server closes the connection within timeout (any
        pending frames are read and discarded)."""
        deadline = time.monotonic() + timeout
        self.sock.settimeout(0.2)
        while time.monotonic() < deadline:
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                continue
            except (ConnectionResetError, BrokenPipeError):
                return True
            if not chunk:
                return True
        return False

    def close_socket(self):
        try:
            self.sock.close()
        except OSError:
            pass

    # -- session
    def handshake(self, timeout_ms, session_id, passwd, last_zxid,
                  read_only=False):
        w = (Writer().int(0).long(last_zxid).int(timeout_ms)
             .long(session_id).buffer(passwd).bool(read_only))
        self.send_frame(w.bytes())
        r = Reader(self.recv_frame())
        self.protocol_version = r.int()
        self.negotiated_timeout = r.int()
        self.session_id = r.long()
        self.passwd = r.buffer()
        self.read_only = r.bool() if r.remaining() else None
        return self

    def next_xid(self):
        self.xid += 1
        return self.xid

    def _parse_reply(self, frame):
        r = Reader(frame)
        xid, zxid, err = r.int(), r.long(), r.int()
        return Reply(xid, zxid, err, r)

    def _queue_event(self, rep):
        ev = WatchEvent(rep.body.int(), rep.body.int(), rep.body.string(),
                        rep.zxid)
        self.events.append(ev)

    def send_request(self, op, body=b"", xid=None):
        if xid is None:
            xid = self.next_xid()
        self.send_frame(struct.pack(">ii", xid, op) + body)
        return xid

    def read_reply(self, xid, timeout=None):
        """Read frames until the reply with ``xid``; queue notifications."""
        deadline = time.monotonic() + (timeout or self.io_timeout)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no reply for xid %d" % xid)
            rep = self._parse_reply(self.recv_frame(left))
            if rep.xid == XID_NOTIFICATION:
                self._queue_event(rep)
                continue
            if rep.zxid > 0:
                self.last_zxid = max(self.last_zxid, rep.zxid)
            if rep.xid == xid:
                return rep
            if rep.xid == XID_PING:
                continue
            raise AssertionError("unexpected reply xid %d (waiting for %d)"
                                 % (rep.xid, xid))

    def call(self, op, body=b"", xid=None, timeout=None):
        xid = self.send_request(op, body, xid)
        return self.read_reply(xid, timeout)

    def wait_events(self, n=1, timeout=5.0):
        """Wait until at least n events are queued; return and clear them."""
        deadline = time.monotonic() + timeout
        while len(self.events) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                rep = self._parse_reply(self.recv_frame(left))
            except socket.timeout:
                break
            if rep.xid == XID_NOTIFICATION:
                self._queue_event(rep)
        evs, self.events = self.events, []
        return evs

    def drain_events(self, quiet=0.5):
        """Collect whatever events arrive within ``quiet`` seconds."""
        return self.wait_events(n=10 ** 9, timeout=quiet)

    def ping(self):
        return self.call(Op.PING, b"", xid=XID_PING)

    def close(self):
        try:
            self.call(Op.CLOSE_SESSION, b"", timeout=5)
        except Exception:
            pass
        self.close_socket()

    # -- high level ops (raise ZkError on error unless check=False)
    @staticmethod
    def _ok(rep, what=""):
        if rep.err != 0:
            raise ZkError(rep.err, what)
        return rep

    def create(self, path, data=b"", acl=OPEN_ACL_UNSAFE, flags=0):
        rep = self._ok(self.call(Op.CREATE, create_body(path, data, acl,
                                                        flags)), path)
        return rep.body.string()

    def create2(self, path, data=b"", acl=OPEN_ACL_UNSAFE, flags=0):
        rep = self._ok(self.call(Op.CREATE2, create_body(path, data, acl,
                                                         flags)), path)
        return rep.body.string(), rep.body.stat()

    def create_container(self, path, data=b"", acl=OPEN_ACL_UNSAFE):
        rep = self._ok(self.call(Op.CREATE_CONTAINER, create_body(
            path, data, acl, CreateMode.CONTAINER)), path)
        return rep.body.string(), rep.body.stat()

    def create_ttl(self, path, data=b"", ttl=1000, acl=OPEN_ACL_UNSAFE,
                   flags=CreateMode.PERSISTENT_WITH_TTL):
        rep = self._ok(self.call(Op.CREATE_TTL, create_body(
            path, data, acl, flags, ttl)), path)
        return rep.body.string(), rep.body.stat()

    def delete(self, path, version=-1):
        self._ok(self.call(Op.DELETE, Writer().string(path).int(version)
                           .bytes()), path)

    def exists(self, path, watch=False):
        rep = self.call(Op.EXISTS, path_watch_body(path, watch))
        if rep.err == Err.NO_NODE:
            return None
        return self._ok(rep, path).body.stat()

    def get_data(self, path, watch=False):
        rep = self._ok(self.call(Op.GET_DATA, path_watch_body(path, watch)),
                       path)
        return rep.body.buffer(), rep.body.stat()

    def set_data(self, path, data, version=-1):
        rep = self._ok(self.call(Op.SET_DATA, Writer().string(path)
                                 .buffer(data).int(version).bytes()), path)
        return rep.body.stat()

    def get_children(self, path, watch=False):
        rep = self._ok(self.call(Op.GET_CHILDREN, path_watch_body(path,
                                                                  watch)),
                       path)
        return rep.body.strings()

    def get_children2(self, path, watch=False):
        rep = self._ok(self.call(Op.GET_CHILDREN2, path_watch_body(path,
                                                                   watch)),
                       path)
        return rep.body.strings(), rep.body.stat()

    def get_acl(self, path):
        rep = self._ok(self.call(Op.GET_ACL, path_body(path)), path)
        return rep.body.acls(), rep.body.stat()

    def set_acl(self, path, acl, version=-1):
        rep = self._ok(self.call(Op.SET_ACL, Writer().string(path).acls(acl)
                                 .int(version).bytes()), path)
        return rep.body.stat()

    def sync(self, path):
        rep = self._ok(self.call(Op.SYNC, path_body(path)), path)
        return rep.body.string()

    def add_auth(self, scheme, auth):
        body = Writer().int(0).string(scheme).buffer(auth).bytes()
        return self.call(Op.AUTH, body, xid=XID_AUTH)

    def add_watch(self, path, mode):
        return self.call(Op.ADD_WATCH, Writer().string(path).int(mode)
                         .bytes())

    def check_watches(self, path, wtype):
        return self.call(Op.CHECK_WATCHES, Writer().string(path).int(wtype)
                         .bytes())

    def remove_watches(self, path, wtype):
        return self.call(Op.REMOVE_WATCHES, Writer().string(path).int(wtype)
                         .bytes())

    def get_ephemerals(self, prefix):
        rep = self._ok(self.call(Op.GET_EPHEMERALS, path_body(prefix)),
                       prefix)
        return rep.body.strings()

    def get_all_children_number(self, path):
        rep = self._ok(self.call(Op.GET_ALL_CHILDREN_NUMBER,
                                 path_body(path)), path)
        return rep.body.int()

    def who_am_i(self):
        rep = self._ok(self.call(Op.WHO_AM_I, b""))
        n = rep.body.int()
        return [(rep.body.string(), rep.body.string()) for _ in range(n)]

    def set_watches2(self, rel_zxid, data=(), exist=(), child=(),
                     persistent=(), persistent_recursive=()):
        body = (Writer().long(rel_zxid).strings(list(data))
                .strings(list(exist)).strings(list(child))
                .strings(list(persistent))
                .strings(list(persistent_recursive)).bytes())
        return self.call(Op.SET_WATCHES2, body, xid=XID_SET_WATCHES)

    # -- multi / multiRead
    def multi(self, ops, opcode=Op.MULTI):
        """ops: list of (opcode, body_bytes). Returns list of
        (type, err, payload) where payload is parsed per result type."""
        w = Writer()
        for op, body in ops:
            w.int(op).bool(False).int(-1).raw(body)
        w.int(-1).bool(True).int(-1)
        rep = self.call(opcode, w.bytes())
        return rep, self.parse_multi(rep.body)

    @staticmethod
    def parse_multi(r):
        results = []
        while True:
            typ, done, err = r.int(), r.bool(), r.int()
            if done:
                break
            if typ == Op.ERROR:
                results.append((typ, r.int(), None))
            elif typ == Op.CREATE:
                results.append((typ, err, r.string()))
            elif typ in (Op.CREATE2, Op.CREATE_CONTAINER, Op.CREATE_TTL):
                results.append((typ, err, (r.string(), r.stat())))
            elif typ == Op.SET_DATA:
                results.append((typ, err, r.stat()))
            elif typ == Op.GET_DATA:
                results.append((typ, err, (r.buffer(), r.stat())))
            elif typ == Op.GET_CHILDREN:
                results.append((typ, err, r.strings()))
            else:  # delete, check
                results.append((typ, err, None))
        return results


def four_letter(host, port, cmd, timeout=5.0):
    """Send a four-letter word and return the full response text."""
    s = socket.create_connection((host, port), timeout=timeout)
    try:
        s.sendall(cmd.encode("ascii"))
        chunks = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                c = s.recv(65536)
            except ConnectionResetError:
                break
            if not c:
                break
            chunks.append(c)
        return b"".join(chunks).decode("utf-8", "replace")
    finally:
        s.close()
