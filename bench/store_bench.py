#!/usr/bin/env python3
"""Trace store benchmark: events/s through the writer, and what a terminal commit costs.

Builds the release TraceStoreHarness, runs `TraceStoreHarness bench` RUNS times on a fresh
file each, and writes bench/RESULTS-store.md. Usage: python3 bench/store_bench.py [RUNS]
"""
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRATCH = os.environ.get("BOSUN_SCRATCH", os.path.join(ROOT, ".build"))
GOAL = 50_000


def machine():
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as handle:
            cpu = next(line.split(":", 1)[1].strip() for line in handle if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{platform.system()} {platform.release()}, {os.cpu_count()} cores, {cpu}"


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    subprocess.run(["swift", "build", "-c", "release", "--scratch-path", SCRATCH, "--product", "TraceStoreHarness"],
                   cwd=ROOT, check=True)
    harness = os.path.join(SCRATCH, "release", "TraceStoreHarness")
    results = []
    for run in range(runs):
        with tempfile.TemporaryDirectory(prefix="bosun-store-bench-") as directory:
            load = os.getloadavg()[0]
            out = subprocess.run([harness, "bench", os.path.join(directory, "bench.sqlite")],
                                 check=True, capture_output=True, text=True).stdout
            result = json.loads(out)
            result["loadBefore"] = load
            results.append(result)
            print(f"run {run + 1}: {result['eventsPerSecond']:,.0f} events/s, "
                  f"commit p50 {result['commitIdleMs']['p50']:.3f} ms (load {load:.2f})")

    rates = [r["eventsPerSecond"] for r in results]
    median = statistics.median(rates)
    rows = "\n".join(
        f"| {i + 1} | {r['eventsPerSecond']:,.0f} | {r['seconds']:.2f} | {r['meanAppendNanoseconds']:.0f} ns "
        f"(p99.9 {r['appendMicroseconds']['p99.9']:.1f} µs) | "
        f"{r['commitIdleMs']['p50']:.2f} / {r['commitIdleMs']['p95']:.2f} / {r['commitIdleMs']['p99']:.2f} | "
        f"{r['commitUnderLoadMs']['p50']:.2f} / {r['commitUnderLoadMs']['p95']:.2f} / {r['commitUnderLoadMs']['p99']:.2f} | "
        f"{r['loadBefore']:.2f} |"
        for i, r in enumerate(results))
    report = f"""# Trace store benchmark

- Command: `python3 bench/store_bench.py {runs}` (release build of `TraceStoreHarness bench`)
- Date: {datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}
- Machine: {machine()}; shared with other builds, so the load average before each run is shown.

## What is measured

- **Throughput**: 1,000,000 events (100 workers, ~120-byte JSON data, two secrets configured
  for redaction) appended by one task as fast as it can, timed from the first `submit(.event)` until
  `flush()` returns, i.e. until all are committed to the WAL-mode SQLite file. `submit` only
  queues; a dedicated writer thread commits batches of up to 8,192 events per transaction.
- **Append cost**: what a caller pays per `submit` (mean, and the 99.9th percentile).
- **Terminal commit latency**: 300 `commitTerminal` calls (worker row + terminal event in one
  `BEGIN IMMEDIATE` transaction, awaited until COMMIT), on a quiet store and while another task
  appends 20,000 events/s (so each commit first writes the pending batch). p50 / p95 / p99 in ms.

## Results

| run | events/s | seconds | append cost | commit ms idle p50/p95/p99 | commit ms under load p50/p95/p99 | load |
|---|---|---|---|---|---|---|
{rows}

**Median: {median:,.0f} events/s; goal ≥ {GOAL:,} events/s: {"met" if median >= GOAL else "NOT met"}.**

A terminal commit adds about {statistics.median(r['commitIdleMs']['p50'] for r in results):.2f} ms (median p50) on a quiet
store, and about {statistics.median(r['commitUnderLoadMs']['p50'] for r in results):.2f} ms while events stream in; its tail is the
time to write the events queued before it (they are committed first, by design) and the
other processes' load on the two cores.
"""
    with open(os.path.join(ROOT, "bench", "RESULTS-store.md"), "w") as handle:
        handle.write(report)
    print(f"median {median:,.0f} events/s; wrote bench/RESULTS-store.md")


if __name__ == "__main__":
    main()
