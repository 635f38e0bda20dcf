'use strict';
// Caucus compatibility check with the stock npm client node-zookeeper-client.
//
//   node compat.js HOST:PORT
//
// Prints one "PASS <check>" / "FAIL <check>: <detail>" line per check and
// exits 0 only if every check passed (1 otherwise, 2 on a usage/setup error).
// Run by tests/compat/test_node_client.py against real ZooKeeper 3.8 and
// caucusd; every expectation below is what ZooKeeper 3.8 answers.

const crypto = require('crypto');
const zookeeper = require('node-zookeeper-client');

const { ACL, Id, Permission, CreateMode, Event, Exception } = zookeeper;

const hosts = process.argv[2];
if (!hosts) {
    console.error('usage: node compat.js HOST:PORT');
    process.exit(2);
}

const OP = { CREATE: 1, DELETE: 2, SET_DATA: 5, CHECK: 13, ERROR: -1 };
const STEP_TIMEOUT_MS = 10000;

let passed = 0;
let failed = 0;

function check(name, ok, detail) {
    if (ok) {
        passed += 1;
        console.log('PASS ' + name);
    } else {
        failed += 1;
        console.log('FAIL ' + name + (detail === undefined ? '' : ': ' + detail));
    }
    return ok;
}

function show(v) {
    try {
        return JSON.stringify(v);
    } catch (e) {
        return String(v);
    }
}

function eq(name, actual, expected) {
    const a = show(actual);
    const e = show(expected);
    return check(name, a === e, 'expected ' + e + ', got ' + a);
}

function withTimeout(promise, ms, what) {
    let timer;
    const t = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout after ' + ms + ' ms: ' + what)), ms);
    });
    return Promise.race([promise, t]).finally(() => clearTimeout(timer));
}

// Wraps a callback-style client method; resolves to {err, args[]} so that
// expected errors can be asserted without exceptions.
function call(client, method, ...args) {
    return withTimeout(new Promise((resolve) => {
        client[method](...args, (err, ...rest) => resolve({ err: err || null, res: rest }));
    }), STEP_TIMEOUT_MS, method + ' ' + show(args[0]));
}

async function ok(client, method, ...args) {
    const r = await call(client, method, ...args);
    if (r.err) {
        throw new Error(method + ' ' + show(args[0]) + ' failed: ' + r.err);
    }
    return r.res;
}

function code(err) {
    return err && typeof err.getCode === 'function' ? err.getCode() : (err ? String(err) : 0);
}

function connect(label) {
    const client = zookeeper.createClient(hosts, { sessionTimeout: 10000, spinDelay: 200, retries: 0 });
    return withTimeout(new Promise((resolve) => {
        client.once('connected', () => resolve(client));
        client.connect();
    }), STEP_TIMEOUT_MS, 'connect ' + label).catch((e) => {
        client.close();
        throw e;
    });
}

// Breadth-first list of a subtree (root first).
async function listTree(client, root) {
    const out = [root];
    for (let i = 0; i < out.length; i += 1) {
        const [kids] = await ok(client, 'getChildren', out[i]);
        kids.sort().forEach((k) => out.push(out[i] + '/' + k));
    }
    return out;
}

async function removeTree(client, root) {
    const nodes = await listTree(client, root);
    for (const n of nodes.reverse()) {
        await ok(client, 'remove', n, -1);
    }
}

function digest(user, password) {
    const h = crypto.createHash('sha1').update(user + ':' + password).digest('base64');
    return user + ':' + h;
}

// Resolves with the first event delivered to the returned watcher.
function watchPromise() {
    let resolveFn;
    const p = new Promise((resolve) => { resolveFn = resolve; });
    return { watcher: (event) => resolveFn(event), event: p };
}

async function section(name, fn) {
    try {
        await fn();
    } catch (e) {
        check(name, false, 'exception: ' + (e && e.stack ? e.stack.split('\n').slice(0, 3).join(' | ') : e));
    }
}

async function main() {
    const base = '/node-client-' + crypto.randomBytes(4).toString('hex');
    let c1;
    let c2;
    let c3;

    await section('connect', async () => {
        c1 = await connect('c1');
        check('connect: state SYNC_CONNECTED',
            c1.getState() === zookeeper.State.SYNC_CONNECTED, String(c1.getState()));
        const sid = c1.getSessionId();
        check('connect: 8-byte non-zero session id',
            Buffer.isBuffer(sid) && sid.length === 8 && !sid.equals(Buffer.alloc(8)), show(sid));
        const pw = c1.getSessionPassword();
        check('connect: 16-byte session password',
            Buffer.isBuffer(pw) && pw.length === 16, show(pw));
        check('connect: negotiated timeout 10000',
            c1.getSessionTimeout() === 10000, String(c1.getSessionTimeout()));
    });
    if (!c1) {
        return;
    }

    await section('create', async () => {
        const [p] = await ok(c1, 'create', base, Buffer.from('root'), CreateMode.PERSISTENT);
        eq('create persistent: returned path', p, base);
        const [data, stat] = await ok(c1, 'getData', base);
        eq('create persistent: data', data.toString(), 'root');
        eq('create persistent: version 0', stat.version, 0);
        check('create persistent: ephemeralOwner 0',
            stat.ephemeralOwner.equals(Buffer.alloc(8)), show(stat.ephemeralOwner));

        let r = await call(c1, 'create', base, Buffer.from('x'));
        eq('create existing: NODE_EXISTS', code(r.err), Exception.NODE_EXISTS);
        r = await call(c1, 'create', base + '/missing/child');
        eq('create without parent: NO_NODE', code(r.err), Exception.NO_NODE);

        const [e] = await ok(c1, 'create', base + '/eph', Buffer.from('e'), CreateMode.EPHEMERAL);
        eq('create ephemeral: returned path', e, base + '/eph');
        const [, es] = await ok(c1, 'getData', base + '/eph');
        check('create ephemeral: ephemeralOwner == session id',
            es.ephemeralOwner.equals(c1.getSessionId()),
            show(es.ephemeralOwner) + ' vs ' + show(c1.getSessionId()));
        r = await call(c1, 'create', base + '/eph/child');
        eq('create under ephemeral: NO_CHILDREN_FOR_EPHEMERALS', code(r.err),
            Exception.NO_CHILDREN_FOR_EPHEMERALS);

        await ok(c1, 'create', base + '/seq');
        const [s0] = await ok(c1, 'create', base + '/seq/n-', null, CreateMode.PERSISTENT_SEQUENTIAL);
        const [s1] = await ok(c1, 'create', base + '/seq/n-', null, CreateMode.EPHEMERAL_SEQUENTIAL);
        eq('create sequential: first suffix', s0, base + '/seq/n-0000000000');
        eq('create ephemeral sequential: second suffix', s1, base + '/seq/n-0000000001');

        const [mk] = await ok(c1, 'mkdirp', base + '/deep/a/b', Buffer.from('leaf'));
        eq('mkdirp: returned path', mk, base + '/deep/a/b');
        const [leaf] = await ok(c1, 'getData', base + '/deep/a/b');
        eq('mkdirp: leaf data', leaf.toString(), 'leaf');
    });

    await section('data', async () => {
        const p = base + '/data';
        await ok(c1, 'create', p, Buffer.from('v0'));
        const [st1] = await ok(c1, 'setData', p, Buffer.from('v1'), 0);
        eq('setData version 0: new version 1', st1.version, 1);
        eq('setData: dataLength', st1.dataLength, 2);
        let r = await call(c1, 'setData', p, Buffer.from('bad'), 0);
        eq('setData stale version: BAD_VERSION', code(r.err), Exception.BAD_VERSION);
        const [st2] = await ok(c1, 'setData', p, Buffer.from('v2'), -1);
        eq('setData version -1: new version 2', st2.version, 2);
        const [d, s] = await ok(c1, 'getData', p);
        eq('getData: data after updates', d.toString(), 'v2');
        eq('getData: version', s.version, 2);
        check('getData: mzxid > czxid', Buffer.compare(s.mzxid, s.czxid) > 0,
            show(s.mzxid) + ' vs ' + show(s.czxid));
        await ok(c1, 'setData', p, Buffer.alloc(0), -1);
        const [dn, sn] = await ok(c1, 'getData', p);
        check('setData empty buffer: empty data', dn === null || dn.length === 0, show(dn));
        eq('setData empty buffer: dataLength 0', sn.dataLength, 0);
        r = await call(c1, 'getData', base + '/nope');
        eq('getData missing: NO_NODE', code(r.err), Exception.NO_NODE);
        r = await call(c1, 'setData', base + '/nope', Buffer.from('x'), -1);
        eq('setData missing: NO_NODE', code(r.err), Exception.NO_NODE);
    });

    await section('exists', async () => {
        const [st] = await ok(c1, 'exists', base + '/data');
        check('exists: stat for existing node', st && st.version === 3, show(st && st.version));
        const [none] = await ok(c1, 'exists', base + '/nope');
        check('exists: null for missing node', none === null || none === undefined, show(none));
        const w = watchPromise();
        await ok(c1, 'exists', base + '/later', w.watcher);
        await ok(c1, 'create', base + '/later');
        const ev = await withTimeout(w.event, STEP_TIMEOUT_MS, 'exists watch');
        eq('exists watcher: NODE_CREATED', ev.getType(), Event.NODE_CREATED);
        eq('exists watcher: path', ev.getPath(), base + '/later');
    });

    await section('children', async () => {
        const p = base + '/kids';
        await ok(c1, 'create', p);
        await ok(c1, 'create', p + '/b');
        await ok(c1, 'create', p + '/a');
        const w = watchPromise();
        const [kids, st] = await ok(c1, 'getChildren', p, w.watcher);
        eq('getChildren: names', kids.slice().sort(), ['a', 'b']);
        eq('getChildren: stat numChildren', st.numChildren, 2);
        eq('getChildren: stat cversion', st.cversion, 2);
        await ok(c1, 'create', p + '/c');
        const ev = await withTimeout(w.event, STEP_TIMEOUT_MS, 'child watch');
        eq('child watcher: NODE_CHILDREN_CHANGED', ev.getType(), Event.NODE_CHILDREN_CHANGED);
        eq('child watcher: path', ev.getPath(), p);
        const [kids2] = await ok(c1, 'getChildren', p);
        eq('getChildren after create: names', kids2.slice().sort(), ['a', 'b', 'c']);
        const r = await call(c1, 'getChildren', base + '/nope');
        eq('getChildren missing: NO_NODE', code(r.err), Exception.NO_NODE);
        // (the client's own listSubTreeBFS/removeRecursive are broken with
        // async 3.x, see removeTree below)
        eq('subtree walk', await listTree(c1, base + '/deep'),
            [base + '/deep', base + '/deep/a', base + '/deep/a/b']);
    });

    await section('data watch', async () => {
        const p = base + '/watched';
        await ok(c1, 'create', p, Buffer.from('w0'));
        c2 = await connect('c2');
        const w = watchPromise();
        const [d] = await ok(c1, 'getData', p, w.watcher);
        eq('getData with watcher: data', d.toString(), 'w0');
        await ok(c2, 'setData', p, Buffer.from('w1'), -1);
        const ev = await withTimeout(w.event, STEP_TIMEOUT_MS, 'data watch');
        eq('data watcher: NODE_DATA_CHANGED', ev.getType(), Event.NODE_DATA_CHANGED);
        eq('data watcher: path', ev.getPath(), p);
        const [d2] = await ok(c1, 'getData', p);
        eq('getData after watch: new data', d2.toString(), 'w1');

        const wd = watchPromise();
        await ok(c1, 'getData', p, wd.watcher);
        await ok(c2, 'remove', p, -1);
        const evd = await withTimeout(wd.event, STEP_TIMEOUT_MS, 'delete watch');
        eq('data watcher on delete: NODE_DELETED', evd.getType(), Event.NODE_DELETED);
    });

    await section('transaction', async () => {
        const p = base + '/txn';
        const [results] = await ok(c1.transaction()
            .create(p, Buffer.from('t0'))
            .create(p + '/x', Buffer.from('x0'))
            .setData(p + '/x', Buffer.from('x1'), 0)
            .check(p + '/x', 1)
            .remove(p + '/x', 1), 'commit');
        eq('transaction success: result types', results.map((r) => r.type),
            [OP.CREATE, OP.CREATE, OP.SET_DATA, OP.CHECK, OP.DELETE]);
        eq('transaction success: create paths', [results[0].path, results[1].path], [p, p + '/x']);
        eq('transaction success: setData stat version', results[2].stat && results[2].stat.version, 1);
        const [kids] = await ok(c1, 'getChildren', p);
        eq('transaction success: effects applied', kids, []);
        const [pd] = await ok(c1, 'getData', p);
        eq('transaction success: created data', pd.toString(), 't0');

        const r = await call(c1.transaction()
            .create(p + '/y', Buffer.from('y'))
            .setData(p, Buffer.from('t1'), 0)
            .check(p, 5)
            .create(p + '/z'), 'commit');
        eq('transaction failure: error BAD_VERSION', code(r.err), Exception.BAD_VERSION);
        const fres = r.res[0] || [];
        eq('transaction failure: all results are errors', fres.map((x) => x.type),
            [OP.ERROR, OP.ERROR, OP.ERROR, OP.ERROR]);
        eq('transaction failure: per-op error codes', fres.map((x) => x.err),
            [0, 0, Exception.BAD_VERSION, Exception.RUNTIME_INCONSISTENCY]);
        const [ys] = await ok(c1, 'exists', p + '/y');
        check('transaction failure: create rolled back', !ys, show(ys));
        const [pd2, ps2] = await ok(c1, 'getData', p);
        eq('transaction failure: setData rolled back', [pd2.toString(), ps2.version], ['t0', 0]);

        const r2 = await call(c1.transaction().check(base + '/nope', -1), 'commit');
        eq('transaction check missing node: NO_NODE', code(r2.err), Exception.NO_NODE);
    });

    await section('acl', async () => {
        const p = base + '/acl';
        await ok(c1, 'create', p, Buffer.from('a'));
        const [acls, st] = await ok(c1, 'getACL', p);
        eq('getACL default: world:anyone ALL',
            acls.map((a) => [a.permission, a.id.scheme, a.id.id]),
            [[Permission.ALL, 'world', 'anyone']]);
        eq('getACL: aversion 0', st.aversion, 0);
        const readOnly = [new ACL(Permission.READ, new Id('world', 'anyone'))];
        let r = await call(c1, 'setACL', p, readOnly, 3);
        eq('setACL wrong aversion: BAD_VERSION', code(r.err), Exception.BAD_VERSION);
        r = await call(c1, 'setACL', p, [new ACL(Permission.ALL, new Id('bogus', 'x'))], -1);
        eq('setACL unknown scheme: INVALID_ACL', code(r.err), Exception.INVALID_ACL);
        const [st2] = await ok(c1, 'setACL', p, readOnly, 0);
        eq('setACL: aversion 1', st2.aversion, 1);
        eq('setACL: data version unchanged', st2.version, 0);
        const [acls2] = await ok(c1, 'getACL', p);
        eq('getACL after setACL', acls2.map((a) => [a.permission, a.id.scheme, a.id.id]),
            [[Permission.READ, 'world', 'anyone']]);
        r = await call(c1, 'setData', p, Buffer.from('b'), -1);
        eq('setData on read-only ACL: NO_AUTH', code(r.err), Exception.NO_AUTH);
        const [d] = await ok(c1, 'getData', p);
        eq('getData on read-only ACL still works', d.toString(), 'a');
        r = await call(c1, 'setACL', p, ACL.OPEN_ACL_UNSAFE, -1);
        eq('setACL without ADMIN: NO_AUTH', code(r.err), Exception.NO_AUTH);
    });

    await section('digest auth', async () => {
        const p = base + '/secret';
        c3 = await connect('c3');
        c3.addAuthInfo('digest', Buffer.from('alice:wonderland'));
        const mine = [new ACL(Permission.ALL, new Id('digest', digest('alice', 'wonderland')))];
        const [cp] = await ok(c3, 'create', p, Buffer.from('s3cret'), mine);
        eq('create with digest ACL', cp, p);
        const [d] = await ok(c3, 'getData', p);
        eq('authenticated getData', d.toString(), 's3cret');
        const [acls] = await ok(c3, 'getACL', p);
        eq('getACL as owner shows digest id', acls.map((a) => [a.permission, a.id.scheme, a.id.id]),
            [[Permission.ALL, 'digest', digest('alice', 'wonderland')]]);

        let r = await call(c1, 'getData', p);
        eq('unauthenticated getData: NO_AUTH', code(r.err), Exception.NO_AUTH);
        r = await call(c1, 'setData', p, Buffer.from('x'), -1);
        eq('unauthenticated setData: NO_AUTH', code(r.err), Exception.NO_AUTH);
        r = await call(c1, 'getACL', p);
        eq('unauthenticated getACL: NO_AUTH', code(r.err), Exception.NO_AUTH);
        r = await call(c1, 'create', p + '/child');
        eq('unauthenticated create child: NO_AUTH', code(r.err), Exception.NO_AUTH);
        const [st] = await ok(c1, 'exists', p);
        check('unauthenticated exists still works', !!st, show(st));

        c2.addAuthInfo('digest', Buffer.from('alice:wrong'));
        r = await call(c2, 'getData', p);
        eq('wrong password getData: NO_AUTH', code(r.err), Exception.NO_AUTH);

        const creator = base + '/creator';
        await ok(c3, 'create', creator, Buffer.from('c'), ACL.CREATOR_ALL_ACL);
        const [cacl] = await ok(c3, 'getACL', creator);
        eq('CREATOR_ALL_ACL expands to the digest id',
            cacl.map((a) => [a.permission, a.id.scheme, a.id.id]),
            [[Permission.ALL, 'digest', digest('alice', 'wonderland')]]);
        r = await call(c1, 'create', base + '/creator2', null, ACL.CREATOR_ALL_ACL);
        eq('CREATOR_ALL_ACL without auth: INVALID_ACL', code(r.err), Exception.INVALID_ACL);

        r = await call(c1, 'remove', p, -1);
        check('delete is governed by the parent ACL', r.err === null, String(r.err));
        await ok(c3, 'remove', creator, -1);
    });

    await section('remove', async () => {
        let r = await call(c1, 'remove', base + '/kids', -1);
        eq('remove non-empty: NOT_EMPTY', code(r.err), Exception.NOT_EMPTY);
        r = await call(c1, 'remove', base + '/kids/a', 7);
        eq('remove stale version: BAD_VERSION', code(r.err), Exception.BAD_VERSION);
        await ok(c1, 'remove', base + '/kids/a', 0);
        r = await call(c1, 'remove', base + '/kids/a', -1);
        eq('remove missing: NO_NODE', code(r.err), Exception.NO_NODE);
        await removeTree(c1, base + '/deep');
        const [st] = await ok(c1, 'exists', base + '/deep');
        check('recursive remove: subtree gone', !st, show(st));
    });

    await section('close', async () => {
        // c1 owns base/eph and base/seq/n-0000000001; closing it must remove them.
        c1.close();
        c1 = null;
        const deadline = Date.now() + 5000;
        let st = true;
        let st2 = true;
        while (Date.now() < deadline) {
            [st] = await ok(c2, 'exists', base + '/eph');
            [st2] = await ok(c2, 'exists', base + '/seq/n-0000000001');
            if (!st && !st2) {
                break;
            }
            await new Promise((res) => setTimeout(res, 100));
        }
        check('close: ephemeral removed', !st, show(st));
        check('close: ephemeral sequential removed', !st2, show(st2));
        const [ps] = await ok(c2, 'exists', base + '/seq/n-0000000000');
        check('close: persistent sequential kept', !!ps, show(ps));
        await removeTree(c2, base);
        const [bs] = await ok(c2, 'exists', base);
        check('cleanup: base removed', !bs, show(bs));
    });

    for (const c of [c1, c2, c3]) {
        if (c) {
            c.close();
        }
    }
}

const hardTimer = setTimeout(() => {
    console.log('FAIL overall: did not finish within 45 s');
    process.exit(1);
}, 45000);

main().catch((e) => {
    check('main', false, 'exception: ' + (e && e.stack ? e.stack : e));
}).finally(() => {
    clearTimeout(hardTimer);
    console.log('node-zookeeper-client compat: ' + passed + ' passed, ' + failed + ' failed');
    // give close() requests a moment to flush before exiting
    setTimeout(() => process.exit(failed === 0 && passed > 0 ? 0 : 1), 200);
});
