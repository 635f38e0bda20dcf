"""Watch semantics through kazoo (one-shot watches, ordering)."""

import threading
import time

from kazoo.protocol.states import EventType, KazooState

from conftest import EventCollector, make_kazoo, wait_until
from jute_client import JuteClient


def test_data_watch_changed_is_one_shot(zk, zk2, base):
    p = zk.create(base + "/dw", b"0")
    ev = EventCollector()
    zk.get(p, watch=ev)
    zk2.set(p, b"1")
    zk2.set(p, b"2")  # must NOT fire again: the watch was one-shot
    evs = ev.wait(1)
    time.sleep(0.5)
    evs = list(ev.events)
    assert len(evs) == 1
    assert evs[0].type == EventType.CHANGED
    assert evs[0].path == p
    assert evs[0].state == "CONNECTED"


def test_data_watch_deleted(zk, zk2, base):
    p = zk.create(base + "/dd", b"0")
    ev = EventCollector()
    zk.get(p, watch=ev)
    zk2.delete(p)
    evs = ev.wait(1)
    time.sleep(0.3)
    assert [(e.type, e.path) for e in ev.events] == [(EventType.DELETED, p)]


def test_exists_watch_on_missing_node_fires_created(zk, zk2, base):
    p = base + "/later"
    ev = EventCollector()
    assert zk.exists(p, watch=ev) is None
    zk2.create(p, b"x")
    ev.wait(1)
    zk2.set(p, b"y")  # one-shot: no second event
    time.sleep(0.5)
    assert [(e.type, e.path) for e in ev.events] == [(EventType.CREATED, p)]


def test_exists_watch_on_existing_node_fires_changed(zk, zk2, base):
    p = zk.create(base + "/ex", b"")
    ev = EventCollector()
    assert zk.exists(p, watch=ev) is not None
    zk2.set(p, b"y")
    ev.wait(1)
    time.sleep(0.3)
    assert [(e.type, e.path) for e in ev.events] == [(EventType.CHANGED, p)]


def test_child_watch(zk, zk2, base):
    p = zk.create(base + "/cw")
    ev = EventCollector()
    assert zk.get_children(p, watch=ev) == []
    zk2.create(p + "/a")
    zk2.create(p + "/b")
    ev.wait(1)
    time.sleep(0.5)
    assert [(e.type, e.path) for e in ev.events] == [
        (EventType.CHILD, p)]
    # data change on the parent does not fire a child watch
    ev2 = EventCollector()
    zk.get_children(p, watch=ev2)
    zk2.set(p, b"data")
    time.sleep(0.5)
    assert ev2.events == []
    zk2.delete(p + "/a")
    ev2.wait(1)
    assert [(e.type, e.path) for e in ev2.events] == [(EventType.CHILD, p)]


def test_child_watch_fires_on_parent_delete_as_deleted(zk, zk2, base):
    p = zk.create(base + "/cwd")
    ev = EventCollector()
    zk.get_children(p, watch=ev)
    zk2.delete(p)
    ev.wait(1)
    time.sleep(0.3)
    assert [(e.type, e.path) for e in ev.events] == [(EventType.DELETED, p)]


def test_set_data_on_child_does_not_fire_parent_child_watch(zk, zk2, base):
    p = zk.create(base + "/pc")
    zk.create(p + "/kid")
    ev = EventCollector()
    zk.get_children(p, watch=ev)
    zk2.set(p + "/kid", b"x")
    time.sleep(0.5)
    assert ev.events == []


def test_watch_event_delivered_before_later_read_response(server, zk, zk2, base):
    """ZooKeeper guarantees a client sees the watch event before it sees the
    new state: the notification precedes, on the wire, every later response
    that reflects the change. Checked on the wire with the raw client, because
    kazoo runs watcher callbacks on a separate thread, so the order in which
    its callbacks and its results surface is up to thread scheduling."""
    from jute_client import EventType as RawEventType
    p = zk.create(base + "/order", b"0")
    c = JuteClient(server.host, server.port, timeout_ms=10000)
    try:
        for i in range(5):
            c.get_data(p, watch=True)
            zk2.set(p, str(i + 1).encode())
            deadline = time.monotonic() + 5
            seen_new = False
            while time.monotonic() < deadline and not seen_new:
                data, _ = c.get_data(p)
                seen_new = data == str(i + 1).encode()
            assert seen_new, "never read the new value %d" % (i + 1)
            # read_reply queues every notification that arrived before the reply
            # it returns: the event must already be there.
            events = [e for e in c.events if e.path == p]
            assert [e.type for e in events] == [RawEventType.NODE_DATA_CHANGED], \
                (i, c.events)
            c.events = []
    finally:
        c.close_socket()


def test_events_across_nodes_arrive_in_update_order(zk, zk2, base):
    paths = [zk.create("%s/n%d" % (base, i), b"") for i in range(6)]
    ev = EventCollector()
    for p in paths:
        zk.get(p, watch=ev)
    update_order = [paths[i] for i in (3, 0, 5, 1, 4, 2)]
    for p in update_order:
        zk2.set(p, b"x")
    ev.wait(len(paths))
    assert [e.path for e in ev.events] == update_order
    assert all(e.type == EventType.CHANGED for e in ev.events)


def test_multiple_watch_kinds_on_same_node(zk, zk2, base):
    p = zk.create(base + "/multi", b"")
    data_ev, child_ev, exist_ev = (EventCollector(), EventCollector(),
                                   EventCollector())
    zk.get(p, watch=data_ev)
    zk.get_children(p, watch=child_ev)
    zk.exists(p, watch=exist_ev)
    zk2.delete(p)
    data_ev.wait(1)
    child_ev.wait(1)
    exist_ev.wait(1)
    time.sleep(0.2)
    # kazoo dedups identical callables only; each distinct one fires once
    assert [e.type for e in data_ev.events] == [EventType.DELETED]
    assert [e.type for e in child_ev.events] == [EventType.DELETED]
    assert [e.type for e in exist_ev.events] == [EventType.DELETED]


def test_session_state_events(server):
    states = []
    c = make_kazoo(server.hosts, start=False)
    c.add_listener(lambda s: states.append(s))
    c.start(timeout=15)
    try:
        assert c.state == KazooState.CONNECTED
        assert c.connected
        assert c.client_id[0] != 0 and len(c.client_id[1]) == 16
    finally:
        c.stop()
    assert states[0] == KazooState.CONNECTED
    assert states[-1] == KazooState.LOST
    c.close()
