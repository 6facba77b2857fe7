#!/usr/bin/env python3
"""A client that writes without reading: bosun's memory stays bounded (backpressure).

Pipelines N `status` requests (default 1,000,000) to `bosun serve` without reading a byte of
its answers until the server has stopped reading (it read nothing for 2 s),
sampling the server's RSS all along; then reads every answer while the rest of the flood
goes in. Fails (exit 1) unless the peak RSS stays under the limit (default 100 MB) and every
request is answered exactly once.

Usage: flood.py BOSUN_BIN [N] [--max-rss-mb MB]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time


def rss_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except FileNotFoundError:
        pass
    return 0


def read_bytes(pid):
    """Bytes the server has read so far (its input: the flood)."""
    try:
        with open(f"/proc/{pid}/io") as io:
            for line in io:
                if line.startswith("rchar:"):
                    return int(line.split()[1])
    except FileNotFoundError:
        pass
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("binary")
    parser.add_argument("count", nargs="?", type=int, default=1_000_000)
    parser.add_argument("--max-rss-mb", type=float, default=100)
    args = parser.parse_args()

    scratch = tempfile.mkdtemp(prefix="bosun-flood-")
    env = dict(os.environ, XDG_STATE_HOME=os.path.join(scratch, "state"), XDG_CONFIG_HOME=os.path.join(scratch, "config"))
    proc = subprocess.Popen([args.binary, "serve", "--log-level", "error"], env=env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, bufsize=0)
    try:
        return run(proc, args)
    finally:
        proc.kill()
        proc.wait()
        shutil.rmtree(scratch, ignore_errors=True)


def run(proc, args):
    proc.stdin.write(b'{"jsonrpc":"2.0","id":0,"method":"initialize","params":{}}\n')
    first = proc.stdout.readline()
    assert b'"result"' in first, first
    baseline = rss_kb(proc.pid)

    peak = [baseline]
    sampling = threading.Event()

    def sample():
        while not sampling.is_set():
            peak[0] = max(peak[0], rss_kb(proc.pid))
            time.sleep(0.02)

    def flood():
        batch = 10_000
        for start in range(1, args.count + 1, batch):
            chunk = b"".join(b'{"jsonrpc":"2.0","id":%d,"method":"status"}\n' % i
                             for i in range(start, min(start + batch, args.count + 1)))
            proc.stdin.write(chunk)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.monotonic()
    writer = threading.Thread(target=flood, daemon=True)
    writer.start()

    # Phase 1: nobody reads. Wait until the server has read nothing for 2 s (it stopped
    # reading) or the whole flood went in.
    last, still_since = -1, time.monotonic()
    while writer.is_alive():
        progress = read_bytes(proc.pid)
        if progress != last:
            last, still_since = progress, time.monotonic()
        elif time.monotonic() - still_since > 2:
            break
        time.sleep(0.05)
    request_bytes = len(b'{"jsonrpc":"2.0","id":500000,"method":"status"}\n')
    held_at = min(args.count, read_bytes(proc.pid) // request_bytes)
    rss_while_held = rss_kb(proc.pid)

    # Phase 2: read everything.
    seen = bytearray(args.count + 1)
    duplicates = answered = 0
    for line in proc.stdout:
        ident = json.loads(line)["id"]
        if seen[ident]:
            duplicates += 1
        seen[ident] = 1
        answered += 1
        if answered == args.count:
            break
    elapsed = time.monotonic() - started
    writer.join()
    sampling.set()
    sampler.join()

    peak_mb = peak[0] / 1024
    ok = answered == args.count and duplicates == 0 and peak_mb < args.max_rss_mb and held_at < args.count
    print(f"flood of {args.count:,} pipelined status requests, client not reading: the server stopped reading "
          f"after about {held_at:,} requests (RSS {rss_while_held / 1024:.1f} MB); then read: {answered:,} answered, "
          f"{duplicates} duplicates, in {elapsed:.1f} s; RSS baseline {baseline / 1024:.1f} MB, peak {peak_mb:.1f} MB "
          f"(limit {args.max_rss_mb:.0f} MB): {'ok' if ok else 'FAILED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
