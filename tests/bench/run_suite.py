#!/usr/bin/python3
"""Caucus vs Apache ZooKeeper 3.8: the same workloads against each, in alternation.

Run with Debian's python3 (standard library only):

    /usr/bin/python3 tests/bench/run_suite.py                    # full run
    /usr/bin/python3 tests/bench/run_suite.py --quick            # smoke-sized
    /usr/bin/python3 tests/bench/run_suite.py --json results.json

Every server run gets a fresh data directory (a temp dir under --tmpdir, default /tmp, on the
same disk for both servers) and the same zoo.cfg (tickTime=2000, forceSync=yes,
maxClientCnxns=0). Servers run one at a time; the suite waits while a compiler (cc1plus) is
running. Throughput workloads are repeated --repeat times per server, alternating which server
goes first; the table shows medians and the ratio Caucus / ZooKeeper.

Workloads:
  (a) setData 100 B     (b) create 1 KiB     (c) getData 100 B    (d) 90 % get / 10 % set
  (e) watch fan-out: one setData, N watchers, latency from the write's send until each
      notification and until all N have arrived
  (f) resident memory per znode: RSS after loading --znodes znodes of 100 B minus the RSS of
      the empty server, divided by the count (/proc/<pid>/status VmRSS, the JVM included)
  (g) restart recovery with those znodes: after SIGTERM and after SIGKILL, the time from
      starting the process until it answers getData of the last-created znode
  (h) leader failover: a 3-member ensemble, kill -9 of the leader, time until a write succeeds
      on a surviving member
Workloads a-d also run on 3-member ensembles (--nodes 1,3), clients spread over the members.
"""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
ZK_CP = "/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar"
TARGETS = ("caucus", "zookeeper")


def log(msg):
    sys.stderr.write("[suite %s] %s\n" % (time.strftime("%H:%M:%S"), msg))
    sys.stderr.flush()


def free_port():
    return free_ports(1)[0]


def free_ports(n):
    """n distinct free loopback ports: all stay bound until every one is known, so that none
    is handed out twice."""
    socks = []
    for _ in range(n):
        sk = socket.socket()
        sk.bind(("127.0.0.1", 0))
        socks.append(sk)
    ports = [sk.getsockname()[1] for sk in socks]
    for sk in socks:
        sk.close()
    return ports


# ------------------------------------------------------------------ a tiny jute probe
def _recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise OSError("connection closed")
        buf += chunk
    return buf


def _frame(s):
    (n,) = struct.unpack(">i", _recv_exact(s, 4))
    return _recv_exact(s, n)


def probe_get(port, path, timeout=1.0):
    """True if a new session on 127.0.0.1:port answers getData(path) with no error."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.settimeout(timeout)
            body = struct.pack(">iqiqi", 0, 0, 10000, 0, 16) + b"\0" * 16 + b"\0"
            s.sendall(struct.pack(">i", len(body)) + body)
            resp = _frame(s)
            (session_id,) = struct.unpack(">q", resp[8:16])
            if session_id == 0:
                return False
            p = path.encode()
            body = struct.pack(">ii", 1, 4) + struct.pack(">i", len(p)) + p + b"\0"
            s.sendall(struct.pack(">i", len(body)) + body)
            while True:
                xid, _zxid, err = struct.unpack(">iqi", _frame(s)[:16])
                if xid == 1:
                    break
            close = struct.pack(">ii", 2, -11)
            s.sendall(struct.pack(">i", len(close)) + close)
            return err == 0
    except (OSError, struct.error):
        return False


# ------------------------------------------------------------------ machine state
def compiler_running():
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/comm" % pid) as f:
                if f.read().strip() in ("cc1plus", "cc1", "ld", "collect2"):
                    return True
        except OSError:
            pass
    return False


def wait_quiet(max_wait):
    """Waits (up to max_wait s) while a compiler runs; returns the load average seen."""
    start = time.monotonic()
    warned = False
    while compiler_running() and time.monotonic() - start < max_wait:
        if not warned:
            log("a compiler is running; waiting before measuring")
            warned = True
        time.sleep(3)
    if compiler_running():
        log("WARNING: still a compiler running after %d s; measuring anyway" % max_wait)
    return os.getloadavg()[0]


def proc_rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def proc_cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# ------------------------------------------------------------------ servers
def write_zoo_cfg(path, data_dir, port, extra_lines=()):
    """The one zoo.cfg both servers get (plus server.N lines for an ensemble member)."""
    with open(path, "w") as f:
        f.write("\n".join([
            "tickTime=2000", "initLimit=10", "syncLimit=5",
            "dataDir=%s" % data_dir, "clientPort=%d" % port,
            "clientPortAddress=127.0.0.1", "maxClientCnxns=0",
            "minSessionTimeout=4000", "maxSessionTimeout=40000",
            "forceSync=yes", "4lw.commands.whitelist=*",
            "admin.enableServer=false"] + list(extra_lines) + [""]))


class Server:
    def __init__(self, target, args):
        self.target = target
        self.args = args
        self.port = free_port()
        self.base = tempfile.mkdtemp(prefix="caucus-bench-%s-" % target, dir=args.tmpdir)
        self.data = os.path.join(self.base, "data")
        os.makedirs(self.data)
        self.cfg = os.path.join(self.base, "zoo.cfg")
        write_zoo_cfg(self.cfg, self.data, self.port)
        self.proc = None
        self.logf = None

    def command(self):
        if self.target == "zookeeper":
            return ["java", "-Xms%s" % self.args.zk_heap, "-Xmx%s" % self.args.zk_heap,
                    "-Dzookeeper.forceSync=yes", "-Dzookeeper.admin.enableServer=false",
                    "-Dzookeeper.log.dir=%s" % self.base, "-cp", ZK_CP,
                    "org.apache.zookeeper.server.quorum.QuorumPeerMain", self.cfg]
        return [self.args.caucusd, self.cfg]

    def start(self, probe_path="/", timeout=120):
        """Starts the process; returns seconds until getData(probe_path) succeeds."""
        self.logf = open(os.path.join(self.base, "server.log"), "ab")
        t0 = time.monotonic()
        self.proc = subprocess.Popen(self.command(), stdout=self.logf, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, cwd=self.base)
        while time.monotonic() - t0 < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError("%s exited with %s during startup; see %s/server.log"
                                   % (self.target, self.proc.returncode, self.base))
            if probe_get(self.port, probe_path, timeout=2.0):
                return time.monotonic() - t0
            time.sleep(0.01)
        raise RuntimeError("%s did not answer within %d s" % (self.target, timeout))

    def stop(self, sig=signal.SIGTERM, timeout=60):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        if self.logf:
            self.logf.close()
            self.logf = None

    def cleanup(self):
        self.stop()
        if self.args.keep:
            log("kept %s" % self.base)
        else:
            shutil.rmtree(self.base, ignore_errors=True)

    @property
    def pid(self):
        return self.proc.pid

    def connect(self):
        return "127.0.0.1:%d" % self.port


class EnsembleServer:
    """Three members on loopback, same settings as Server plus server.N lines and myid files.
    Quacks like Server for run_bench (pid = the sum of CPU is taken over all members)."""

    def __init__(self, target, args, size=3):
        self.target = target
        self.args = args
        self.base = tempfile.mkdtemp(prefix="caucus-bench3-%s-" % target, dir=args.tmpdir)
        flat = free_ports(3 * size)
        ports = [tuple(flat[3 * i:3 * i + 3]) for i in range(size)]
        lines = ["server.%d=127.0.0.1:%d:%d" % (i + 1, p[1], p[2]) for i, p in enumerate(ports)]
        self.members = []
        for i, p in enumerate(ports):
            m = Server.__new__(Server)
            m.target, m.args, m.port = target, args, p[0]
            m.base = os.path.join(self.base, "m%d" % (i + 1))
            m.data = os.path.join(m.base, "data")
            os.makedirs(m.data)
            with open(os.path.join(m.data, "myid"), "w") as f:
                f.write("%d\n" % (i + 1))
            m.cfg = os.path.join(m.base, "zoo.cfg")
            write_zoo_cfg(m.cfg, m.data, m.port, lines)
            m.proc, m.logf = None, None
            self.members.append(m)

    def start(self, timeout=120):
        for m in self.members:
            m.logf = open(os.path.join(m.base, "server.log"), "ab")
            m.proc = subprocess.Popen(m.command(), stdout=m.logf, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL, cwd=m.base)
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            dead = [m for m in self.members if m.proc.poll() is not None]
            if dead:
                raise RuntimeError("%s member exited with %s during startup; see %s/server.log"
                                   % (self.target, dead[0].proc.returncode, dead[0].base))
            if self.leader() and all(probe_get(m.port, "/", 2.0) for m in self.members):
                return time.monotonic() - t0
            time.sleep(0.05)
        raise RuntimeError("%s ensemble not serving within %d s (logs under %s, kept with --keep)"
                           % (self.target, timeout, self.base))

    def leader(self):
        for m in self.members:
            if m.proc is not None and "Mode: leader" in four_letter(m.port, "srvr"):
                return m
        return None

    def cleanup(self):
        for m in self.members:
            m.stop(signal.SIGKILL)
        if not self.args.keep:
            shutil.rmtree(self.base, ignore_errors=True)

    @property
    def pid(self):
        return [m.proc.pid for m in self.members if m.proc is not None]

    def connect(self):
        return ",".join("127.0.0.1:%d" % m.port for m in self.members)


def four_letter(port, word, timeout=2.0):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.settimeout(timeout)
            s.sendall(word.encode())
            out = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    return out.decode(errors="replace")
                out += chunk
    except OSError:
        return ""


def probe_write(port, path, timeout=0.5):
    """True if a new session on 127.0.0.1:port can setData(path) (version -1)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.settimeout(timeout)
            body = struct.pack(">iqiqi", 0, 0, 10000, 0, 16) + b"\0" * 16 + b"\0"
            s.sendall(struct.pack(">i", len(body)) + body)
            (session_id,) = struct.unpack(">q", _frame(s)[8:16])
            if session_id == 0:
                return False
            p = path.encode()
            body = (struct.pack(">ii", 1, 5) + struct.pack(">i", len(p)) + p +
                    struct.pack(">i", 1) + b"x" + struct.pack(">i", -1))
            s.sendall(struct.pack(">i", len(body)) + body)
            while True:
                xid, _zxid, err = struct.unpack(">iqi", _frame(s)[:16])
                if xid == 1:
                    break
            return err == 0
    except (OSError, struct.error):
        return False


def run_bench(args, server, extra, timeout=900):
    cmd = [args.bench, "--connect", server.connect(), "--threads", str(args.threads),
           "--quiet"] + extra
    pids = server.pid if isinstance(server.pid, list) else [server.pid]
    cpu0, t0 = sum(proc_cpu_s(p) for p in pids), time.monotonic()
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    cpu1, t1 = sum(proc_cpu_s(p) for p in pids), time.monotonic()
    lines = out.stdout.strip().splitlines()
    if not lines:
        raise RuntimeError("caucus-bench printed nothing (exit %d): %s" % (out.returncode, out.stderr))
    result = json.loads(lines[-1])
    if not result.get("ok"):
        raise RuntimeError("caucus-bench failed against %s: %s" % (server.target, result.get("error")))
    result["server_cpu_cores"] = (cpu1 - cpu0) / (t1 - t0)
    result["command"] = " ".join(cmd)
    return result


# ------------------------------------------------------------------ workloads
def workloads(args):
    common = ["--sessions", str(args.sessions), "--outstanding", str(args.outstanding),
              "--duration", str(args.duration), "--warmup", str(args.warmup)]
    keys = ["--keys", str(args.keys)]
    return [
        ("a", "setData 100 B", common + keys + ["--mix", "set=1", "--value-size", "100"]),
        ("b", "create 1 KiB", common + ["--keys", "0", "--mix", "create=1", "--value-size", "1024"]),
        ("c", "getData 100 B", common + keys + ["--mix", "get=1", "--value-size", "100"]),
        ("d", "90% get / 10% set", common + keys + ["--mix", "get=9,set=1", "--value-size", "100"]),
        ("e", "watch fan-out (%d watchers)" % args.watchers,
         ["--fanout", "--watchers", str(args.watchers), "--duration", str(args.duration),
          "--ops", str(args.fanout_rounds), "--value-size", "100"]),
    ]


def run_throughput(args, results):
    for nodes, (wid, title, extra) in [(n, w) for n in args.nodes for w in workloads(args)]:
        if wid not in args.workloads or (nodes == 3 and wid not in "abcd"):
            continue
        if nodes == 3:
            wid, title = wid + "3", title + ", 3 nodes"
        for rep in range(args.repeat):
            order = list(args.targets) if rep % 2 == 0 else list(reversed(args.targets))
            for target in order:
                load = wait_quiet(args.max_wait)
                srv = Server(target, args) if nodes == 1 else EnsembleServer(target, args)
                try:
                    srv.start()
                    r = run_bench(args, srv, extra)
                except (RuntimeError, subprocess.TimeoutExpired) as e:
                    log("(%s) %s %s rep %d FAILED: %s" % (wid, title, target, rep + 1, e))
                    results["failures"].append("(%s) %s rep %d: %s" % (wid, target, rep + 1, e))
                    continue
                finally:
                    srv.cleanup()
                r["loadavg_before"] = load
                results["runs"].setdefault(wid, {}).setdefault(target, []).append(r)
                if r["mode"] == "fanout":
                    f = r["fanout"]
                    log("(%s) %-28s %-9s rep %d: %d rounds, all-notified p50 %.0f us p99 %.0f us, "
                        "notify p99 %.0f us, gen CPU %.0f%%, server %.2f cores"
                        % (wid, title, target, rep + 1, f["rounds"], f["all_us"]["p50"],
                           f["all_us"]["p99"], f["notify_us"]["p99"],
                           r["cpu"]["percent_of_one_core"], r["server_cpu_cores"]))
                else:
                    log("(%s) %-28s %-9s rep %d: %8.0f ops/s p50 %7.0f us p99 %7.0f us, errors %d, "
                        "gen CPU %.0f%%, server %.2f cores"
                        % (wid, title, target, rep + 1, r["ops_per_s"], r["latency_us"]["p50"],
                           r["latency_us"]["p99"], r["errors"], r["cpu"]["percent_of_one_core"],
                           r["server_cpu_cores"]))


def run_failover(args, results):
    """(h) kill -9 the leader of a 3-member ensemble; time until a write succeeds again on a
    surviving member (a fresh session, as a client that reconnects would make)."""
    for rep in range(args.repeat):
        order = list(args.targets) if rep % 2 == 0 else list(reversed(args.targets))
        for target in order:
            wait_quiet(args.max_wait)
            ens = EnsembleServer(target, args)
            try:
                ens.start()
                leader = ens.leader()
                others = [m for m in ens.members if m is not leader]
                if not probe_write(others[0].port, "/", 2.0):
                    raise RuntimeError("no write before the failover")
                t0 = time.monotonic()
                leader.stop(signal.SIGKILL)
                while not any(probe_write(m.port, "/") for m in others):
                    if time.monotonic() - t0 > 120:
                        raise RuntimeError("no write within 120 s of the leader kill")
                    time.sleep(0.01)
                took = time.monotonic() - t0
            except RuntimeError as e:
                log("(h) failover %s rep %d FAILED: %s" % (target, rep + 1, e))
                results["failures"].append("(h) %s rep %d: %s" % (target, rep + 1, e))
                continue
            finally:
                ens.cleanup()
            results["runs"].setdefault("h", {}).setdefault(target, []).append({"failover_s": took})
            log("(h) leader failover          %-9s rep %d: %.3f s" % (target, rep + 1, took))


def zk_live_heap_kb(pid):
    """Live heap after a full GC (jcmd), or None."""
    jcmd = shutil.which("jcmd")
    if not jcmd:
        return None
    try:
        subprocess.run([jcmd, str(pid), "GC.run"], capture_output=True, timeout=60)
        out = subprocess.run([jcmd, str(pid), "GC.heap_info"], capture_output=True, text=True,
                             timeout=60).stdout
        m = re.search(r"heap\s+total \d+K, used (\d+)K", out)
        return int(m.group(1)) if m else None
    except (OSError, subprocess.TimeoutExpired):
        return None


def run_memory_recovery(args, results):
    z = args.znodes
    for rep in range(args.heavy_repeat):
        order = list(args.targets) if rep % 2 == 0 else list(reversed(args.targets))
        for target in order:
            wait_quiet(args.max_wait)
            srv = Server(target, args)
            r = {"znodes": z}
            try:
                r["startup_empty_s"] = srv.start()
                time.sleep(2)
                if target == "zookeeper":
                    r["zk_live_heap_empty_kb"] = zk_live_heap_kb(srv.pid)
                r["rss_empty_kb"] = proc_rss_kb(srv.pid)
                t0 = time.monotonic()
                load = run_bench(args, srv, [
                    "--mix", "create=1", "--ops", str(z), "--keys", "0", "--value-size", "100",
                    "--sessions", str(args.load_sessions), "--outstanding", str(args.load_outstanding)],
                    timeout=3600)
                r["load_s"] = time.monotonic() - t0
                r["load_ops_per_s"] = load["ops_per_s"]
                r["load_gen_cpu_percent"] = load["cpu"]["percent_of_one_core"]
                last = load["last_created"]
                r["last_created"] = last
                time.sleep(3)
                r["rss_loaded_kb"] = proc_rss_kb(srv.pid)
                r["bytes_per_znode"] = (r["rss_loaded_kb"] - r["rss_empty_kb"]) * 1024.0 / z
                if target == "zookeeper":
                    live = zk_live_heap_kb(srv.pid)
                    if live is not None:
                        r["zk_live_heap_kb_after_gc"] = live
                        if r.get("zk_live_heap_empty_kb") is not None:
                            r["zk_live_heap_bytes_per_znode"] = (
                                live - r["zk_live_heap_empty_kb"]) * 1024.0 / z
                        r["rss_after_gc_kb"] = proc_rss_kb(srv.pid)
                log("(f) %-9s %d znodes loaded in %.1f s (%.0f/s); RSS %d -> %d kB = %.0f B/znode"
                    % (target, z, r["load_s"], r["load_ops_per_s"], r["rss_empty_kb"],
                       r["rss_loaded_kb"], r["bytes_per_znode"]))
                for kind, sig in (("sigterm", signal.SIGTERM), ("sigkill", signal.SIGKILL)):
                    srv.stop(sig)
                    r["recovery_%s_s" % kind] = srv.start(probe_path=last, timeout=600)
                    r["rss_recovered_%s_kb" % kind] = proc_rss_kb(srv.pid)
                    log("(g) %-9s restart after %s: %.2f s until getData(%s) answered"
                        % (target, kind.upper(), r["recovery_%s_s" % kind], last))
                r["data_dir_kb"] = int(subprocess.run(["du", "-sk", srv.data], capture_output=True,
                                                      text=True).stdout.split()[0])
            finally:
                srv.cleanup()
            results["heavy"].setdefault(target, []).append(r)


def run_sweep(args, results):
    for n in args.sweep:
        for target in args.targets:
            wait_quiet(args.max_wait)
            srv = Server(target, args)
            try:
                srv.start()
                r = run_bench(args, srv, [
                    "--sessions", str(n), "--outstanding", str(args.sweep_outstanding),
                    "--duration", str(args.sweep_duration), "--warmup", str(args.warmup),
                    "--keys", str(args.keys), "--mix", args.sweep_mix, "--value-size", "100"])
            finally:
                srv.cleanup()
            results["sweep"].setdefault(target, []).append(r)
            log("sweep %-9s %4d sessions: %8.0f ops/s p99 %7.0f us gen CPU %.0f%%"
                % (target, n, r["ops_per_s"], r["latency_us"]["p99"], r["cpu"]["percent_of_one_core"]))


# ------------------------------------------------------------------ table
def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(v, unit=""):
    if v is None:
        return "-"
    if abs(v) >= 100:
        return "%.0f%s" % (v, unit)
    if abs(v) >= 1:
        return "%.2f%s" % (v, unit)
    return "%.3f%s" % (v, unit)


def build_table(args, results):
    rows = []

    def add(label, getter, src, better):
        vals = {}
        for t in TARGETS:
            runs = src.get(t, [])
            vals[t] = med([getter(r) for r in runs]) if runs else None
        c, z = vals["caucus"], vals["zookeeper"]
        ratio = c / z if (c is not None and z not in (None, 0)) else None
        rows.append({"metric": label, "caucus": c, "zookeeper": z, "ratio": ratio, "better": better})

    titles = {w[0]: w[1] for w in workloads(args)}
    for wid in ["a", "b", "c", "d", "a3", "b3", "c3", "d3"]:
        src = results["runs"].get(wid)
        if not src:
            continue
        t = "(%s) %s" % (wid, titles[wid[0]] + (", 3 nodes" if wid.endswith("3") else ""))
        add(t + ": ops/s", lambda r: r["ops_per_s"], src, "higher")
        add(t + ": p50 us", lambda r: r["latency_us"]["p50"], src, "lower")
        add(t + ": p99 us", lambda r: r["latency_us"]["p99"], src, "lower")
        add(t + ": p99.9 us", lambda r: r["latency_us"]["p999"], src, "lower")
        add(t + ": server CPU cores", lambda r: r["server_cpu_cores"], src, "info")
        add(t + ": generator CPU %", lambda r: r["cpu"]["percent_of_one_core"], src, "info")
    src = results["runs"].get("e")
    if src:
        t = "(e) fan-out, %d watchers" % args.watchers
        add(t + ": all notified p50 us", lambda r: r["fanout"]["all_us"]["p50"], src, "lower")
        add(t + ": all notified p99 us", lambda r: r["fanout"]["all_us"]["p99"], src, "lower")
        add(t + ": one notification p50 us", lambda r: r["fanout"]["notify_us"]["p50"], src, "lower")
        add(t + ": one notification p99 us", lambda r: r["fanout"]["notify_us"]["p99"], src, "lower")
        add(t + ": generator CPU %", lambda r: r["cpu"]["percent_of_one_core"], src, "info")
    src = results["heavy"]
    if src:
        z = args.znodes
        add("(f) RSS per znode, %d x 100 B: bytes" % z, lambda r: r["bytes_per_znode"], src, "lower")
        add("(f) ZooKeeper live heap per znode after full GC: bytes",
            lambda r: r.get("zk_live_heap_bytes_per_znode"), src, "info")
        add("(f) load %d znodes: creates/s" % z, lambda r: r["load_ops_per_s"], src, "higher")
        add("(g) recovery after SIGTERM: s", lambda r: r.get("recovery_sigterm_s"), src, "lower")
        add("(g) recovery after SIGKILL: s", lambda r: r.get("recovery_sigkill_s"), src, "lower")
        add("(g) startup, empty: s", lambda r: r.get("startup_empty_s"), src, "info")
        add("(g) data dir after load: MiB", lambda r: r.get("data_dir_kb", 0) / 1024.0, src, "info")
    src = results["runs"].get("h")
    if src:
        add("(h) leader failover, kill -9 to first write: s", lambda r: r["failover_s"], src,
            "lower")
    return rows


def print_table(rows, out=sys.stdout):
    w = max(len(r["metric"]) for r in rows) + 2
    out.write("%-*s %12s %12s %10s\n" % (w, "metric (medians)", "Caucus", "ZooKeeper", "C/ZK"))
    out.write("-" * (w + 37) + "\n")
    for r in rows:
        if r["better"].startswith("n/a"):
            out.write("%-*s %s\n" % (w, r["metric"], r["better"]))
            continue
        ratio = "-" if r["ratio"] is None else "%.2fx" % r["ratio"]
        out.write("%-*s %12s %12s %10s\n" % (w, r["metric"], fmt(r["caucus"]), fmt(r["zookeeper"]), ratio))


# ------------------------------------------------------------------ main
def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3, help="runs per server per workload (medians)")
    ap.add_argument("--duration", type=float, default=10, help="seconds measured per run")
    ap.add_argument("--warmup", type=float, default=2, help="seconds of load before measuring (JIT)")
    ap.add_argument("--sessions", type=int, default=16)
    ap.add_argument("--outstanding", type=int, default=16, help="in flight per session")
    ap.add_argument("--threads", type=int, default=1, help="caucus-bench I/O threads")
    ap.add_argument("--keys", type=int, default=10000)
    ap.add_argument("--watchers", type=int, default=1000)
    ap.add_argument("--fanout-rounds", type=int, default=500, help="at most this many rounds per run")
    ap.add_argument("--znodes", type=int, default=1000000)
    ap.add_argument("--heavy-repeat", type=int, default=1,
                    help="runs per server of (f)+(g) (each loads --znodes znodes)")
    ap.add_argument("--load-sessions", type=int, default=8)
    ap.add_argument("--load-outstanding", type=int, default=128)
    ap.add_argument("--sweep", default="", help="session counts for the chart, e.g. 1,4,16,64")
    ap.add_argument("--sweep-mix", default="get=9,set=1")
    ap.add_argument("--sweep-outstanding", type=int, default=16)
    ap.add_argument("--sweep-duration", type=float, default=5)
    ap.add_argument("--workloads", default="abcdefgh", help="subset of abcdefgh")
    ap.add_argument("--nodes", default="1,3",
                    help="ensemble sizes for the throughput workloads a-d (1 and/or 3)")
    ap.add_argument("--only", choices=TARGETS)
    ap.add_argument("--quick", action="store_true", help="small sizes and durations (smoke run)")
    ap.add_argument("--json", help="write all results here")
    ap.add_argument("--zk-heap", default="2g")
    ap.add_argument("--tmpdir", default=tempfile.gettempdir(), help="where data dirs are created")
    ap.add_argument("--max-wait", type=int, default=900, help="max seconds to wait for builds")
    ap.add_argument("--keep", action="store_true", help="keep data dirs and logs")
    ap.add_argument("--caucusd", default=os.path.join(REPO, "build", "release", "server", "caucusd"))
    ap.add_argument("--bench", default=os.path.join(REPO, "build", "release", "tests", "bench",
                                                    "caucus_bench", "caucus-bench"))
    args = ap.parse_args()
    if args.quick:
        args.repeat = min(args.repeat, 1)
        args.duration = min(args.duration, 2)
        args.warmup = min(args.warmup, 0.5)
        args.znodes = min(args.znodes, 20000)
        args.watchers = min(args.watchers, 100)
        args.fanout_rounds = min(args.fanout_rounds, 50)
        args.keys = min(args.keys, 1000)
        args.sweep_duration = min(args.sweep_duration, 1)
    args.targets = [args.only] if args.only else list(TARGETS)
    args.sweep = [int(x) for x in args.sweep.split(",") if x.strip()]
    args.nodes = [int(x) for x in args.nodes.split(",") if x.strip()]
    for path in (args.caucusd, args.bench):
        if not os.access(path, os.X_OK):
            sys.exit("not found: %s (build with: cmake --build build/release --target caucusd caucus-bench)" % path)

    results = {
        "machine": machine_info(),
        "settings": {k: v for k, v in vars(args).items() if k not in ("json",)},
        "runs": {}, "heavy": {}, "sweep": {}, "failures": [],
        "notes": ["3-node rows: three members on this one machine (loopback), clients spread "
                  "over all members; reads are local (ZooKeeper's semantics) on both.",
                  "--read-consistency is recorded only: it is a server setting, local for both."],
    }
    log("machine: %s" % json.dumps(results["machine"]))
    t_start = time.monotonic()
    try:
        run_throughput(args, results)
        if "h" in args.workloads:
            run_failover(args, results)
        if "f" in args.workloads or "g" in args.workloads:
            run_memory_recovery(args, results)
        if args.sweep:
            run_sweep(args, results)
    finally:
        results["rows"] = build_table(args, results)
        results["suite_seconds"] = time.monotonic() - t_start
        if args.json:
            with open(args.json, "w") as f:
                json.dump(results, f, indent=1)
    print()
    print("Caucus vs ZooKeeper 3.8: 1 node each, and 3-member ensembles on loopback (rows x3, h)")
    print("sessions %d x outstanding %d, %g s per run after %g s warm-up, %d repeat(s), medians"
          % (args.sessions, args.outstanding, args.duration, args.warmup, args.repeat))
    print_table(results["rows"])
    for f in results["failures"]:
        print("FAILED: %s" % f)
    print("suite took %.0f s" % results["suite_seconds"])


def machine_info():
    info = {"nproc": os.cpu_count()}
    try:
        with open("/proc/cpuinfo") as f:
            m = re.search(r"model name\s*:\s*(.*)", f.read())
            info["cpu"] = m.group(1).strip() if m else "?"
        with open("/proc/meminfo") as f:
            info["mem_total_kb"] = int(re.search(r"MemTotal:\s*(\d+)", f.read()).group(1))
        info["kernel"] = os.uname().release
        java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr
        info["java"] = java.splitlines()[0] if java else "?"
    except (OSError, AttributeError):
        pass
    return info


if __name__ == "__main__":
    main()
