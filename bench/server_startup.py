#!/usr/bin/env python3
"""Time from process start to the initialize answer, CPU per start, and idle RSS, of `bosun serve`.

CPU per start is the user + system time of a whole short life (start, initialize, end of
input, exit), from wait4: on a shared machine it varies less than wall-clock time.

Usage: server_startup.py BOSUN_BIN [RUNS]
"""
import atexit
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

INITIALIZE = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}}).encode()
FRAME = b"Content-Length: %d\r\n\r\n" % len(INITIALIZE) + INITIALIZE


# A scratch state and config directory: the runs create sessions, and they must not land in
# the user's own trace store or read the user's config.
SCRATCH = tempfile.mkdtemp(prefix="bosun-bench-")
atexit.register(shutil.rmtree, SCRATCH, ignore_errors=True)
ENV = dict(os.environ, XDG_STATE_HOME=os.path.join(SCRATCH, "state"), XDG_CONFIG_HOME=os.path.join(SCRATCH, "config"))

def memory_kib(pid):
    """RSS, and how much of it is the process's own (private pages, from smaps_rollup):
    the rest is shared library text that other processes map too."""
    figures = {}
    with open(f"/proc/{pid}/smaps_rollup") as rollup:
        for line in rollup:
            name, _, rest = line.partition(":")
            if name in ("Rss", "Pss", "Private_Clean", "Private_Dirty"):
                figures[name] = int(rest.split()[0])
    return figures["Rss"], figures["Private_Clean"] + figures["Private_Dirty"]


def one_start(binary):
    """Seconds from spawning the process to reading the end of its initialize answer."""
    started = time.perf_counter()
    proc = subprocess.Popen([binary, "serve", "--log-level", "error"], env=ENV, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, bufsize=0)
    proc.stdin.write(FRAME)
    header = b""
    while not header.endswith(b"\r\n\r\n"):
        header += proc.stdout.read(1)
    length = int(header.split(b":")[1])
    body = b""
    while len(body) < length:
        body += proc.stdout.read(length - len(body))
    elapsed = time.perf_counter() - started
    assert b'"session"' in body
    return elapsed, proc


def main():
    binary = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 30
    times, cpu = [], []
    for _ in range(runs):
        elapsed, proc = one_start(binary)
        times.append(elapsed * 1000)
        proc.stdin.close()
        _, _, usage = os.wait4(proc.pid, 0)
        proc.returncode = 0
        cpu.append((usage.ru_utime + usage.ru_stime) * 1000)
    times.sort()
    cpu.sort()
    print(f"start to initialize answer over {runs} runs: median {statistics.median(times):.1f} ms, "
          f"p90 {times[int(runs * 0.9) - 1]:.1f} ms, max {times[-1]:.1f} ms")
    print(f"CPU per start (start, initialize, end of input, exit): median {statistics.median(cpu):.1f} ms, "
          f"min {cpu[0]:.1f} ms")
    _, proc = one_start(binary)
    time.sleep(2)
    rss, private = memory_kib(proc.pid)
    print(f"idle after initialize (2 s): RSS {rss / 1024:.1f} MB, of which private {private / 1024:.1f} MB")
    proc.stdin.close()
    proc.wait(timeout=10)


if __name__ == "__main__":
    main()
