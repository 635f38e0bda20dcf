#!/usr/bin/python3
"""Read consistency modes, Caucus vs Apache ZooKeeper 3.8, on 3- and 5-member ensembles.

    /usr/bin/python3 tests/bench/read_modes.py [--sizes 3,5] [--repeat 3] [--json out.json]

(r) getData throughput and latency, per mode, with and without a concurrent write load
    (a second caucus-bench doing setData on the same ensemble):
      Caucus:    local, quorum (leaderless linearizable), leader (ReadIndex through the
                 leader), sync (ZooKeeper's sync + read, pipelined);
      ZooKeeper: local, sync (its only way to ask for a fresher read; not linearizable).
--peer-delay-us D runs the (r) ensembles behind tests/bench/delay_proxy (built with the
project): D microseconds each way between members, a network's round trip on loopback.
(k) reads during a leader kill -9: sessions on the followers read for --kill-duration s, the
    leader is killed after a third of it; the fraction of reads that succeed and the longest
    read. Caucus in quorum mode, ZooKeeper with sync + read. Each size, without and with a
    setData load (2 sessions x 8 in flight, also on the followers) running through the kill.

Same zoo.cfg and settings as run_suite.py (tickTime=2000, forceSync=yes); clients spread over
every member (round-robin), or with --readers followers the read sessions over the followers
only (the write load still uses every member). Standard library only; needs caucusd and caucus-bench built.
"""
import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run_suite  # noqa: E402  (the suite's servers, bench runner and helpers)
from run_suite import EnsembleServer, log, wait_quiet  # noqa: E402

MODES = {"caucus": ["local", "quorum", "leader", "sync"], "zookeeper": ["local", "sync"]}


class DelayedEnsemble(EnsembleServer):
    """An ensemble whose members reach each other through delay-proxy (--peer-delay-us): every
    byte between two members is held that long in each direction, as on a real network.
    Member i's zoo.cfg names, for every other member j, a proxy port that forwards to j's
    real quorum or election port; clients connect directly."""

    def __init__(self, target, args, size=3):
        super().__init__(target, args, size=size)
        real = {}
        with open(self.members[0].cfg) as f:
            for line in f:
                if line.startswith("server."):
                    sid = int(line.split("=")[0].split(".")[1])
                    host, q, e = line.split("=")[1].strip().split(":")[:3]
                    real[sid] = (int(q), int(e))
        # Ports the members listen on were handed out by another free_ports call, and are free
        # again until the members start: leave them out, or a proxy may be given one of them.
        taken = {m.port for m in self.members} | {p for pair in real.values() for p in pair}
        free = [p for p in run_suite.free_ports(2 * size * size + 3 * size) if p not in taken]
        free = free[:2 * size * size]
        self.pairs = []
        for i, m in enumerate(self.members, start=1):
            lines = []
            for j in sorted(real):
                if j == i:
                    q, e = real[j]
                else:
                    q, e = free.pop(), free.pop()
                    self.pairs += ["%d:%d" % (q, real[j][0]), "%d:%d" % (e, real[j][1])]
                lines.append("server.%d=127.0.0.1:%d:%d" % (j, q, e))
            with open(m.cfg) as f:
                kept = [l.rstrip("\n") for l in f if not l.startswith("server.")]
            with open(m.cfg, "w") as f:
                f.write("\n".join(kept + lines) + "\n")
        self.proxy = None

    def start(self, timeout=120):
        self.proxy = subprocess.Popen([self.args.delay_proxy, "--delay-us",
                                       str(self.args.peer_delay_us)] + self.pairs,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.2)
        if self.proxy.poll() is not None:
            raise RuntimeError("delay-proxy exited with %d (a port it listens on was taken?)"
                               % self.proxy.returncode)
        return super().start(timeout)

    def cleanup(self):
        super().cleanup()
        if self.proxy:
            self.proxy.kill()
            self.proxy.wait()


def make_ensemble(target, args, size):
    if args.peer_delay_us > 0:
        return DelayedEnsemble(target, args, size=size)
    return EnsembleServer(target, args, size=size)


def bench_cmd(args, connect, extra):
    return [args.bench, "--connect", connect, "--threads", str(args.threads), "--quiet"] + extra


def run(cmd, timeout=600):
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    lines = out.stdout.strip().splitlines()
    if not lines:
        raise RuntimeError("caucus-bench printed nothing (exit %d): %s"
                           % (out.returncode, out.stderr[-500:]))
    return json.loads(lines[-1])


def read_workload(args, mode):
    return ["--sessions", str(args.sessions), "--outstanding", str(args.outstanding),
            "--duration", str(args.duration), "--warmup", str(args.warmup),
            "--keys", str(args.keys), "--mix", "get=1", "--value-size", "100",
            "--read-consistency", mode]


def write_load(args, connect):
    """A setData load for the whole read run (it starts first and ends after)."""
    span = args.duration + args.warmup + 3
    cmd = bench_cmd(args, connect, [
        "--sessions", str(args.write_sessions), "--outstanding", str(args.write_outstanding),
        "--duration", str(span), "--keys", str(args.keys), "--mix", "set=1",
        "--value-size", "100", "--prefix", "/wload"])
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def run_read_modes(args, results):
    for size in args.sizes:
        for rep in range(args.repeat):
            order = list(args.targets) if rep % 2 == 0 else list(reversed(args.targets))
            for target in order:
                wait_quiet(args.max_wait)
                ens = make_ensemble(target, args, size)
                try:
                    ens.start()
                    for loaded in (False, True):
                        for mode in MODES[target]:
                            one_read_run(args, results, ens, target, size, mode, loaded, rep)
                except RuntimeError as e:
                    log("(r) %s %d nodes rep %d FAILED: %s" % (target, size, rep + 1, e))
                    results["failures"].append("(r) %s x%d rep %d: %s" % (target, size, rep + 1, e))
                finally:
                    ens.cleanup()


def readers_connect(args, ens):
    """Where the read sessions connect: every member, or only the followers (as clients of a
    ZooKeeper ensemble with leaderServes=no do)."""
    if args.readers == "all":
        return ens.connect()
    leader = ens.leader()
    if leader is None:
        raise RuntimeError("no leader to leave out of the readers' members")
    return ",".join("127.0.0.1:%d" % m.port for m in ens.members if m is not leader)


def one_read_run(args, results, ens, target, size, mode, loaded, rep):
    writer = write_load(args, ens.connect()) if loaded else None
    try:
        if writer:
            time.sleep(1.0)  # the write load is running before the reads start
        r = run(bench_cmd(args, readers_connect(args, ens), read_workload(args, mode)))
    finally:
        w = None
        if writer:
            out, _ = writer.communicate(timeout=120)
            lines = out.strip().splitlines()
            w = json.loads(lines[-1]) if lines else None
    if not r.get("ok"):
        raise RuntimeError("%s reads failed: %s" % (mode, r.get("error") or r))
    key = "%s x%d %s%s" % (target, size, mode, " +writes" if loaded else "")
    entry = {"ops_per_s": r["ops_per_s"], "p50_us": r["latency_us"]["p50"],
             "p99_us": r["latency_us"]["p99"], "errors": r["errors"],
             "write_ops_per_s": w["ops_per_s"] if w else None, "command": r.get("command")}
    results["reads"].setdefault(key, []).append(entry)
    log("(r) %-34s rep %d: %8.0f reads/s p50 %6.0f us p99 %7.0f us, errors %d%s"
        % (key, rep + 1, entry["ops_per_s"], entry["p50_us"], entry["p99_us"], entry["errors"],
           ", writes %.0f/s" % entry["write_ops_per_s"] if w else ""))


def run_kill(args, results):
    """(k) reads on the followers while the leader is killed, on each size, without and with
    a write load (on the followers too) running through the kill."""
    for size in args.sizes:
        for loaded in (False, True):
            for rep in range(args.repeat):
                for target in args.targets:
                    one_kill_run(args, results, target, size, loaded, rep)


def one_kill_run(args, results, target, size, loaded, rep):
    wait_quiet(args.max_wait)
    ens = EnsembleServer(target, args, size=size)
    label = "%s x%d%s" % (target, size, " +writes" if loaded else "")
    writer = None
    try:
        ens.start()
        leader = ens.leader()
        followers = [m for m in ens.members if m is not leader]
        connect = ",".join("127.0.0.1:%d" % m.port for m in followers)
        mode = "quorum" if target == "caucus" else "sync"
        cmd = bench_cmd(args, connect, [
            "--sessions", "8", "--outstanding", "4", "--duration",
            str(args.kill_duration), "--keys", "100", "--mix", "get=1",
            "--read-consistency", mode, "--session-timeout", "30000"])
        if loaded:
            writer = subprocess.Popen(bench_cmd(args, connect, [
                "--sessions", "2", "--outstanding", "8", "--duration",
                str(args.kill_duration + 2), "--keys", "100", "--mix", "set=1",
                "--value-size", "100", "--prefix", "/wload", "--session-timeout", "30000"]),
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(1.0)
        timer = threading.Timer(1.0 + args.kill_duration / 3,
                                lambda: leader.stop(signal.SIGKILL))
        timer.start()
        r = run(cmd)
        timer.join()
    except RuntimeError as e:
        results["failures"].append("(k) %s rep %d: %s" % (label, rep + 1, e))
        return
    finally:
        if writer:
            try:
                writer.wait(timeout=60)
            except subprocess.TimeoutExpired:
                writer.kill()
                writer.wait()
        ens.cleanup()
    ops, errors = r.get("ops", 0), r.get("errors", 0)
    entry = {"mode": mode, "reads": ops, "failed": errors,
             "lost_sessions": r.get("lost_sessions"),
             "success_fraction": (ops - errors) / ops if ops else 0.0,
             "longest_ms": r.get("latency_us", {}).get("max", 0) / 1000.0,
             "error": r.get("error")}
    results["kill"].setdefault(label, []).append(entry)
    log("(k) %-20s rep %d (%s reads on followers): %d reads, %d failed, %s sessions lost, "
        "longest %.1f ms" % (label, rep + 1, mode, ops, errors, entry["lost_sessions"],
                             entry["longest_ms"]))


def summarize(results):
    rows = []
    for key, runs in sorted(results["reads"].items()):
        rows.append((key, statistics.median(r["ops_per_s"] for r in runs),
                     statistics.median(r["p50_us"] for r in runs),
                     statistics.median(r["p99_us"] for r in runs)))
    print("\n%-36s %12s %10s %10s" % ("reads (medians)", "reads/s", "p50 us", "p99 us"))
    for key, ops, p50, p99 in rows:
        print("%-36s %12.0f %10.0f %10.0f" % (key, ops, p50, p99))
    med = {k: v for k, v, _, _ in rows}
    print("\nratios:")
    for size in sorted({int(k.split(" x")[1].split()[0]) for k in med}):
        for load in ("", " +writes"):
            q = med.get("caucus x%d quorum%s" % (size, load))
            for other in ("caucus x%d leader%s", "zookeeper x%d sync%s", "caucus x%d sync%s"):
                o = med.get(other % (size, load))
                if q and o:
                    print("  %d nodes%s: quorum / %s = %.2fx"
                          % (size, load or "", other.split(" x")[0] + " " +
                             (other % (size, load)).split()[2], q / o))
    for target, runs in results["kill"].items():
        print("leader kill, %s: success %s, longest read %s ms, sessions lost %s"
              % (target, [round(r["success_fraction"], 4) for r in runs],
                 [round(r["longest_ms"], 1) for r in runs], [r["lost_sessions"] for r in runs]))


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="3,5")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--duration", type=float, default=5)
    ap.add_argument("--warmup", type=float, default=1)
    ap.add_argument("--sessions", type=int, default=16)
    ap.add_argument("--outstanding", type=int, default=16)
    ap.add_argument("--write-sessions", type=int, default=4)
    ap.add_argument("--write-outstanding", type=int, default=8)
    ap.add_argument("--keys", type=int, default=1000)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--kill-duration", type=float, default=6)
    ap.add_argument("--peer-delay-us", type=int, default=0,
                    help="hold every byte between members this long each way (delay-proxy)")
    ap.add_argument("--delay-proxy", default=os.path.join(run_suite.REPO, "build", "release",
                                                          "tests", "bench", "delay_proxy",
                                                          "delay-proxy"))
    ap.add_argument("--workloads", default="rk", help="r (modes), k (leader kill)")
    ap.add_argument("--readers", choices=["all", "followers"], default="all",
                    help="(r): read sessions on every member (default) or only on followers")
    ap.add_argument("--only", choices=run_suite.TARGETS)
    ap.add_argument("--json")
    ap.add_argument("--zk-heap", default="2g")
    ap.add_argument("--tmpdir", default=tempfile.gettempdir())
    ap.add_argument("--max-wait", type=int, default=900)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--caucusd", default=os.path.join(run_suite.REPO, "build", "release",
                                                      "server", "caucusd"))
    ap.add_argument("--bench", default=os.path.join(run_suite.REPO, "build", "release", "tests",
                                                    "bench", "caucus_bench", "caucus-bench"))
    args = ap.parse_args()
    args.sizes = [int(x) for x in args.sizes.split(",") if x.strip()]
    args.targets = [args.only] if args.only else list(run_suite.TARGETS)
    for path in (args.caucusd, args.bench):
        if not os.access(path, os.X_OK):
            sys.exit("not found: %s (cmake --build build/release --target caucusd caucus-bench)"
                     % path)
    results = {"machine": run_suite.machine_info(), "settings": vars(args).copy(),
               "reads": {}, "kill": {}, "failures": []}
    t0 = time.monotonic()
    try:
        if "r" in args.workloads:
            run_read_modes(args, results)
        if "k" in args.workloads:
            run_kill(args, results)
    finally:
        results["seconds"] = time.monotonic() - t0
        if args.json:
            with open(args.json, "w") as f:
                json.dump(results, f, indent=1)
    summarize(results)
    for f in results["failures"]:
        print("FAILED: %s" % f)


if __name__ == "__main__":
    main()
