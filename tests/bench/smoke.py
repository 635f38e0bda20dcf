#!/usr/bin/python3
"""CTest smoke run of caucus-bench: a fresh caucusd on a free port, 2000 mixed ops.

Checks that the last line of output is a JSON object with ops > 0 and errors == 0.
Usage: smoke.py --caucusd PATH --bench PATH
"""
import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def ruok(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            s.sendall(b"ruok")
            return s.recv(4) == b"imok"
    except OSError:
        return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--caucusd", required=True)
    ap.add_argument("--bench", required=True)
    args = ap.parse_args()
    base = tempfile.mkdtemp(prefix="caucus-bench-smoke-")
    port = free_port()
    data = os.path.join(base, "data")
    os.makedirs(data)
    cfg = os.path.join(base, "zoo.cfg")
    with open(cfg, "w") as f:
        f.write("tickTime=2000\ndataDir=%s\nclientPort=%d\nclientPortAddress=127.0.0.1\n"
                "maxClientCnxns=0\n4lw.commands.whitelist=*\n" % (data, port))
    log = open(os.path.join(base, "server.log"), "wb")
    srv = subprocess.Popen([args.caucusd, cfg], stdout=log, stderr=subprocess.STDOUT,
                           stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 5
        while not ruok(port):
            if srv.poll() is not None or time.monotonic() > deadline:
                print("caucusd did not start")
                return 1
            time.sleep(0.05)
        cmd = [args.bench, "--connect", "127.0.0.1:%d" % port, "--ops", "2000",
               "--sessions", "4", "--outstanding", "8", "--mix", "create=1,get=1,set=1",
               "--keys", "100"]
        print(" ".join(cmd))
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=20)
        sys.stdout.write(out.stdout)
        sys.stderr.write(out.stderr)
        lines = out.stdout.strip().splitlines()
        if out.returncode != 0 or not lines:
            print("caucus-bench failed with exit code %d" % out.returncode)
            return 1
        result = json.loads(lines[-1])
        if not (result.get("ops", 0) > 0 and result.get("errors") == 0 and result.get("ok")):
            print("unexpected result: ops=%s errors=%s ok=%s"
                  % (result.get("ops"), result.get("errors"), result.get("ok")))
            return 1
        print("smoke OK: %d ops, %.0f ops/s" % (result["ops"], result["ops_per_s"]))
        return 0
    finally:
        srv.send_signal(signal.SIGTERM)
        try:
            srv.wait(timeout=5)
        except subprocess.TimeoutExpired:
            srv.kill()
            srv.wait()
        log.close()
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
