#!/usr/bin/env python3
"""Instructions per request by function, with entropy noise left out.

usage: scripts/cg-per-request.py SERVER PATH [--token T] [--config FILE] [--n1 300] [--n2 2300] [--top 0]

Runs SERVER (started as `SERVER --port N`, with `--config FILE` when given) under callgrind twice, sends n1
then n2 keep-alive GET PATH requests, and subtracts the per-function costs of
the two runs, so startup and shutdown cancel out. Unlike a whole-program
difference, it leaves out aws-lc's CPU-jitter entropy source (jent_*, keccak,
xoshiro, ...): it runs a random number of instructions at startup and at
each thread's first draw, which lands thousands of instructions of noise in
a per-request figure. Prints the per-request total and, with --top N, the N
costliest functions. See BENCHMARKS.md.
"""
import argparse
import http.client
import os
import re
import signal
import socket
import subprocess
import tempfile
import time

NOISE = re.compile(r"jent|rol64|xoshiro|uint32rotl|ptr_to_le|keccak|sha3|PROGRAM TOTALS")


def run(server, path, token, n, config=None):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = tempfile.NamedTemporaryFile(delete=False, suffix=".cg")
    out.close()
    p = subprocess.Popen(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out.name}", server, "--port", str(port)]
        + (["--config", config] if config else []),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if p.poll() is not None or time.time() > deadline:
                raise SystemExit("the server did not start")
            time.sleep(0.2)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for i in range(n):
        c.request("GET", path, headers=headers)
        r = c.getresponse()
        r.read()
        if r.status != 200:
            raise SystemExit(f"request {i}: status {r.status}")
    c.close()
    p.send_signal(signal.SIGINT)
    p.wait(60)
    text = subprocess.run(
        ["callgrind_annotate", "--inclusive=no", "--threshold=100", out.name],
        capture_output=True, text=True, check=True,
    ).stdout
    os.unlink(out.name)
    costs = {}
    for line in text.splitlines():
        m = re.match(r"\s*([\d,]+)\s+(?:\([^)]*\)\s+)?(.*)", line)
        if not m:
            continue
        name = re.sub(r"\s*\[[^\]]*\]\s*$", "", m.group(2).strip())
        costs[name] = costs.get(name, 0) + int(m.group(1).replace(",", ""))
    return costs


ap = argparse.ArgumentParser()
ap.add_argument("server")
ap.add_argument("path")
ap.add_argument("--token")
ap.add_argument("--config")
ap.add_argument("--n1", type=int, default=300)
ap.add_argument("--n2", type=int, default=2300)
ap.add_argument("--top", type=int, default=0)
args = ap.parse_args()
a = run(args.server, args.path, args.token, args.n1, args.config)
b = run(args.server, args.path, args.token, args.n2, args.config)
n = args.n2 - args.n1
per = {k: (b.get(k, 0) - a.get(k, 0)) / n for k in set(a) | set(b) if not NOISE.search(k)}
print(f"{args.path}: {round(sum(per.values()))} instructions/request (entropy source left out)")
for k, v in sorted(per.items(), key=lambda kv: -kv[1])[: args.top]:
    print(f"{v:10.1f}  {k[:150]}")
