#!/usr/bin/env python3
"""Orchestration benchmarks: makespan against the ideal schedule, orchestration CPU per model
step, and RSS per queued and per running worker, all against `bosun mock-provider` on loopback.

    python3 bench/orchestration_bench.py [--bosun PATH] [--workers 50] [--steps 4] [--latency-ms 200] [--cap 5]

Prints the figures as Markdown (paste them into bench/RESULTS-orchestration.md).
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "clients", "python"))

from bosun_client import BosunClient  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")
TERMINAL = {"succeeded", "failed", "cancelled", "timed_out", "interrupted"}


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far, from /proc/PID/stat."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


class World:
    """A temp workspace, a mock provider and a config pointing at it."""

    def __init__(self, bosun: str, mock_args: list[str], script: str | None = None):
        self.bosun = bosun
        self.dir = tempfile.mkdtemp(prefix="bosun-bench-")
        self.workspace = os.path.join(self.dir, "workspace")
        os.makedirs(os.path.join(self.workspace, "src"))
        for name in ("README.md", "src/a.swift", "src/b.swift"):
            with open(os.path.join(self.workspace, name), "w") as f:
                f.write("// bench\n")
        args = [bosun, "mock-provider", "--port", "0"] + mock_args
        if script:
            path = os.path.join(self.dir, "script.yaml")
            with open(path, "w") as f:
                f.write(script)
            args += ["--script", path]
        self.mock = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.port = port = int(self.mock.stdout.readline())
        self.config = os.path.join(self.dir, "bosun.yaml")
        with open(self.config, "w") as f:
            f.write(f"""providers:
  mock: {{ kind: openai, baseURL: "http://127.0.0.1:{port}/v1" }}
models:
  fast:    {{ provider: mock, id: mock-fast, price: {{ input: 1, output: 5 }} }}
  stalled: {{ provider: mock, id: mock-stall, price: {{ input: 1, output: 5 }} }}
tiers: {{ orchestrator: fast, mid: fast, worker: fast }}
session: {{ maxQueuedWorkers: 100000 }}
""")

    def serve(self) -> BosunClient:
        return BosunClient.start([self.bosun, "serve", "--config", self.config, "--db", os.path.join(self.dir, "trace.sqlite"),
                                  "--log-level", "warning"], cwd=self.workspace)

    def close(self) -> None:
        self.mock.terminate()
        self.mock.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)


def peak_concurrency(events: list[dict]) -> int:
    running: set[str] = set()
    peak = 0
    for event in events:
        if event["kind"] == "started":
            running.add(event["workerId"])
            peak = max(peak, len(running))
        elif event["kind"] in TERMINAL:
            running.discard(event["workerId"])
    return peak


def makespan(bosun: str, workers: int, steps: int, latency_ms: int, cap: int) -> dict:
    world = World(bosun, ["--latency-ms", str(latency_ms), "--tool-steps", str(steps - 1)])
    try:
        client = world.serve()
        client.initialize(root=world.workspace, max_concurrent_workers=cap, events="none")
        pid = client.process.pid
        cpu_before = cpu_seconds(pid)
        start = time.monotonic()
        ids = [client.request("spawn", {"task": f"Survey the workspace, part {i}"})["id"] for i in range(workers)]
        done = client.request("await", {"timeoutSeconds": 600}, timeout=620)
        elapsed = time.monotonic() - start
        cpu = cpu_seconds(pid) - cpu_before
        finished = done["finished"]
        ok = sum(1 for w in finished if w["state"] == "succeeded")
        model_steps = sum(w["steps"] for w in finished)
        events = client.request("trace", {"limit": 10000})["events"]
        rss = rss_kib(pid)
        client.close()
        ideal = math.ceil(workers / cap) * steps * latency_ms / 1000
        return {"elapsed": elapsed, "ideal": ideal, "ok": ok, "workers": len(ids), "model_steps": model_steps,
                "cpu": cpu, "cpu_per_step_ms": cpu / max(model_steps, 1) * 1000, "peak": peak_concurrency(events),
                "rss_kib": rss}
    finally:
        world.close()


STALL_SCRIPT = "rules:\n  - match: { model: mock-stall }\n    fault: stall\n"


def rss_per_queued(bosun: str, count: int) -> dict:
    world = World(bosun, ["--tool-steps", "0"], script=STALL_SCRIPT)
    try:
        client = world.serve()
        client.initialize(root=world.workspace, max_concurrent_workers=1, events="none")
        pid = client.process.pid
        client.request("spawn", {"task": "Hold the slot", "model": "stalled", "limits": {"timeoutSeconds": 600}})
        for i in range(20):  # warm up allocators and statement caches
            client.request("spawn", {"task": f"warm {i}"})
        time.sleep(0.5)
        before = rss_kib(pid)
        for i in range(count):
            client.request("spawn", {"task": f"Queued task number {i}: summarise the file", "inputs": ["README.md"]})
        time.sleep(0.5)
        after = rss_kib(pid)
        client.request("cancel", {"all": True}, timeout=120)
        client.close()
        return {"count": count, "before": before, "after": after, "per_worker_kib": (after - before) / count}
    finally:
        world.close()


def rss_per_running(bosun: str, count: int) -> dict:
    world = World(bosun, ["--tool-steps", "0"], script=STALL_SCRIPT)
    try:
        client = world.serve()
        client.initialize(root=world.workspace, max_concurrent_workers=count + 10, events="none")
        pid = client.process.pid
        for i in range(5):
            client.request("spawn", {"task": f"warm {i}", "wait": True})
        time.sleep(0.5)
        before = rss_kib(pid)
        for i in range(count):
            client.request("spawn", {"task": f"Stalled task {i}", "model": "stalled", "limits": {"timeoutSeconds": 600}})
        time.sleep(2.0)
        status = client.request("status")
        running = status["session"]["counts"]["running"]
        after = rss_kib(pid)
        client.request("cancel", {"all": True}, timeout=120)
        client.close()
        return {"count": running, "before": before, "after": after, "per_worker_kib": (after - before) / max(running, 1)}
    finally:
        world.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bosun", default=os.path.join(REPO, ".build", "release", "bosun"))
    parser.add_argument("--workers", type=int, default=50)
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--latency-ms", type=int, default=200)
    parser.add_argument("--cap", type=int, default=5)
    parser.add_argument("--queued", type=int, default=2000)
    parser.add_argument("--running", type=int, default=100)
    args = parser.parse_args()

    m = makespan(args.bosun, args.workers, args.steps, args.latency_ms, args.cap)
    q = rss_per_queued(args.bosun, args.queued)
    r = rss_per_running(args.bosun, args.running)
    ratio = m["elapsed"] / m["ideal"]
    print(f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; machine: {platform.machine()}, "
          f"{os.cpu_count()} cores, {platform.platform()}")
    print(f"- makespan: {args.workers} workers x {args.steps} steps x {args.latency_ms} ms at cap {args.cap}: "
          f"{m['elapsed']:.3f} s against ideal {m['ideal']:.3f} s = {ratio:.4f} ({(ratio - 1) * 100:+.2f}%); "
          f"{m['ok']}/{m['workers']} succeeded; peak concurrency in the trace {m['peak']}")
    print(f"- orchestration CPU (bosun serve, user+sys, spawn to await): {m['cpu'] * 1000:.0f} ms for "
          f"{m['model_steps']} model steps = {m['cpu_per_step_ms']:.3f} ms per step; RSS after: {m['rss_kib'] / 1024:.1f} MiB")
    print(f"- RSS per queued worker: {q['per_worker_kib']:.2f} KiB ({q['count']} queued: {q['before']} -> {q['after']} KiB)")
    print(f"- RSS per running worker: {r['per_worker_kib']:.2f} KiB ({r['count']} running, each with an open "
          f"streaming transfer: {r['before']} -> {r['after']} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
