"""ACLs: digest, auth, ip, world, super, InvalidACL."""

import pytest
from kazoo.exceptions import InvalidACLError, NoAuthError, AuthFailedError
from kazoo.security import (ACL, Id, OPEN_ACL_UNSAFE, READ_ACL_UNSAFE,
                            CREATOR_ALL_ACL, make_digest_acl,
                            make_digest_acl_credential, Permissions)

from conftest import make_kazoo, zk_digest


def test_digest_acl(zk, kazoo_factory, base):
    acl = make_digest_acl("alice", "secret", all=True)
    assert acl.id.id == zk_digest("alice", "secret")
    p = zk.create(base + "/d", b"hidden", acl=[acl])
    with pytest.raises(NoAuthError):
        zk.get(p)
    with pytest.raises(NoAuthError):
        zk.set(p, b"x")
    # exists needs no permission; getACL needs READ or ADMIN (3.8)
    assert zk.exists(p) is not None
    with pytest.raises(NoAuthError):
        zk.get_acls(p)
    other = kazoo_factory(auth_data=[("digest", "alice:secret")])
    acls, st = other.get_acls(p)
    assert acls == [acl] and st.aversion == 0
    assert other.get(p)[0] == b"hidden"
    other.set(p, b"seen")
    wrong = kazoo_factory(auth_data=[("digest", "alice:wrong")])
    with pytest.raises(NoAuthError):
        wrong.get(p)
    zk.add_auth("digest", "alice:secret")
    assert zk.get(p)[0] == b"seen"


def test_read_only_world_acl(zk, base):
    p = zk.create(base + "/ro", b"r", acl=READ_ACL_UNSAFE)
    assert zk.get(p)[0] == b"r"
    with pytest.raises(NoAuthError):
        zk.set(p, b"w")
    with pytest.raises(NoAuthError):
        zk.create(p + "/child")
    with pytest.raises(NoAuthError):
        zk.set_acls(p, OPEN_ACL_UNSAFE)
    # delete permission is checked on the parent, which is open
    zk.delete(p)


def test_perms_create_delete_on_parent(zk, base):
    p = zk.create(base + "/nodel", b"", acl=[ACL(
        Permissions.READ | Permissions.CREATE, Id("world", "anyone"))])
    zk.create(p + "/kid")
    with pytest.raises(NoAuthError):
        zk.delete(p + "/kid")
    with pytest.raises(NoAuthError):
        zk.set(p, b"")
    assert zk.get_children(p) == ["kid"]


def test_auth_scheme_acl(kazoo_factory, base):
    c = kazoo_factory(auth_data=[("digest", "bob:pw")])
    p = c.create(base + "/auth", b"a", acl=CREATOR_ALL_ACL)
    acls, _ = c.get_acls(p)
    # 'auth' is expanded to the creator's digest identity
    assert len(acls) == 1
    assert acls[0].id.scheme == "digest"
    assert acls[0].id.id == zk_digest("bob", "pw")
    assert acls[0].perms == Permissions.ALL
    anon = kazoo_factory()
    with pytest.raises(NoAuthError):
        anon.get(p)


def test_auth_scheme_without_auth_is_invalid_acl(zk, base):
    with pytest.raises(InvalidACLError):
        zk.create(base + "/noauth", b"", acl=CREATOR_ALL_ACL)
    assert zk.exists(base + "/noauth") is None


def test_invalid_acls(zk, base):
    for bad in ([ACL(31, Id("digest", "nocolon"))],
                [ACL(31, Id("nosuchscheme", "x"))],
                [ACL(31, Id("ip", "not-an-ip"))]):
        with pytest.raises(InvalidACLError):
            zk.create(base + "/bad", b"", acl=bad)
    p = zk.create(base + "/ok")
    with pytest.raises(InvalidACLError):
        zk.set_acls(p, [ACL(31, Id("nosuchscheme", "x"))])


def test_ip_acl(zk, base):
    p = zk.create(base + "/ip", b"local", acl=[ACL(31, Id("ip", "127.0.0.1"))])
    assert zk.get(p)[0] == b"local"
    p2 = zk.create(base + "/ip2", b"", acl=[ACL(31, Id("ip", "10.1.2.3"))])
    with pytest.raises(NoAuthError):
        zk.get(p2)
    p3 = zk.create(base + "/ip3", b"net",
                   acl=[ACL(31, Id("ip", "127.0.0.0/8"))])
    assert zk.get(p3)[0] == b"net"


def test_set_and_get_acls(zk, kazoo_factory, base):
    p = zk.create(base + "/sa")
    acls, st = zk.get_acls(p)
    assert [(a.perms, a.id.scheme, a.id.id) for a in acls] == [
        (31, "world", "anyone")]
    new = [make_digest_acl("u1", "p1", read=True),
           ACL(Permissions.READ | Permissions.WRITE, Id("world", "anyone"))]
    st = zk.set_acls(p, new)
    assert st.aversion == 1
    acls, st2 = zk.get_acls(p)
    # without ADMIN permission the digest hash is redacted to "user:x"
    assert acls == [ACL(Permissions.READ, Id("digest", "u1:x")), new[1]]
    assert st2.aversion == 1 and st2.version == 0
    # super (or ADMIN) sees the real digest
    sup = kazoo_factory(auth_data=[("digest", "super:test")])
    acls_sup, _ = sup.get_acls(p)
    assert acls_sup == new


def test_super_user_reads_anything(kazoo_factory, zk, base):
    acl = make_digest_acl("carol", "pw", all=True)
    p = zk.create(base + "/s", b"top", acl=[acl])
    sup = kazoo_factory(auth_data=[("digest", "super:test")])
    assert sup.get(p)[0] == b"top"
    sup.set(p, b"super-wrote")
    sup.set_acls(p, OPEN_ACL_UNSAFE)
    assert zk.get(p)[0] == b"super-wrote"
    notsup = kazoo_factory(auth_data=[("digest", "super:wrong")])
    with pytest.raises(NoAuthError):
        notsup.set("/zookeeper/config", b"")


def test_unknown_auth_scheme_fails(zk):
    with pytest.raises(AuthFailedError):
        zk.add_auth("nosuchscheme", "x")
