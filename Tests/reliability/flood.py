#!/usr/bin/env python3
"""A client that writes without reading: bosun's memory stays bounded (backpressure).

Pipelines N `status` requests (default 1,000,000) to `bosun serve` without reading a byte of
its answers until the server has stopped reading (it read nothing for 2 s),
sampling the server's RSS all along; then reads every answer while the rest of the flood
goes in, closes its input and reads to the end. Fails (exit 1) unless the peak RSS stays
under the limit (default 100 MB) and every request is answered exactly once: each id is
marked in a bitmap, and an id answered twice, an unknown id or a missing one fails.

The answers are read in large chunks and their ids picked out of the lines' beginnings
(`{"jsonrpc":"2.0","id":N,`, as the server writes them) without decoding the rest; a line
that does not start so is decoded whole. A reader that decoded every answer (or read a line
at a time from an unbuffered pipe) set the pace before: 100,000 answers took 500 s.

Usage: flood.py BOSUN_BIN [N] [--max-rss-mb MB]
"""
import argparse
import fcntl
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import termios
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


def unread_in_pipe(fd):
    """Bytes written to the pipe that the other end has not read yet."""
    return struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"))[0]


def read_bytes(pid):
    """Bytes the server has read so far: the flood, and a few bytes a second of its timers."""
    try:
        with open(f"/proc/{pid}/io") as io:
            for line in io:
                if line.startswith("rchar:"):
                    return int(line.split()[1])
    except FileNotFoundError:
        pass
    return 0


def requests_in(size, count):
    """How many whole requests of the flood (ids 1, 2, …) the first `size` bytes hold."""
    requests, digits = 0, 1
    while requests < count:
        line = len(b'{"jsonrpc":"2.0","id":,"method":"status"}\n') + digits
        in_band = min(count, 10 ** digits - 1) - requests
        if size < in_band * line:
            return requests + size // line
        size -= in_band * line
        requests += in_band
        digits += 1
    return count


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
    answers = Answers(args.count)
    input_before = read_bytes(proc.pid)
    # Requests the server has read and the client has not yet read an answer to: in flight,
    # or answered and not yet written (bounded by the 4 MiB pause), or in the output pipe.
    most_outstanding = [0]

    def sample():
        while not sampling.is_set():
            peak[0] = max(peak[0], rss_kb(proc.pid))
            taken = requests_in(max(0, read_bytes(proc.pid) - input_before), args.count)
            most_outstanding[0] = max(most_outstanding[0], taken - answers.distinct)
            time.sleep(0.02)

    written = [0]

    def flood():
        stdin = proc.stdin.fileno()
        batch = 10_000
        for start in range(1, args.count + 1, batch):
            chunk = memoryview(b"".join(b'{"jsonrpc":"2.0","id":%d,"method":"status"}\n' % i
                                        for i in range(start, min(start + batch, args.count + 1))))
            while chunk:
                count = os.write(stdin, chunk[:1 << 16])
                written[0] += count
                chunk = chunk[count:]

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.monotonic()
    writer = threading.Thread(target=flood, daemon=True)
    writer.start()

    # Phase 1: nobody reads. Wait until the flood has not moved for 2 s (the server stopped
    # reading, and the pipe is full) or the whole flood went in. (The server's rchar is no
    # measure: its timers read a few bytes a second.)
    last, still_since = -1, time.monotonic()
    while writer.is_alive():
        progress = written[0]
        if progress != last:
            last, still_since = progress, time.monotonic()
        elif time.monotonic() - still_since > 2:
            break
        time.sleep(0.05)
    taken = written[0] - unread_in_pipe(proc.stdin.fileno())
    held_at = requests_in(taken, args.count)
    peak_unread = peak[0]
    rss_while_held = rss_kb(proc.pid)

    # Phase 2: read everything, then close the input and read to the end: nothing more may come.
    reading_started = time.monotonic()
    stdout = proc.stdout.fileno()
    while answers.distinct < args.count:
        chunk = os.read(stdout, 1 << 20)
        if not chunk:
            break
        answers.feed(chunk)
    all_answered = time.monotonic()
    writer.join()
    proc.stdin.close()
    while chunk := os.read(stdout, 1 << 20):
        answers.feed(chunk)
    answers.finish()
    ended = time.monotonic()
    sampling.set()
    sampler.join()

    peak_mb = peak[0] / 1024
    missing = args.count - answers.distinct
    ok = (missing == 0 and answers.duplicates == 0 and answers.unknown == 0 and peak_mb < args.max_rss_mb
          and held_at < args.count)
    print(f"flood of {args.count:,} pipelined status requests, client not reading: the server stopped reading "
          f"after about {held_at:,} requests (RSS then {rss_while_held / 1024:.1f} MB, peak until then "
          f"{peak_unread / 1024:.1f} MB); then read: "
          f"{answers.distinct:,} ids answered, {missing:,} missing, {answers.duplicates} answered twice, "
          f"{answers.unknown} unknown ids, {answers.other} other messages, at most {most_outstanding[0]:,} read by the "
          f"server and not yet answered to the client; all answered "
          f"{all_answered - started:.1f} s after the first request ({all_answered - reading_started:.1f} s of reading, "
          f"{answers.distinct / max(all_answered - reading_started, 1e-9):,.0f} answers/s), end of output after "
          f"{ended - started:.1f} s; RSS baseline {baseline / 1024:.1f} MB, peak over the whole run {peak_mb:.1f} MB "
          f"(limit {args.max_rss_mb:.0f} MB): {'ok' if ok else 'FAILED'}")
    return 0 if ok else 1


class Answers:
    """Counts the answers in newline-delimited output by id, in a bitmap of one byte per id."""

    START = re.compile(rb'\{"jsonrpc":"2\.0","id":(\d+),"(?:result|error)":')

    def __init__(self, count):
        self.count = count
        self.seen = bytearray(count + 1)
        self.distinct = self.duplicates = self.unknown = self.other = 0
        self.pending = b""

    def feed(self, chunk):
        data = self.pending + chunk
        end = data.rfind(b"\n") + 1
        self.pending = data[end:]
        for line in data[:end].splitlines():
            match = self.START.match(line)
            self.mark(int(match.group(1)) if match else self.decode(line))

    def finish(self):
        if self.pending.strip():
            self.mark(self.decode(self.pending))
        self.pending = b""

    def decode(self, line):
        """A line the fast path does not know, decoded whole: the integer id it answers, -1 for
        an answer to anything else (or no JSON), None for a message that is no answer."""
        try:
            message = json.loads(line)
        except ValueError:
            return -1
        if not isinstance(message, dict) or not ("result" in message or "error" in message):
            return None
        ident = message.get("id")
        return ident if type(ident) is int else -1

    def mark(self, ident):
        if ident is None:
            self.other += 1
        elif not 1 <= ident <= self.count:
            self.unknown += 1
        elif self.seen[ident]:
            self.duplicates += 1
        else:
            self.seen[ident] = 1
            self.distinct += 1


if __name__ == "__main__":
    sys.exit(main())
