#!/usr/bin/env python3
"""bosun against the OpenAI Agents SDK on the same workload, in one run, as bench/RESULTS.md
states its CPU goal ("<= 0.5 ms per model step: >= 10x less than the OpenAI Agents SDK"):
50 workers x 4 steps x 200 ms latency at concurrency 5, against one `bosun mock-provider`.

    python3 bench/peer_compare.py BIN [--runs 3]

Runs alternate (bosun, peer, bosun, peer, ...) so a slow minute on a shared host weighs on
both. The peer runs in bench/.venv-peer, made on first use with the pinned
bench/requirements-peer.txt (from PyPI). CPU per model step:
- bosun: every thread of `bosun serve`, ended ones included, from the first spawn to the
  `await` answer (its process CPU-time clock, in nanoseconds; see spawn_pipelined.cpu_ns);
- the peer: its whole process, from the first agent started to the last one finished
  (peer_agents_sdk.py).
Neither counts the mock provider's process, or start-up.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import orchestration_bench as bench  # noqa: E402
from spawn_pipelined import cpu_ns  # noqa: E402

VENV = os.path.join(HERE, ".venv-peer")
PEER_PYTHON = os.path.join(VENV, "bin", "python")
WORKERS, STEPS, LATENCY_MS, CAP = 50, 4, 200, 5
IDEAL = math.ceil(WORKERS / CAP) * STEPS * LATENCY_MS / 1000


def ensure_peer_venv() -> None:
    requirements = os.path.join(HERE, "requirements-peer.txt")
    stamp = os.path.join(VENV, ".installed")
    if os.path.exists(stamp) and os.path.getmtime(stamp) >= os.path.getmtime(requirements):
        return
    subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
    subprocess.run([PEER_PYTHON, "-m", "pip", "install", "-q", "-r", requirements], check=True)
    open(stamp, "w").close()


def world(binary: str) -> bench.World:
    return bench.World(binary, ["--latency-ms", str(LATENCY_MS), "--tool-steps", str(STEPS - 1)])


def run_bosun(binary: str) -> dict:
    w = world(binary)
    try:
        client = w.serve()
        client.initialize(root=w.workspace, max_concurrent_workers=CAP, events="none")
        pid = client.process.pid
        time.sleep(0.3)
        cpu_before, start = cpu_ns(pid), time.monotonic()
        for i in range(WORKERS):
            client.request("spawn", {"task": f"Survey the workspace, part {i}"})
        done = client.request("await", {"timeoutSeconds": 600}, timeout=620)
        wall, cpu = time.monotonic() - start, (cpu_ns(pid) - cpu_before) / 1e9
        client.close()
        ok = sum(1 for worker in done["finished"] if worker["state"] == "succeeded")
        if ok != WORKERS:
            raise RuntimeError(f"bosun: only {ok} of {WORKERS} workers succeeded")
        return {"steps": sum(worker["steps"] for worker in done["finished"]), "cpu_seconds": cpu, "makespan_seconds": wall}
    finally:
        w.close()


def run_peer(binary: str) -> dict:
    w = world(binary)  # only its mock provider and workspace
    try:
        out = subprocess.run([PEER_PYTHON, os.path.join(HERE, "peer_agents_sdk.py"), "--base-url", f"http://127.0.0.1:{w.port}/v1",
                              "--workspace", w.workspace, "--agents", str(WORKERS), "--cap", str(CAP)],
                             check=True, capture_output=True, text=True, timeout=600)
        return json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        w.close()


def summary_line(name: str, result: dict) -> str:
    per_step = result["cpu_seconds"] / result["steps"] * 1000
    return (f"{name:<16} {result['steps']} steps, {result['cpu_seconds'] * 1000:7.0f} ms CPU = {per_step:6.3f} ms per step; "
            f"makespan {result['makespan_seconds']:.3f} s ({result['makespan_seconds'] / IDEAL:.3f} of the ideal {IDEAL:.1f} s)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bosun")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    ensure_peer_venv()
    ours, theirs, ratios = [], [], []
    print(f"date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {os.cpu_count()} cores")
    for _ in range(args.runs):
        b, p = run_bosun(args.bosun), run_peer(args.bosun)
        print(summary_line("bosun", b))
        print(summary_line("Agents SDK", p), flush=True)
        ours.append(b["cpu_seconds"] / b["steps"] * 1000)
        theirs.append(p["cpu_seconds"] / p["steps"] * 1000)
        ratios.append(theirs[-1] / ours[-1])
    print(f"median CPU per model step: bosun {statistics.median(ours):.3f} ms, Agents SDK {statistics.median(theirs):.3f} ms; "
          f"the Agents SDK spends {min(ratios):.1f}x to {max(ratios):.1f}x as much per step (median {statistics.median(ratios):.1f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
