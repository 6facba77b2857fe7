#!/usr/bin/env python3
"""Pipelined small JSON-RPC requests per second against `bosun serve`.

Sends N small requests back to back on one connection (after initialize) from one thread
while another reads the answers, and reports requests/s from the first byte sent to the
last answer read, with the CPU time the server spent per request (all its threads, from
/proc/PID/task/*/schedstat, so a loaded host moves it far less than the rate) and the
client's own. Two kinds of request: `status` (through the session) and
`debug/sleep {"seconds": 0}` (the JSON-RPC layer alone: decode, dispatch, encode, write).

The client must not be what limits the rate: the requests are built before the clock
starts and written in one call, and the answers are read in large blocks and checked with
one regular expression per block (every answer must be a result for an id that was sent,
and every id must be answered once), not parsed one by one.
Usage: server_throughput.py BOSUN_BIN [N] [lsp|ndjson] [status|sleep]
"""
import atexit
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time

from bench_world import server_cpu_seconds

# A scratch state and config directory: the runs create sessions, and they must not land in
# the user's own trace store or read the user's config.
SCRATCH = tempfile.mkdtemp(prefix="bosun-bench-")
atexit.register(shutil.rmtree, SCRATCH, ignore_errors=True)
ENV = dict(os.environ, XDG_STATE_HOME=os.path.join(SCRATCH, "state"), XDG_CONFIG_HOME=os.path.join(SCRATCH, "config"))

def frame(obj, framing):
    body = json.dumps(obj, separators=(",", ":")).encode()
    if framing == "ndjson":
        return body + b"\n"
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


# The start of every result the server writes; anything else (an error) fails the run.
RESULT = re.compile(rb'\{"jsonrpc":"2\.0","id":(\d+),"result":')


class Answers:
    """Reads the server's stdout in large blocks and checks the answers in each."""

    def __init__(self, fd, framing):
        self.fd, self.framing = fd, framing
        self.buffer = b""
        self.ids = bytearray()

    def first(self):
        """The first whole message (initialize's answer), parsed."""
        while True:
            if self.framing == "ndjson":
                nl = self.buffer.find(b"\n")
                if nl >= 0:
                    body, self.buffer = self.buffer[:nl], self.buffer[nl + 1:]
                    return json.loads(body)
            else:
                end = self.buffer.find(b"\r\n\r\n")
                if end >= 0:
                    length = int(self.buffer[16:end])
                    if len(self.buffer) >= end + 4 + length:
                        body = self.buffer[end + 4:end + 4 + length]
                        self.buffer = self.buffer[end + 4 + length:]
                        return json.loads(body)
            self.buffer += self.read()

    def read(self):
        chunk = os.read(self.fd, 1 << 20)
        if not chunk:
            raise SystemExit("the server closed its output early")
        return chunk

    def count(self, expected):
        """Reads until `expected` answers came; each id 1…expected must be answered once."""
        seen = bytearray(expected + 1)
        answered = 0
        marker = b"\n" if self.framing == "ndjson" else b"Content-Length:"
        while answered < expected:
            data = self.buffer + self.read()
            # Only whole messages are checked: up to the last newline (NDJSON) or the last
            # header (LSP, whose last body may be incomplete).
            cut = data.rfind(marker)
            if self.framing == "ndjson":
                cut += 1
            elif cut >= 0 and whole_lsp_message(data, cut):
                cut = len(data)
            if cut <= 0:
                self.buffer = data
                continue
            block, self.buffer = data[:cut], data[cut:]
            ids = RESULT.findall(block)
            messages = block.count(marker)
            if len(ids) != messages:
                raise SystemExit(f"an answer was not a result: {block[:300]!r}")
            for raw in ids:
                seen[int(raw)] += 1
            answered += messages
        if seen.count(1) != expected or seen[0] != 0:
            raise SystemExit("an id was answered twice or not at all")


def whole_lsp_message(data, start):
    """Whether the LSP message whose header starts at `start` ends with `data`."""
    end = data.find(b"\r\n\r\n", start)
    return end >= 0 and len(data) == end + 4 + int(data[start + 15:end])


def client_cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


REQUESTS = {
    "status": {"method": "status"},
    "sleep": {"method": "debug/sleep", "params": {"seconds": 0}},
}


def run(binary, count, framing, request):
    proc = subprocess.Popen([binary, "serve", "--log-level", "error", "--debug-methods"], env=ENV, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, bufsize=0)
    answers = Answers(proc.stdout.fileno(), framing)
    proc.stdin.write(frame({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {}}, framing))
    assert "result" in answers.first(), "initialize failed"
    payload = b"".join(frame({"jsonrpc": "2.0", "id": i, **request}, framing) for i in range(1, count + 1))
    server_before, client_before = server_cpu_seconds(proc.pid), client_cpu_seconds()
    started = time.perf_counter()
    writer = threading.Thread(target=proc.stdin.write, args=(payload,))
    writer.start()
    answers.count(count)
    elapsed = time.perf_counter() - started
    server_cpu = server_cpu_seconds(proc.pid) - server_before
    client_cpu = client_cpu_seconds() - client_before
    writer.join()
    proc.stdin.close()
    proc.wait(timeout=30)
    return count / elapsed, server_cpu / count * 1e6, client_cpu / count * 1e6


if __name__ == "__main__":
    binary = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 50_000
    framings = [sys.argv[3]] if len(sys.argv) > 3 else ["lsp", "ndjson"]
    kinds = [sys.argv[4]] if len(sys.argv) > 4 else list(REQUESTS)
    load = os.getloadavg()[0]
    for name in kinds:
        for framing in framings:
            runs = sorted(run(binary, count, framing, REQUESTS[name]) for _ in range(3))
            rate, server_us, client_us = runs[1]
            print(f"{framing}: {count} pipelined {name} requests, median {rate:,.0f} req/s "
                  f"(runs: {', '.join(f'{r[0]:,.0f}' for r in runs)}); server CPU {server_us:.2f} µs/request "
                  f"(runs: {', '.join(f'{r[1]:.2f}' for r in runs)}), client CPU {client_us:.2f} µs/request; "
                  f"load {load:.1f}")
