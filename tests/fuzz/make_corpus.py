#!/usr/bin/env python3
"""Writes the seed corpora for the fuzzers (tests/fuzz/corpus/<fuzzer>/) from valid requests.

Run from anywhere: python3 tests/fuzz/make_corpus.py. The output is checked in; re-run after
changing this file. Encodings follow zookeeper.jute (big-endian, int32 length prefixes).
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def i32(v): return struct.pack(">i", v)
def i64(v): return struct.pack(">q", v)
def boolean(v): return b"\x01" if v else b"\x00"


def buf(b):
    if b is None:
        return i32(-1)
    if isinstance(b, str):
        b = b.encode()
    return i32(len(b)) + b


def vec(items): return i32(len(items)) + b"".join(buf(s) for s in items)


OPEN_ACL = i32(1) + i32(31) + buf("world") + buf("anyone")
AUTH_ACL = i32(1) + i32(31) + buf("auth") + buf("")


def create(path, data=b"d", flags=0, acl=OPEN_ACL, ttl=None):
    b = buf(path) + buf(data) + acl + i32(flags)
    return b + (i64(ttl) if ttl is not None else b"")


def req(xid, op, body=b""): return i32(xid) + i32(op) + body
def frame(payload): return i32(len(payload)) + payload
def mh(op, done=False, err=-1): return i32(op) + boolean(done) + i32(err)


def multi(ops):
    return b"".join(mh(op) + body for op, body in ops) + mh(-1, True)


CONNECT = i32(0) + i64(0) + i32(10000) + i64(0) + buf(b"\0" * 16) + boolean(False)

REQUESTS = {
    "create": req(1, 1, create("/a")),
    "create_ephemeral_seq": req(2, 1, create("/e-", flags=3)),
    "create2_null_data": req(3, 15, create("/n", data=None)),
    "create_container": req(4, 19, create("/c", flags=4)),
    "create_ttl": req(5, 21, create("/t", flags=5, ttl=1000)),
    "create_auth_acl": req(6, 1, create("/s", acl=AUTH_ACL)),
    "delete": req(7, 2, buf("/a") + i32(-1)),
    "exists_watch": req(8, 3, buf("/a") + boolean(True)),
    "getdata_watch": req(9, 4, buf("/a") + boolean(True)),
    "setdata": req(10, 5, buf("/a") + buf("v2") + i32(0)),
    "getacl": req(11, 6, buf("/a")),
    "setacl": req(12, 7, buf("/a") + OPEN_ACL + i32(-1)),
    "getchildren": req(13, 8, buf("/") + boolean(True)),
    "sync": req(14, 9, buf("/")),
    "ping": req(-2, 11),
    "getchildren2": req(15, 12, buf("/") + boolean(False)),
    "check": req(16, 13, buf("/a") + i32(0)),
    "multi": req(17, 14, multi([(1, create("/m")), (13, buf("/m") + i32(0)),
                               (5, buf("/m") + buf("x") + i32(-1)), (2, buf("/m") + i32(-1))])),
    "multi_read": req(18, 22, multi([(4, buf("/") + boolean(False)),
                                     (8, buf("/zookeeper") + boolean(False))])),
    "reconfig": req(19, 16, buf("") + buf("") + buf("") + i64(-1)),
    "check_watches": req(20, 17, buf("/a") + i32(2)),
    "remove_watches": req(21, 18, buf("/a") + i32(3)),
    "auth_digest": req(-4, 100, i32(0) + buf("digest") + buf("super:test")),
    "set_watches": req(-8, 101, i64(0) + vec(["/a"]) + vec(["/b"]) + vec(["/"])),
    "get_ephemerals": req(22, 103, buf("/")),
    "get_all_children_number": req(23, 104, buf("/")),
    "set_watches2": req(-8, 105, i64(0) + vec([]) + vec([]) + vec([]) + vec(["/p"]) + vec(["/r"])),
    "add_watch_recursive": req(24, 106, buf("/") + i32(1)),
    "whoami": req(25, 107),
    "close_session": req(26, -11),
    # Caucus extensions (docs/protocol-extensions.md).
    "set_read_mode": req(27, 5001, i32(1)),
    "caucus_read": req(28, 5002, i32(1) + i32(4) + buf("/a") + boolean(True)),
}


# Protobuf wire format, for the peer messages of proto/caucus/zab.proto.
def varint(v):
    v &= (1 << 64) - 1
    out = bytearray()
    while True:
        low, v = v & 0x7F, v >> 7
        out.append(low | (0x80 if v else 0))
        if not v:
            return bytes(out)


def pb_int(field, v): return varint(field << 3) + varint(v)
def pb_len(field, b): return varint(field << 3 | 2) + varint(len(b)) + b


ZXID = (3 << 32) | 7
ENTRY = pb_int(1, ZXID) + pb_len(2, b"txn")
ZAB_SEEDS = {
    # ChannelMessage, one per oneof case worth seeding.
    "follower_info": pb_len(1, pb_int(1, 3) + pb_int(2, 3) + pb_int(3, ZXID) + pb_int(4, ZXID)
                            + pb_int(5, 1) + pb_int(6, 1)),
    "ack_epoch": pb_len(2, pb_int(1, 3) + pb_int(2, ZXID)),
    "ack": pb_len(4, pb_int(1, ZXID)),
    "sync_diff": pb_len(6, pb_int(1, 0) + pb_len(5, ENTRY) + pb_len(5, pb_int(1, ZXID + 1))),
    "sync_snap": pb_len(6, pb_int(1, 2) + pb_int(3, ZXID) + pb_len(4, b"snapshot bytes")),
    "sync_trunc": pb_len(6, pb_int(1, 1) + pb_int(2, ZXID)),
    "proposal": pb_len(9, pb_len(1, ENTRY)),
    "ping": pb_len(11, pb_int(1, ZXID)),
    "app_data": pb_len(12, pb_len(1, b"\x00forwarded request")),
    "read_probe": pb_len(13, pb_int(1, 42)),
    "read_probe_reply": pb_len(14, pb_int(1, 42) + pb_int(2, ZXID) + pb_int(3, 3) + pb_int(4, 3)
                               + pb_int(5, ZXID)),
    # Notification, ChannelHello and ElectionHello.
    "notification": pb_len(1, pb_int(1, 2) + pb_int(2, ZXID) + pb_int(3, 3)) + pb_int(2, 4)
                    + pb_int(3, 2),
    "channel_hello": pb_int(1, 2) + pb_int(2, 2) + pb_int(3, (5 << 32) | 1),
    "election_hello": pb_int(1, 1) + pb_int(2, 3),
}


def write(dirname, name, data):
    d = os.path.join(HERE, "corpus", dirname)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def main():
    for name, r in REQUESTS.items():
        write("jute_request_fuzzer", name, r)
    write("jute_request_fuzzer", "connect", CONNECT)
    write("jute_request_fuzzer", "connect_framed", frame(CONNECT))
    write("jute_request_fuzzer", "framed_pair", frame(REQUESTS["create"]) + frame(REQUESTS["ping"]))
    write("jute_request_fuzzer", "ruok", b"ruok")

    # node_frame_fuzzer: control byte, then frames.
    def session(control, names):
        return bytes([control]) + b"".join(frame(REQUESTS[n]) for n in names)

    write("node_frame_fuzzer", "crud", session(0x04, [
        "create", "getdata_watch", "setdata", "exists_watch", "getchildren", "getchildren2",
        "getacl", "setacl", "check", "sync", "ping", "delete"]))
    write("node_frame_fuzzer", "ephemerals", session(0x05, [
        "create_ephemeral_seq", "get_ephemerals", "create_container", "get_all_children_number",
        "close_session"]))
    write("node_frame_fuzzer", "multi", session(0x00, ["multi", "multi_read", "create", "multi"]))
    write("node_frame_fuzzer", "watches", session(0x01, [
        "add_watch_recursive", "create", "setdata", "check_watches", "remove_watches",
        "set_watches", "set_watches2", "delete"]))
    write("node_frame_fuzzer", "auth", session(0x00, [
        "auth_digest", "create_auth_acl", "whoami", "reconfig"]))
    write("node_frame_fuzzer", "ttl", session(0x06, ["create_ttl", "create2_null_data"]))
    write("node_frame_fuzzer", "expire", session(0xfc, ["create_ephemeral_seq", "ping", "ping"]))
    write("node_frame_fuzzer", "read_modes", session(0x00, [
        "create", "set_read_mode", "getdata_watch", "caucus_read", "sync", "setdata"]))

    for name, data in ZAB_SEEDS.items():
        write("zab_message_fuzzer", name, data)


if __name__ == "__main__":
    main()
