// Caucus compatibility check with the stock Apache Curator (Debian's
// libcurator-*-java 5.4.0) on top of Debian's ZooKeeper 3.8 Java client.
//
//   java -cp <curator jars>:<dir> CuratorCompat HOST:PORT
//
// Prints one "PASS <check>" / "FAIL <check>: <detail>" line per check and
// exits 0 only if every check passed. Compiled and run by
// tests/compat/test_curator.py against real ZooKeeper 3.8 and caucusd; every
// expectation here is what ZooKeeper 3.8 answers.

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.api.CuratorWatcher;
import org.apache.curator.framework.api.transaction.CuratorOp;
import org.apache.curator.framework.api.transaction.CuratorTransactionResult;
import org.apache.curator.framework.api.transaction.OperationType;
import org.apache.curator.framework.recipes.atomic.AtomicValue;
import org.apache.curator.framework.recipes.atomic.DistributedAtomicLong;
import org.apache.curator.framework.recipes.barriers.DistributedBarrier;
import org.apache.curator.framework.recipes.barriers.DistributedDoubleBarrier;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.apache.curator.framework.recipes.cache.NodeCache;
import org.apache.curator.framework.recipes.cache.PathChildrenCache;
import org.apache.curator.framework.recipes.cache.PathChildrenCacheEvent;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.curator.retry.RetryNTimes;
import org.apache.curator.utils.ZKPaths;
import org.apache.zookeeper.AddWatchMode;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.OpResult;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Id;
import org.apache.zookeeper.data.Stat;
import org.apache.zookeeper.server.auth.DigestAuthenticationProvider;

public class CuratorCompat {
    static int passed = 0;
    static int failed = 0;
    static final long WAIT_MS = 10_000;

    interface Body {
        void run() throws Exception;
    }

    static synchronized boolean check(String name, boolean ok, Object detail) {
        if (ok) {
            passed++;
            System.out.println("PASS " + name);
        } else {
            failed++;
            System.out.println("FAIL " + name + ": " + detail);
        }
        System.out.flush();
        return ok;
    }

    static boolean eq(String name, Object actual, Object expected) {
        return check(name, Objects.equals(actual, expected),
                "expected <" + expected + ">, got <" + actual + ">");
    }

    static void section(String name, Body body) {
        try {
            body.run();
        } catch (Throwable t) {
            StringBuilder sb = new StringBuilder("exception " + t);
            StackTraceElement[] st = t.getStackTrace();
            for (int i = 0; i < Math.min(4, st.length); i++) {
                sb.append(" | at ").append(st[i]);
            }
            check(name, false, sb);
        }
    }

    /** Runs body and returns the KeeperException.Code it throws (OK if none). */
    static KeeperException.Code codeOf(Body body) throws Exception {
        try {
            body.run();
            return KeeperException.Code.OK;
        } catch (KeeperException e) {
            return e.code();
        }
    }

    static boolean waitFor(BooleanSupplier cond, long ms) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
        while (System.nanoTime() < deadline) {
            if (cond.getAsBoolean()) {
                return true;
            }
            Thread.sleep(50);
        }
        return cond.getAsBoolean();
    }

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String s(byte[] d) {
        return d == null ? null : new String(d, StandardCharsets.UTF_8);
    }

    static String hosts;
    static final List<CuratorFramework> clients = Collections.synchronizedList(new ArrayList<>());

    static CuratorFramework newClient() throws Exception {
        CuratorFramework c = CuratorFrameworkFactory.builder()
                .connectString(hosts)
                .sessionTimeoutMs(10_000)
                .connectionTimeoutMs(5_000)
                .retryPolicy(new ExponentialBackoffRetry(100, 3))
                .build();
        clients.add(c);
        c.start();
        if (!c.blockUntilConnected(15, TimeUnit.SECONDS)) {
            throw new IllegalStateException("Curator client did not connect to " + hosts);
        }
        return c;
    }

    static boolean exists(CuratorFramework c, String path) {
        try {
            return c.checkExists().forPath(path) != null;
        } catch (Exception e) {
            throw new RuntimeException(e);
        }
    }

    static long sessionId(CuratorFramework c) throws Exception {
        return c.getZookeeperClient().getZooKeeper().getSessionId();
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: CuratorCompat HOST:PORT");
            System.exit(2);
        }
        hosts = args[0];
        Thread watchdog = new Thread(() -> {
            try {
                Thread.sleep(50_000);
                System.out.println("FAIL overall: did not finish within 50 s");
                System.out.flush();
                Runtime.getRuntime().halt(1);
            } catch (InterruptedException e) {
                // finished in time
            }
        });
        watchdog.setDaemon(true);
        watchdog.start();
        try {
            run();
        } catch (Throwable t) {
            check("main", false, "exception " + t);
        }
        for (CuratorFramework c : new ArrayList<>(clients)) {
            try {
                c.close();
            } catch (Throwable t) {
                // ignore
            }
        }
        System.out.println("curator compat: " + passed + " passed, " + failed + " failed");
        System.out.flush();
        Runtime.getRuntime().halt(failed == 0 && passed > 0 ? 0 : 1);
    }

    static void run() throws Exception {
        final String base = "/curator-" + UUID.randomUUID().toString().substring(0, 8);
        final CuratorFramework c1;
        final CuratorFramework c2;
        try {
            c1 = newClient();
            c2 = newClient();
        } catch (Exception e) {
            check("connect", false, e);
            return;
        }
        check("connect: two clients connected", c1.getZookeeperClient().isConnected()
                && c2.getZookeeperClient().isConnected(), "not connected");
        check("connect: distinct non-zero session ids", sessionId(c1) != 0
                && sessionId(c1) != sessionId(c2), sessionId(c1) + " / " + sessionId(c2));
        eq("create base", c1.create().forPath(base), base);

        // Started early, checked at the end: containers and a TTL node are
        // reaped by the server's container manager (checkIntervalMs=1000).
        section("containers setup", () -> {
            String leaf = c1.create().creatingParentContainersIfNeeded().forPath(base + "/ct/x/y", b("y"));
            eq("creatingParentContainersIfNeeded: returned path", leaf, base + "/ct/x/y");
            Stat xs = c1.checkExists().forPath(base + "/ct/x");
            check("creatingParentContainersIfNeeded: parent exists, ephemeralOwner 0",
                    xs != null && xs.getEphemeralOwner() == 0, xs);
            c1.delete().forPath(base + "/ct/x/y");
        });
        section("ttl setup", () -> {
            String t = c1.create().withTtl(1000).withMode(CreateMode.PERSISTENT_WITH_TTL)
                    .forPath(base + "/ttl", b("t"));
            eq("create withTtl PERSISTENT_WITH_TTL", t, base + "/ttl");
        });

        section("create", () -> {
            String p = c1.create().creatingParentsIfNeeded().forPath(base + "/a/b/c", b("leaf"));
            eq("creatingParentsIfNeeded: returned path", p, base + "/a/b/c");
            check("creatingParentsIfNeeded: parents exist",
                    exists(c1, base + "/a") && exists(c1, base + "/a/b"), "missing parent");
            eq("creatingParentsIfNeeded: leaf data", s(c1.getData().forPath(base + "/a/b/c")), "leaf");
            eq("create existing: NODEEXISTS",
                    codeOf(() -> c1.create().forPath(base + "/a/b/c", b("x"))), KeeperException.Code.NODEEXISTS);
            eq("create without parent: NONODE",
                    codeOf(() -> c1.create().forPath(base + "/nope/x")), KeeperException.Code.NONODE);
            c1.create().orSetData().forPath(base + "/a/b/c", b("again"));
            eq("create().orSetData() on existing node sets data",
                    s(c1.getData().forPath(base + "/a/b/c")), "again");
            String e = c2.create().withMode(CreateMode.EPHEMERAL).forPath(base + "/eph2");
            Stat es = c1.checkExists().forPath(e);
            check("create EPHEMERAL: ephemeralOwner is the creating session",
                    es != null && es.getEphemeralOwner() == sessionId(c2), es);
            eq("create under ephemeral: NOCHILDRENFOREPHEMERALS",
                    codeOf(() -> c1.create().forPath(base + "/eph2/x")),
                    KeeperException.Code.NOCHILDRENFOREPHEMERALS);
            String s0 = c1.create().withMode(CreateMode.PERSISTENT_SEQUENTIAL).forPath(base + "/seq-");
            String s1 = c1.create().withMode(CreateMode.PERSISTENT_SEQUENTIAL).forPath(base + "/seq-");
            check("PERSISTENT_SEQUENTIAL: increasing 10-digit suffixes",
                    s0.matches(".*/seq-\\d{10}") && s1.matches(".*/seq-\\d{10}") && s1.compareTo(s0) > 0,
                    s0 + ", " + s1);
        });

        section("withProtection", () -> {
            String pp = c1.create().creatingParentsIfNeeded().withProtection()
                    .withMode(CreateMode.EPHEMERAL_SEQUENTIAL).forPath(base + "/prot/lock-", b("p"));
            String name = ZKPaths.getNodeFromPath(pp);
            check("withProtection EPHEMERAL_SEQUENTIAL: _c_<uuid>-lock-<10 digits>",
                    pp.startsWith(base + "/prot/")
                            && name.matches("_c_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-lock-\\d{10}"),
                    pp);
            Stat ps = c1.checkExists().forPath(pp);
            check("withProtection: ephemeralOwner is our session",
                    ps != null && ps.getEphemeralOwner() == sessionId(c1), ps);
            eq("withProtection: the only child", c1.getChildren().forPath(base + "/prot"),
                    Collections.singletonList(name));
            eq("withProtection: data", s(c1.getData().forPath(pp)), "p");
        });

        section("data and versions", () -> {
            String p = base + "/d";
            c1.create().forPath(p, b("v0"));
            Stat st = new Stat();
            eq("getData storingStatIn: data", s(c1.getData().storingStatIn(st).forPath(p)), "v0");
            eq("getData storingStatIn: version 0", st.getVersion(), 0);
            eq("getData storingStatIn: dataLength", st.getDataLength(), 2);
            Stat st1 = c1.setData().withVersion(st.getVersion()).forPath(p, b("v1"));
            eq("setData withVersion(0): version 1", st1.getVersion(), 1);
            check("setData: mzxid > czxid", st1.getMzxid() > st1.getCzxid(), st1);
            eq("setData stale version: BADVERSION",
                    codeOf(() -> c1.setData().withVersion(0).forPath(p, b("bad"))),
                    KeeperException.Code.BADVERSION);
            eq("getData after stale setData", s(c1.getData().forPath(p)), "v1");
            eq("setData without version: version 2", c1.setData().forPath(p, b("v2")).getVersion(), 2);
            eq("delete stale version: BADVERSION",
                    codeOf(() -> c1.delete().withVersion(1).forPath(p)), KeeperException.Code.BADVERSION);
            eq("getData missing: NONODE",
                    codeOf(() -> c1.getData().forPath(base + "/nope")), KeeperException.Code.NONODE);
            eq("setData missing: NONODE",
                    codeOf(() -> c1.setData().forPath(base + "/nope", b("x"))), KeeperException.Code.NONODE);
            c1.delete().withVersion(2).forPath(p);
            check("delete withVersion(2): gone", !exists(c1, p), "still exists");
        });

        section("checkExists and getChildren", () -> {
            String p = base + "/kids";
            c1.create().forPath(p);
            for (String k : new String[] {"c", "a", "b"}) {
                c1.create().forPath(p + "/" + k);
            }
            Stat st = c1.checkExists().forPath(p);
            check("checkExists: stat numChildren 3", st != null && st.getNumChildren() == 3, st);
            check("checkExists missing: null", c1.checkExists().forPath(p + "/zz") == null, "non-null");
            List<String> kids = new ArrayList<>(c1.getChildren().forPath(p));
            Collections.sort(kids);
            eq("getChildren", kids, Arrays.asList("a", "b", "c"));
            eq("getChildren missing: NONODE",
                    codeOf(() -> c1.getChildren().forPath(base + "/nope")), KeeperException.Code.NONODE);
            BlockingQueue<WatchedEvent> evs = new LinkedBlockingQueue<>();
            CuratorWatcher w = evs::add;
            c1.getChildren().usingWatcher(w).forPath(p);
            c2.create().forPath(p + "/d");
            WatchedEvent ev = evs.poll(WAIT_MS, TimeUnit.MILLISECONDS);
            check("getChildren watcher: NodeChildrenChanged",
                    ev != null && ev.getType() == Watcher.Event.EventType.NodeChildrenChanged
                            && p.equals(ev.getPath()), ev);
            c1.getData().usingWatcher(w).forPath(p + "/a");
            c2.setData().forPath(p + "/a", b("changed"));
            ev = evs.poll(WAIT_MS, TimeUnit.MILLISECONDS);
            check("getData watcher: NodeDataChanged",
                    ev != null && ev.getType() == Watcher.Event.EventType.NodeDataChanged
                            && (p + "/a").equals(ev.getPath()), ev);
            c1.checkExists().usingWatcher(w).forPath(p + "/new");
            c2.create().forPath(p + "/new");
            ev = evs.poll(WAIT_MS, TimeUnit.MILLISECONDS);
            check("checkExists watcher: NodeCreated",
                    ev != null && ev.getType() == Watcher.Event.EventType.NodeCreated
                            && (p + "/new").equals(ev.getPath()), ev);
        });

        section("removeWatches", () -> {
            String p = base + "/kids/b";
            BlockingQueue<WatchedEvent> evs = new LinkedBlockingQueue<>();
            Watcher w = evs::add;
            c1.getData().usingWatcher(w).forPath(p);
            c1.watchers().remove(w).ofType(Watcher.WatcherType.Data).forPath(p);
            WatchedEvent ev = evs.poll(WAIT_MS, TimeUnit.MILLISECONDS);
            check("watchers().remove(): DataWatchRemoved",
                    ev != null && ev.getType() == Watcher.Event.EventType.DataWatchRemoved, ev);
            c2.setData().forPath(p, b("after-remove"));
            ev = evs.poll(300, TimeUnit.MILLISECONDS);
            check("watchers().remove(): no event after removal", ev == null, ev);
            eq("watchers().remove() with no watch: NOWATCHER",
                    codeOf(() -> c1.watchers().remove(w).ofType(Watcher.WatcherType.Data).forPath(p)),
                    KeeperException.Code.NOWATCHER);
        });

        section("delete", () -> {
            c1.delete().deletingChildrenIfNeeded().forPath(base + "/a");
            check("delete().deletingChildrenIfNeeded(): subtree gone", !exists(c1, base + "/a"), "exists");
            eq("delete non-empty: NOTEMPTY",
                    codeOf(() -> c1.delete().forPath(base + "/kids")), KeeperException.Code.NOTEMPTY);
            eq("delete missing: NONODE",
                    codeOf(() -> c1.delete().forPath(base + "/nope")), KeeperException.Code.NONODE);
            c1.delete().quietly().forPath(base + "/nope");
            check("delete().quietly() on missing node", true, "");
            c1.delete().guaranteed().deletingChildrenIfNeeded().forPath(base + "/kids");
            check("delete().guaranteed().deletingChildrenIfNeeded()", !exists(c1, base + "/kids"), "exists");
        });

        section("transaction", () -> {
            String t = base + "/txn";
            List<CuratorTransactionResult> res = c1.transaction().forOperations(
                    c1.transactionOp().create().forPath(t, b("t0")),
                    c1.transactionOp().create().forPath(t + "/x", b("x0")),
                    c1.transactionOp().setData().withVersion(0).forPath(t + "/x", b("x1")),
                    c1.transactionOp().check().withVersion(1).forPath(t + "/x"),
                    c1.transactionOp().delete().withVersion(1).forPath(t + "/x"));
            eq("transaction(): result types", res.stream().map(CuratorTransactionResult::getType)
                    .collect(Collectors.toList()), Arrays.asList(OperationType.CREATE, OperationType.CREATE,
                    OperationType.SET_DATA, OperationType.CHECK, OperationType.DELETE));
            eq("transaction(): create result paths", Arrays.asList(res.get(0).getResultPath(),
                    res.get(1).getResultPath()), Arrays.asList(t, t + "/x"));
            Stat sst = res.get(2).getResultStat();
            check("transaction(): setData result stat version 1", sst != null && sst.getVersion() == 1, sst);
            eq("transaction(): effects", c1.getChildren().forPath(t), Collections.emptyList());

            List<CuratorOp> bad = Arrays.asList(
                    c1.transactionOp().create().forPath(t + "/y"),
                    c1.transactionOp().check().withVersion(5).forPath(t),
                    c1.transactionOp().create().forPath(t + "/z"));
            try {
                c1.transaction().forOperations(bad);
                check("failing transaction(): throws", false, "no exception");
            } catch (KeeperException e) {
                eq("failing transaction(): BADVERSION", e.code(), KeeperException.Code.BADVERSION);
                List<OpResult> rs = e.getResults();
                List<Integer> errs = new ArrayList<>();
                if (rs != null) {
                    for (OpResult r : rs) {
                        errs.add(r instanceof OpResult.ErrorResult ? ((OpResult.ErrorResult) r).getErr() : 999);
                    }
                }
                eq("failing transaction(): per-op errors", errs, Arrays.asList(0,
                        KeeperException.Code.BADVERSION.intValue(),
                        KeeperException.Code.RUNTIMEINCONSISTENCY.intValue()));
            }
            check("failing transaction(): rolled back", !exists(c1, t + "/y") && !exists(c1, t + "/z"), "exists");

            @SuppressWarnings("deprecation")
            Collection<CuratorTransactionResult> legacy = c1.inTransaction()
                    .create().forPath(t + "/legacy", b("l"))
                    .and().check().withVersion(0).forPath(t)
                    .and().setData().forPath(t, b("t1"))
                    .and().commit();
            eq("inTransaction(): result count", legacy.size(), 3);
            eq("inTransaction(): effects", s(c1.getData().forPath(t + "/legacy")) + "/"
                    + s(c1.getData().forPath(t)), "l/t1");
        });

        section("create2, sync, getConfig", () -> {
            Stat cs = new Stat();
            String p = c1.create().storingStatIn(cs).forPath(base + "/c2", b("abc"));
            eq("create storingStatIn (create2): path", p, base + "/c2");
            check("create storingStatIn: stat of the new node", cs.getVersion() == 0 && cs.getCzxid() > 0
                    && cs.getCzxid() == cs.getMzxid() && cs.getDataLength() == 3 && cs.getNumChildren() == 0
                    && cs.getEphemeralOwner() == 0 && cs.getCtime() > 0, cs);
            eq("create storingStatIn: matches checkExists", c1.checkExists().forPath(p), cs);
            CountDownLatch synced = new CountDownLatch(1);
            AtomicReference<Object> sres = new AtomicReference<>();
            c1.sync().inBackground((cl, ev) -> {
                sres.set(ev.getResultCode() + " " + ev.getPath());
                synced.countDown();
            }).forPath(p);
            check("sync: callback", synced.await(WAIT_MS, TimeUnit.MILLISECONDS), "timeout");
            eq("sync: result code and path", sres.get(), "0 " + p);
            Stat cfgStat = new Stat();
            byte[] cfg = c1.getConfig().storingStatIn(cfgStat).forEnsemble();
            if (System.getenv("CAUCUS_COMPAT_ENSEMBLE") != null
                    && !System.getenv("CAUCUS_COMPAT_ENSEMBLE").isEmpty()
                    && !System.getenv("CAUCUS_COMPAT_ENSEMBLE").equals("0")) {
                String text = cfg == null ? "" : new String(cfg, java.nio.charset.StandardCharsets.UTF_8);
                check("getConfig on an ensemble: server lines and version",
                        text.startsWith("server.1=") && text.contains("\nversion="), text);
            } else {
                check("getConfig on standalone: empty config", cfg != null && cfg.length == 0, s(cfg));
            }
            String cont = c1.create().withMode(CreateMode.CONTAINER).forPath(base + "/cont");
            eq("create CONTAINER: path", cont, base + "/cont");
            Stat contStat = c1.checkExists().forPath(cont);
            check("create CONTAINER: ephemeralOwner 0", contStat != null && contStat.getEphemeralOwner() == 0,
                    contStat);
        });

        section("persistent watch", () -> {
            String p = base + "/pw";
            c1.create().forPath(p, b("0"));
            BlockingQueue<WatchedEvent> evs = new LinkedBlockingQueue<>();
            Watcher w = evs::add;
            c1.watchers().add().withMode(AddWatchMode.PERSISTENT).usingWatcher(w).forPath(p);
            c2.setData().forPath(p, b("1"));
            WatchedEvent ev = evs.poll(WAIT_MS, TimeUnit.MILLISECONDS);
            check("PERSISTENT watch: NodeDataChanged", ev != null
                    && ev.getType() == Watcher.Event.EventType.NodeDataChanged && p.equals(ev.getPath()), ev);
            c2.setData().forPath(p, b("2"));
            ev = evs.poll(WAIT_MS, TimeUnit.MILLISECONDS);
            check("PERSISTENT watch: fires again", ev != null
                    && ev.getType() == Watcher.Event.EventType.NodeDataChanged, ev);
            c2.create().forPath(p + "/k");
            ev = evs.poll(WAIT_MS, TimeUnit.MILLISECONDS);
            check("PERSISTENT watch: NodeChildrenChanged", ev != null
                    && ev.getType() == Watcher.Event.EventType.NodeChildrenChanged && p.equals(ev.getPath()), ev);
            c2.setData().forPath(p + "/k", b("x"));
            ev = evs.poll(300, TimeUnit.MILLISECONDS);
            check("PERSISTENT watch: not recursive", ev == null, ev);
            c1.watchers().remove(w).ofType(Watcher.WatcherType.Any).forPath(p);
            ev = evs.poll(WAIT_MS, TimeUnit.MILLISECONDS);
            check("PERSISTENT watch removed: PersistentWatchRemoved", ev != null
                    && ev.getType() == Watcher.Event.EventType.PersistentWatchRemoved, ev);
            c2.setData().forPath(p, b("3"));
            ev = evs.poll(300, TimeUnit.MILLISECONDS);
            check("PERSISTENT watch removed: silent", ev == null, ev);
        });

        section("ACL and digest auth", () -> {
            String p = base + "/acl";
            CuratorFramework ca = CuratorFrameworkFactory.builder()
                    .connectString(hosts).sessionTimeoutMs(10_000).connectionTimeoutMs(5_000)
                    .retryPolicy(new ExponentialBackoffRetry(100, 3))
                    .authorization("digest", b("bob:builder")).build();
            clients.add(ca);
            ca.start();
            check("auth client connects", ca.blockUntilConnected(15, TimeUnit.SECONDS), "timeout");
            String digest = DigestAuthenticationProvider.generateDigest("bob:builder");
            List<ACL> acl = Collections.singletonList(new ACL(ZooDefs.Perms.ALL, new Id("digest", digest)));
            ca.create().withACL(acl).forPath(p, b("secret"));
            eq("digest ACL: owner reads", s(ca.getData().forPath(p)), "secret");
            eq("digest ACL: owner getACL", ca.getACL().forPath(p), acl);
            eq("digest ACL: other getData NOAUTH",
                    codeOf(() -> c1.getData().forPath(p)), KeeperException.Code.NOAUTH);
            eq("digest ACL: other setData NOAUTH",
                    codeOf(() -> c1.setData().forPath(p, b("x"))), KeeperException.Code.NOAUTH);
            check("digest ACL: other checkExists works", c1.checkExists().forPath(p) != null, "null");
            Stat as = ca.setACL().withVersion(0).withACL(ZooDefs.Ids.READ_ACL_UNSAFE).forPath(p);
            eq("setACL withVersion(0): aversion 1", as.getAversion(), 1);
            eq("setACL: other can read now", s(c1.getData().forPath(p)), "secret");
            eq("setACL after dropping ADMIN: NOAUTH",
                    codeOf(() -> ca.setACL().withVersion(0).withACL(acl).forPath(p)),
                    KeeperException.Code.NOAUTH);
            List<ACL> creator = ZooDefs.Ids.CREATOR_ALL_ACL;
            ca.create().withACL(creator).forPath(p + "2");
            eq("CREATOR_ALL_ACL expands to the digest", ca.getACL().forPath(p + "2"), acl);
            eq("CREATOR_ALL_ACL without auth: INVALIDACL",
                    codeOf(() -> c1.create().withACL(creator).forPath(p + "3")), KeeperException.Code.INVALIDACL);
            ca.delete().forPath(p + "2");
            ca.close();
            clients.remove(ca);
        });

        section("CuratorCache", () -> {
            String p = base + "/cache";
            c1.create().forPath(p, b("root"));
            c1.create().forPath(p + "/pre", b("pre"));
            BlockingQueue<String> evs = new LinkedBlockingQueue<>();
            CountDownLatch init = new CountDownLatch(1);
            CuratorCache cache = CuratorCache.build(c1, p);
            cache.listenable().addListener(CuratorCacheListener.builder()
                    .forInitialized(init::countDown).build());
            cache.listenable().addListener(CuratorCacheListener.builder()
                    .forCreates(d -> evs.add("CREATE " + d.getPath() + " " + s(d.getData())))
                    .forChanges((o, n) -> evs.add("CHANGE " + n.getPath() + " " + s(o.getData()) + "->" + s(n.getData())))
                    .forDeletes(d -> evs.add("DELETE " + d.getPath()))
                    .afterInitialized().build());
            cache.start();
            check("CuratorCache: initialized", init.await(WAIT_MS, TimeUnit.MILLISECONDS), "timeout");
            eq("CuratorCache: initial size", cache.size(), 2);
            eq("CuratorCache: initial data", cache.get(p + "/pre").map(d -> s(d.getData())).orElse(null), "pre");
            // one change at a time: the cache reads data after each event, so
            // back-to-back changes may legitimately be coalesced
            c2.create().forPath(p + "/n1", b("d1"));
            eq("CuratorCache: create event", evs.poll(WAIT_MS, TimeUnit.MILLISECONDS), "CREATE " + p + "/n1 d1");
            c2.setData().forPath(p + "/n1", b("d2"));
            eq("CuratorCache: change event", evs.poll(WAIT_MS, TimeUnit.MILLISECONDS),
                    "CHANGE " + p + "/n1 d1->d2");
            c2.create().forPath(p + "/n1/deep", b("x"));
            eq("CuratorCache: grandchild create event (recursive)", evs.poll(WAIT_MS, TimeUnit.MILLISECONDS),
                    "CREATE " + p + "/n1/deep x");
            c2.delete().forPath(p + "/n1/deep");
            eq("CuratorCache: grandchild delete event (recursive)", evs.poll(WAIT_MS, TimeUnit.MILLISECONDS),
                    "DELETE " + p + "/n1/deep");
            c2.setData().forPath(p, b("root2"));
            eq("CuratorCache: change event on the root", evs.poll(WAIT_MS, TimeUnit.MILLISECONDS),
                    "CHANGE " + p + " root->root2");
            Thread.sleep(200);
            eq("CuratorCache: no extra events", evs.poll(), null);
            eq("CuratorCache: cached data", cache.get(p + "/n1").map(d -> s(d.getData())).orElse(null), "d2");
            cache.close();
        });

        section("NodeCache", () -> {
            String p = base + "/nodecache";
            c1.create().forPath(p, b("n0"));
            @SuppressWarnings("deprecation")
            NodeCache nc = new NodeCache(c1, p);
            BlockingQueue<String> evs = new LinkedBlockingQueue<>();
            nc.getListenable().addListener(() -> {
                ChildData d = nc.getCurrentData();
                evs.add(d == null ? "<deleted>" : s(d.getData()));
            });
            nc.start(true);
            eq("NodeCache: initial data", nc.getCurrentData() == null ? null : s(nc.getCurrentData().getData()), "n0");
            c2.setData().forPath(p, b("n1"));
            eq("NodeCache: change seen", evs.poll(WAIT_MS, TimeUnit.MILLISECONDS), "n1");
            c2.delete().forPath(p);
            eq("NodeCache: delete seen", evs.poll(WAIT_MS, TimeUnit.MILLISECONDS), "<deleted>");
            c2.create().forPath(p, b("n2"));
            eq("NodeCache: re-create seen", evs.poll(WAIT_MS, TimeUnit.MILLISECONDS), "n2");
            nc.close();
        });

        section("PathChildrenCache", () -> {
            String p = base + "/pcc";
            c1.create().forPath(p);
            @SuppressWarnings("deprecation")
            PathChildrenCache pcc = new PathChildrenCache(c1, p, true);
            BlockingQueue<String> evs = new LinkedBlockingQueue<>();
            CountDownLatch init = new CountDownLatch(1);
            pcc.getListenable().addListener((cl, ev) -> {
                if (ev.getType() == PathChildrenCacheEvent.Type.INITIALIZED) {
                    init.countDown();
                } else if (ev.getData() != null) {
                    evs.add(ev.getType() + " " + ZKPaths.getNodeFromPath(ev.getData().getPath())
                            + " " + s(ev.getData().getData()));
                }
            });
            pcc.start(PathChildrenCache.StartMode.POST_INITIALIZED_EVENT);
            check("PathChildrenCache: initialized", init.await(WAIT_MS, TimeUnit.MILLISECONDS), "timeout");
            c2.create().forPath(p + "/k", b("1"));
            eq("PathChildrenCache: CHILD_ADDED", evs.poll(WAIT_MS, TimeUnit.MILLISECONDS), "CHILD_ADDED k 1");
            c2.setData().forPath(p + "/k", b("2"));
            eq("PathChildrenCache: CHILD_UPDATED", evs.poll(WAIT_MS, TimeUnit.MILLISECONDS), "CHILD_UPDATED k 2");
            c2.delete().forPath(p + "/k");
            eq("PathChildrenCache: CHILD_REMOVED", evs.poll(WAIT_MS, TimeUnit.MILLISECONDS), "CHILD_REMOVED k 2");
            pcc.close();
        });

        section("InterProcessMutex", () -> {
            String p = base + "/lock";
            InterProcessMutex m1 = new InterProcessMutex(c1, p);
            InterProcessMutex m2 = new InterProcessMutex(c2, p);
            check("mutex: client 1 acquires", m1.acquire(WAIT_MS, TimeUnit.MILLISECONDS), "timeout");
            check("mutex: reentrant acquire", m1.acquire(WAIT_MS, TimeUnit.MILLISECONDS), "timeout");
            m1.release();
            check("mutex: still held after one release", m1.isAcquiredInThisProcess(), "not held");
            check("mutex: client 2 times out while held", !m2.acquire(300, TimeUnit.MILLISECONDS), "acquired");
            CountDownLatch acquired = new CountDownLatch(1);
            CountDownLatch mayRelease = new CountDownLatch(1);
            CountDownLatch released = new CountDownLatch(1);
            AtomicReference<Object> err = new AtomicReference<>();
            Thread t = new Thread(() -> {
                try {
                    if (m2.acquire(WAIT_MS, TimeUnit.MILLISECONDS)) {
                        acquired.countDown();
                        mayRelease.await(WAIT_MS, TimeUnit.MILLISECONDS);
                        m2.release();
                        released.countDown();
                    } else {
                        err.set("acquire timed out");
                    }
                } catch (Exception e) {
                    err.set(e);
                }
            });
            t.setDaemon(true);
            t.start();
            check("mutex: client 2 blocks while client 1 holds",
                    !acquired.await(500, TimeUnit.MILLISECONDS), "acquired while held");
            eq("mutex: two participants", m1.getParticipantNodes().size(), 2);
            m1.release();
            check("mutex: client 2 acquires after release",
                    acquired.await(WAIT_MS, TimeUnit.MILLISECONDS), err.get());
            check("mutex: client 1 no longer holds", !m1.isAcquiredInThisProcess(), "held");
            mayRelease.countDown();
            check("mutex: client 2 releases", released.await(WAIT_MS, TimeUnit.MILLISECONDS), err.get());
            eq("mutex: no lock nodes left", c1.getChildren().forPath(p), Collections.emptyList());
        });

        section("LeaderLatch", () -> {
            String p = base + "/leader";
            LeaderLatch l1 = new LeaderLatch(c1, p, "A");
            LeaderLatch l2 = new LeaderLatch(c2, p, "B");
            l1.start();
            l2.start();
            check("LeaderLatch: a leader is elected",
                    waitFor(() -> l1.hasLeadership() || l2.hasLeadership(), WAIT_MS), "no leader");
            Thread.sleep(200);
            check("LeaderLatch: exactly one leader", l1.hasLeadership() ^ l2.hasLeadership(),
                    l1.hasLeadership() + "/" + l2.hasLeadership());
            LeaderLatch leader = l1.hasLeadership() ? l1 : l2;
            LeaderLatch other = leader == l1 ? l2 : l1;
            eq("LeaderLatch: participants", l1.getParticipants().size(), 2);
            eq("LeaderLatch: getLeader() agrees (leader's view)", leader.getLeader().getId(), leader.getId());
            eq("LeaderLatch: getLeader() agrees (other's view)", other.getLeader().getId(), leader.getId());
            leader.close();
            check("LeaderLatch: other takes over after close",
                    other.await(WAIT_MS, TimeUnit.MILLISECONDS) && other.hasLeadership(), "no takeover");
            check("LeaderLatch: participants after close",
                    waitFor(() -> {
                        try {
                            return other.getParticipants().size() == 1;
                        } catch (Exception e) {
                            return false;
                        }
                    }, WAIT_MS), other.getParticipants());
            other.close();
        });

        section("DistributedAtomicLong", () -> {
            String p = base + "/counter";
            DistributedAtomicLong a1 = new DistributedAtomicLong(c1, p, new RetryNTimes(10, 20));
            DistributedAtomicLong a2 = new DistributedAtomicLong(c2, p, new RetryNTimes(10, 20));
            AtomicValue<Long> v = a1.increment();
            check("atomic increment from 0", v.succeeded() && v.preValue() == 0 && v.postValue() == 1,
                    v.succeeded() + " " + v.preValue() + "->" + v.postValue());
            v = a1.add(5L);
            check("atomic add 5", v.succeeded() && v.postValue() == 6, v.postValue());
            v = a2.increment();
            check("atomic increment from other client", v.succeeded() && v.postValue() == 7, v.postValue());
            v = a1.compareAndSet(7L, 100L);
            check("atomic compareAndSet(7,100) succeeds", v.succeeded() && v.postValue() == 100, v.postValue());
            v = a2.compareAndSet(7L, 5L);
            check("atomic compareAndSet(7,5) fails", !v.succeeded(), v.postValue());
            v = a2.get();
            check("atomic get", v.succeeded() && v.postValue() == 100, v.postValue());
            final int n = 20;
            Thread t = new Thread(() -> {
                for (int i = 0; i < n; i++) {
                    try {
                        a2.increment();
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                }
            });
            t.start();
            int ok1 = 0;
            for (int i = 0; i < n; i++) {
                if (a1.increment().succeeded()) {
                    ok1++;
                }
            }
            t.join(WAIT_MS);
            v = a1.get();
            check("atomic concurrent increments", v.postValue() <= 100 + 2 * n && v.postValue() >= 100 + n
                    && ok1 > 0, v.postValue() + " (" + ok1 + " succeeded on client 1)");
        });

        section("DistributedBarrier", () -> {
            String p = base + "/barrier";
            DistributedBarrier b1 = new DistributedBarrier(c1, p);
            DistributedBarrier b2 = new DistributedBarrier(c2, p);
            b1.setBarrier();
            AtomicReference<Object> res = new AtomicReference<>();
            CountDownLatch done = new CountDownLatch(1);
            Thread t = new Thread(() -> {
                try {
                    res.set(b2.waitOnBarrier(WAIT_MS, TimeUnit.MILLISECONDS));
                } catch (Exception e) {
                    res.set(e);
                }
                done.countDown();
            });
            t.setDaemon(true);
            t.start();
            check("barrier: waiter blocks while set", !done.await(500, TimeUnit.MILLISECONDS), res.get());
            b1.removeBarrier();
            check("barrier: waiter released after removeBarrier",
                    done.await(WAIT_MS, TimeUnit.MILLISECONDS) && Boolean.TRUE.equals(res.get()), res.get());
        });

        section("DistributedDoubleBarrier", () -> {
            String p = base + "/dbarrier";
            CuratorFramework[] cs = {c1, c2};
            AtomicReference<Object>[] res = new AtomicReference[2];
            AtomicBoolean enteredEarly = new AtomicBoolean(false);
            CountDownLatch firstEntering = new CountDownLatch(1);
            Thread[] ts = new Thread[2];
            for (int i = 0; i < 2; i++) {
                final int idx = i;
                res[i] = new AtomicReference<>();
                ts[i] = new Thread(() -> {
                    try {
                        DistributedDoubleBarrier db = new DistributedDoubleBarrier(cs[idx], p, 2);
                        boolean in = db.enter(WAIT_MS, TimeUnit.MILLISECONDS);
                        boolean out = in && db.leave(WAIT_MS, TimeUnit.MILLISECONDS);
                        res[idx].set(in + "/" + out);
                    } catch (Exception e) {
                        res[idx].set(e);
                    }
                });
                ts[i].setDaemon(true);
            }
            ts[0].start();
            ts[0].join(500);
            check("double barrier: first member waits for the second", ts[0].isAlive(), res[0].get());
            ts[1].start();
            ts[0].join(2 * WAIT_MS);
            ts[1].join(2 * WAIT_MS);
            eq("double barrier: member 1 entered and left", res[0].get(), "true/true");
            eq("double barrier: member 2 entered and left", res[1].get(), "true/true");
        });

        section("ephemeral cleanup on close", () -> {
            c2.close();
            clients.remove(c2);
            check("close: ephemeral of closed client removed",
                    waitFor(() -> !exists(c1, base + "/eph2"), 5000), "still exists");
        });

        section("containers and ttl reaped", () -> {
            check("container parent reaped once empty (x)",
                    waitFor(() -> !exists(c1, base + "/ct/x"), 8000), "still exists");
            check("container grandparent reaped once empty (ct)",
                    waitFor(() -> !exists(c1, base + "/ct"), 8000), "still exists");
            check("TTL node reaped after expiry",
                    waitFor(() -> !exists(c1, base + "/ttl"), 8000), "still exists");
        });

        section("cleanup", () -> {
            c1.delete().deletingChildrenIfNeeded().forPath(base);
            check("cleanup: base removed", !exists(c1, base), "exists");
        });
    }
}
