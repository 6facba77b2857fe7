#!/usr/bin/env python3
"""Where a model step's CPU goes: the makespan run of orchestration_bench.py (50 workers x 4
steps x 200 ms at cap 5 against `bosun mock-provider`), with a tool attached to `bosun serve`
from the first spawn to the await answer only (not startup, not the final trace).

    python3 bench/orchestration_profile.py compare N BIN [BIN...]   # alternating runs, perf task-clock medians
    python3 bench/orchestration_profile.py stat BIN     # perf stat: task-clock, context switches
    python3 bench/orchestration_profile.py record BIN   # perf record with call graphs -> OUT/perf.data
    python3 bench/orchestration_profile.py strace BIN   # strace -f -c: system calls per kind
    python3 bench/orchestration_profile.py threads BIN  # CPU (ns precision) and context switches per thread, whole life
    python3 bench/orchestration_profile.py writer N BIN [BIN...]  # alternating: the trace writer thread's CPU, wake-ups, WAL frames, commits

OUT (default: a fresh temp dir, printed) receives perf.data, stat.txt, strace.txt. On a
shared machine compare binaries only within one `compare` run: CPU per step moves by +-30%
with the host's load, the ratio between alternating binaries much less.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import orchestration_bench as bench  # noqa: E402

TOOLS = {
    "stat": lambda pid, out: ["perf", "stat", "-e", "task-clock,context-switches", "-o", f"{out}/stat.txt", "-p", str(pid)],
    "record": lambda pid, out: ["perf", "record", "-F", "4000", "--call-graph", "dwarf,16384", "-o", f"{out}/perf.data",
                                "-p", str(pid)],
    "strace": lambda pid, out: ["strace", "-f", "-c", "-o", f"{out}/strace.txt", "-p", str(pid)],
}


def threads(pid: int) -> list[str]:
    """Each thread's CPU so far (schedstat, nanoseconds) and context switches."""
    rows = []
    for tid in sorted(os.listdir(f"/proc/{pid}/task"), key=int):
        with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
            cpu_ms = int(f.read().split()[0]) / 1e6
        with open(f"/proc/{pid}/task/{tid}/comm") as f:
            name = f.read().strip()
        with open(f"/proc/{pid}/task/{tid}/status") as f:
            switches = dict(line.split(":") for line in f if "ctxt_switches" in line)
        rows.append(f"{tid:>8} {name:<16} {cpu_ms:8.1f} ms  voluntary {switches['voluntary_ctxt_switches'].strip():>5}"
                    f"  involuntary {switches['nonvoluntary_ctxt_switches'].strip():>5}")
    return rows


def writer_thread(pid: int) -> int:
    """The trace store's writer thread (`bosun-trace`), once the session has opened the store."""
    for _ in range(500):
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                if f.read().strip() == "bosun-trace":
                    return int(tid)
        time.sleep(0.01)
    raise RuntimeError("no bosun-trace thread")


def thread_cpu_ns(pid: int, tid: int) -> int:
    with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
        return int(f.read().split()[0])


def thread_wakeups(pid: int, tid: int) -> int:
    """The thread's voluntary context switches: each is a wait it was woken from."""
    with open(f"/proc/{pid}/task/{tid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("voluntary_ctxt_switches"))


def wal_frames(path: str) -> tuple[int, int]:
    """(frames, commits) in a WAL file: the valid frames from its start, as recovery reads them."""
    with open(path, "rb") as f:
        wal = f.read()
    page_size = struct.unpack(">I", wal[8:12])[0]
    salts = wal[16:24]
    frames = commits = 0
    offset = 32
    while offset + 24 + page_size <= len(wal) and wal[offset + 8:offset + 16] == salts:
        frames += 1
        commits += struct.unpack(">I", wal[offset + 4:offset + 8])[0] != 0
        offset += 24 + page_size
    return frames, commits


def profiled_run(binary: str, mode: str, out: str) -> tuple[int, float, tuple[int, int, int, int] | None]:
    """Runs the scenario with `mode`'s tool attached; returns (model steps, CPU seconds from
    /proc, for `writer` the writer thread's CPU nanoseconds and wake-ups with the WAL's frames
    and commits)."""
    world = bench.World(binary, ["--latency-ms", "200", "--tool-steps", "3"])
    try:
        client = world.serve()
        client.initialize(root=world.workspace, max_concurrent_workers=5, events="none")
        pid = client.process.pid
        tool = subprocess.Popen(TOOLS[mode](pid, out), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL) if mode in TOOLS else None
        time.sleep(0.5)  # let the tool attach
        writer = writer_thread(pid) if mode == "writer" else None
        writer_before = (thread_cpu_ns(pid, writer), thread_wakeups(pid, writer)) if writer else (0, 0)
        before = bench.cpu_seconds(pid)
        for i in range(50):
            client.request("spawn", {"task": f"Survey the workspace, part {i}"})
        done = client.request("await", {"timeoutSeconds": 600}, timeout=620)
        cpu = bench.cpu_seconds(pid) - before
        writer_figures = None
        if writer:
            writer_figures = (thread_cpu_ns(pid, writer) - writer_before[0],
                              thread_wakeups(pid, writer) - writer_before[1],
                              *wal_frames(os.path.join(world.dir, "trace.sqlite-wal")))
        if tool:
            tool.send_signal(signal.SIGINT)
            tool.wait()
        if mode == "threads":
            print("\n".join(threads(pid)))
        steps = sum(w["steps"] for w in done["finished"])
        print(f"{steps} model steps, {cpu * 1000:.0f} ms CPU = {cpu / steps * 1000:.3f} ms per step")
        client.close()
        return steps, cpu, writer_figures
    finally:
        world.close()


def task_clock_ms(stat_file: str) -> float:
    with open(stat_file) as f:
        match = re.search(r"([\d.,]+) msec task-clock", f.read())
    return float(match.group(1).replace(",", ""))


def compare(runs: int, binaries: list[str]) -> None:
    """Alternating runs under perf stat: task-clock counts CPU in nanoseconds, where /proc
    counts 10 ms ticks (0.05 ms per step in this scenario, as much as two binaries differ by)."""
    figures: dict[str, list[float]] = {b: [] for b in binaries}
    for _ in range(runs):
        for binary in binaries:
            with tempfile.TemporaryDirectory(prefix="bosun-compare-") as out:
                with contextlib.redirect_stdout(io.StringIO()):
                    steps, _, _ = profiled_run(binary, "stat", out)
                per_step = task_clock_ms(f"{out}/stat.txt") / steps
            figures[binary].append(per_step)
            print(f"{binary}: {per_step:.3f} ms task-clock per step", flush=True)
    for binary, values in figures.items():
        print(f"{binary}: median {statistics.median(values):.3f} ms per step "
              f"(min {min(values):.3f}, max {max(values):.3f}, {len(values)} runs)")


def writer(runs: int, binaries: list[str]) -> None:
    """Alternating runs: the trace writer thread's CPU and wake-ups per step (schedstat and
    voluntary context switches, first spawn to the await answer) and what it wrote, the WAL's
    frames and commits (each run's store is new, so its WAL holds the whole run)."""
    figures: dict[str, list[tuple[float, float, int, int]]] = {b: [] for b in binaries}
    for _ in range(runs):
        for binary in binaries:
            with contextlib.redirect_stdout(io.StringIO()):
                steps, _, (ns, wakeups, frames, commits) = profiled_run(binary, "writer", "")
            figures[binary].append((ns / steps / 1000, wakeups / steps, frames, commits))
            print(f"{binary}: writer {ns / steps / 1000:.1f} us and {wakeups / steps:.2f} wake-ups per step, "
                  f"{frames} WAL frames, {commits} commits", flush=True)
    for binary, values in figures.items():
        cpu = [v[0] for v in values]
        print(f"{binary}: writer median {statistics.median(cpu):.1f} us per step (min {min(cpu):.1f}, max {max(cpu):.1f}), "
              f"median {statistics.median(v[1] for v in values):.2f} wake-ups per step; "
              f"median {statistics.median(v[2] for v in values):.0f} frames, {statistics.median(v[3] for v in values):.0f} commits, "
              f"{statistics.median(v[2] / v[3] for v in values):.2f} frames per commit ({len(values)} runs)")


def main() -> int:
    if len(sys.argv) < 3 or sys.argv[1] not in ("compare", "writer", "threads", *TOOLS):
        print(__doc__)
        return 2
    if sys.argv[1] in ("compare", "writer"):
        (compare if sys.argv[1] == "compare" else writer)(int(sys.argv[2]), sys.argv[3:])
        return 0
    out = os.environ.get("OUT") or tempfile.mkdtemp(prefix="bosun-profile-")
    os.makedirs(out, exist_ok=True)
    print(f"output in {out}")
    profiled_run(sys.argv[2], sys.argv[1], out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
