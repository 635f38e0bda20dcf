"""Malformed input must only kill the offending connection."""

import socket
import struct
import time

import pytest

from jute_client import JuteClient, Op, Writer


@pytest.fixture
def victim(server, base):
    """An established session with some data, checked after each attack."""
    v = JuteClient(server.host, server.port, timeout_ms=10000)
    v.create(base + "/keep", b"precious")
    yield v
    # the other session still works and its data is intact
    assert v.ping().err == 0
    data, st = v.get_data(base + "/keep")
    assert data == b"precious" and st.version == 0
    v.set_data(base + "/keep", b"precious2")
    assert v.get_data(base + "/keep")[0] == b"precious2"
    v.close()


def raw_sock(server):
    s = socket.create_connection((server.host, server.port), timeout=5)
    return s


def closed_within(s, timeout=5.0):
    s.settimeout(0.2)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if s.recv(65536) == b"":
                return True
        except socket.timeout:
            continue
        except (ConnectionResetError, BrokenPipeError):
            return True
    return False


def test_garbage_connect_frame(server, victim):
    s = raw_sock(server)
    s.sendall(struct.pack(">i", 12) + b"\xde\xad\xbe\xef" * 3)
    assert closed_within(s)
    s.close()


def test_truncated_frame_then_close(server, victim):
    s = raw_sock(server)
    s.sendall(struct.pack(">i", 100) + b"\x00" * 10)
    s.close()  # server must just drop it
    time.sleep(0.3)


def test_oversized_length_prefix(server, victim):
    s = raw_sock(server)
    s.sendall(struct.pack(">i", 2 * 1024 * 1024) + b"\x00" * 64)
    assert closed_within(s)
    s.close()


def test_negative_length_prefix(server, victim):
    s = raw_sock(server)
    s.sendall(struct.pack(">i", -5) + b"\x00" * 8)
    assert closed_within(s)
    s.close()


def test_oversized_frame_in_session(server, victim):
    c = JuteClient(server.host, server.port, timeout_ms=10000)
    c.send_raw(struct.pack(">i", 5 * 1024 * 1024) + b"\x00" * 64)
    assert c.is_closed_by_server(5.0)
    c.close_socket()


def test_garbage_request_in_session(server, victim, base):
    c = JuteClient(server.host, server.port, timeout_ms=10000)
    # a getData whose path string length runs past the frame
    body = struct.pack(">ii", 1, Op.GET_DATA) + struct.pack(">i", 1000) + b"/x"
    c.send_frame(body)
    # a well-framed request with an undecodable body gets MarshallingError
    # (-5) and the connection stays usable
    rep = c.read_reply(1, timeout=5)
    assert rep.err == -5 and rep.body.remaining() == 0
    c.send_frame(struct.pack(">ii", 2, Op.CREATE) + b"\x00\x00")
    rep = c.read_reply(2, timeout=5)
    assert rep.err == -5
    assert c.exists(base) is not None
    c.close()


def test_data_over_jute_maxbuffer_rejected(server, victim, base):
    c = JuteClient(server.host, server.port, timeout_ms=10000)
    big = b"x" * (1024 * 1024 + 1)
    w = (Writer().int(1).int(Op.CREATE).string(base + "/huge").buffer(big)
         .int(1).int(31).string("world").string("anyone").int(0))
    try:
        c.send_frame(w.bytes())
    except (BrokenPipeError, ConnectionResetError):
        pass
    assert c.is_closed_by_server(5.0)
    c.close_socket()
    assert victim.exists(base + "/huge") is None


def test_request_before_handshake(server, victim):
    c = JuteClient(server.host, server.port, connect=False)
    # a getData header where a ConnectRequest is expected
    c.send_frame(struct.pack(">ii", 1, Op.GET_DATA) +
                 Writer().string("/").bool(False).bytes())
    assert c.is_closed_by_server(5.0)
    c.close_socket()


def test_half_handshake_then_close(server, victim):
    s = raw_sock(server)
    s.sendall(struct.pack(">i", 44) + b"\x00" * 20)
    s.close()
    time.sleep(0.3)
