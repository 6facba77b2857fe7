#!/usr/bin/env python3
"""N `spawn` requests written to `bosun serve` at once (pipelined), as an orchestrator fanning
out would, or one after another (`--sequential`, each written once the last is answered, as
bench/orchestration_bench.py does): the time until every answer is back, and the CPU bosun
spent (its process CPU-time clock, in nanoseconds, ended threads included). Workers stay running or queued behind
a mock that answers after 20 s, so only admission, persistence and the answers are measured.

    python3 bench/spawn_pipelined.py BIN [BIN...] [--spawns N] [--runs R] [--sequential]   # alternating runs
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import orchestration_bench as bench  # noqa: E402


def cpu_ns(pid: int) -> int:
    """The CPU every thread of the process has used so far, threads that have ended included,
    in nanoseconds: the process's CPU-time clock (what clock_getcpuclockid(pid) gives, the
    clock the peer reads of itself as CLOCK_PROCESS_CPUTIME_ID). Summing
    /proc/PID/task/*/schedstat, as this did before, missed every thread that ended in between."""
    return time.clock_gettime_ns(((~pid) << 3) | 2)  # MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_SCHED)


def run(binary: str, spawns: int, sequential: bool) -> tuple[float, float]:
    world = bench.World(binary, ["--latency-ms", "20000"])
    serve = subprocess.Popen([binary, "serve", "--config", world.config, "--db", os.path.join(world.dir, "trace.sqlite"),
                              "--log-level", "warning"], cwd=world.workspace,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        def send(data: bytes) -> None:
            serve.stdin.write(data)
            serve.stdin.flush()

        send((json.dumps({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "rootUri": "file://" + world.workspace,
            "initializationOptions": {"maxConcurrentWorkers": 5, "events": "none"}}}) + "\n").encode())
        json.loads(serve.stdout.readline())
        time.sleep(0.3)
        requests = [(json.dumps({"jsonrpc": "2.0", "id": 1 + i, "method": "spawn",
                                 "params": {"task": f"Task {i}"}}) + "\n").encode() for i in range(spawns)]
        cpu_before, start = cpu_ns(serve.pid), time.monotonic()

        def await_answers(count: int) -> None:
            answered = 0
            while answered < count:
                answer = json.loads(serve.stdout.readline())
                if "id" in answer:
                    if "error" in answer:
                        raise RuntimeError(f"spawn failed: {answer['error']}")
                    answered += 1

        if sequential:
            for request in requests:
                send(request)
                await_answers(1)
        else:
            send(b"".join(requests))
            await_answers(spawns)
        elapsed, cpu = time.monotonic() - start, cpu_ns(serve.pid) - cpu_before
        return elapsed * 1000, cpu / 1e6
    finally:
        serve.kill()
        serve.wait()
        world.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("binaries", nargs="+")
    parser.add_argument("--spawns", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sequential", action="store_true", help="write each spawn once the last is answered")
    args = parser.parse_args()
    figures: dict[str, list[tuple[float, float]]] = {b: [] for b in args.binaries}
    for _ in range(args.runs):
        for binary in args.binaries:
            figures[binary].append(run(binary, args.spawns, args.sequential))
    for binary, runs in figures.items():
        elapsed = statistics.median(r[0] for r in runs)
        cpu = statistics.median(r[1] for r in runs)
        mode = "sequential" if args.sequential else "pipelined"
        print(f"{binary}: {args.spawns} {mode} spawns answered in {elapsed:.0f} ms (median of {len(runs)}), "
              f"{cpu:.0f} ms CPU = {cpu / args.spawns * 1000:.0f} us per spawn")
    return 0


if __name__ == "__main__":
    sys.exit(main())
