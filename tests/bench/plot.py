#!/usr/bin/python3
"""Chart of throughput and p99 latency versus client sessions, from run_suite.py's JSON.

    /usr/bin/python3 tests/bench/plot.py results.json [docs/performance-throughput.png]

Needs gnuplot (Debian: apt-get install gnuplot-nox) and a suite run with --sweep, e.g.
--sweep 1,4,16,64. Left: ops/s (log scale); right: p99 latency in microseconds (log scale);
one line per server.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(HERE, "..", "..", "docs", "performance-throughput.png")
NAMES = {"caucus": "Caucus", "zookeeper": "ZooKeeper 3.8"}


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    with open(sys.argv[1]) as f:
        results = json.load(f)
    out = os.path.abspath(sys.argv[2] if len(sys.argv) > 2 else DEFAULT_OUT)
    sweep = results.get("sweep") or {}
    if not sweep:
        sys.exit("no sweep in %s: run run_suite.py with --sweep 1,4,16,64" % sys.argv[1])
    gnuplot = shutil.which("gnuplot")
    if not gnuplot:
        sys.exit("gnuplot not found (apt-get install gnuplot-nox)")
    tmp = tempfile.mkdtemp(prefix="caucus-plot-")
    series = []
    for target in ("caucus", "zookeeper"):
        runs = sorted(sweep.get(target, []), key=lambda r: r["sessions"])
        if not runs:
            continue
        path = os.path.join(tmp, target + ".dat")
        with open(path, "w") as f:
            for r in runs:
                f.write("%d %f %f\n" % (r["sessions"], r["ops_per_s"], r["latency_us"]["p99"]))
        series.append((target, path))
    settings = results.get("settings", {})
    mix = settings.get("sweep_mix", "?")
    outstanding = settings.get("sweep_outstanding", "?")
    title = "%s, 100 B values, %s outstanding per session, 1 node" % (mix, outstanding)
    colors = {"caucus": "#1f77b4", "zookeeper": "#d62728"}

    def plot_cmd(col):
        return ", ".join("'%s' using 1:%d with linespoints lw 2 pt 7 lc rgb '%s' title '%s'"
                         % (p, col, colors[t], NAMES[t]) for t, p in series)

    script = """
set terminal pngcairo size 1200,480 font 'DejaVu Sans,10'
set output '%(out)s'
set multiplot layout 1,2 title '%(title)s'
set logscale x 2
set logscale y
set grid
set key top left
set xlabel 'client sessions'
set ylabel 'ops/s'
set title 'Throughput'
plot %(tput)s
set key top left
set ylabel 'p99 latency (us)'
set title 'p99 latency'
plot %(p99)s
unset multiplot
""" % {"out": out, "title": title, "tput": plot_cmd(2), "p99": plot_cmd(3)}
    subprocess.run([gnuplot], input=script, text=True, check=True)
    shutil.rmtree(tmp, ignore_errors=True)
    print("wrote %s" % out)


if __name__ == "__main__":
    main()
