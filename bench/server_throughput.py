#!/usr/bin/env python3
"""Pipelined small JSON-RPC requests per second against `bosun serve`.

Sends N small requests back to back on one connection (after initialize) from one thread
while another reads the answers, and reports requests/s from the first byte sent to the
last answer read. Two kinds of request: `status` (through the session) and
`debug/sleep {"seconds": 0}` (the JSON-RPC layer alone: decode, dispatch, encode, write).
Usage: server_throughput.py BOSUN_BIN [N] [lsp|ndjson]
"""
import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time


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


class Reader:
    """Counts framed messages on the server's stdout."""

    def __init__(self, stream, framing):
        self.stream, self.framing = stream, framing

    def messages(self):
        buf = b""
        while True:
            chunk = self.stream.read(1 << 16)
            if not chunk:
                return
            buf += chunk
            while True:
                if self.framing == "ndjson":
                    nl = buf.find(b"\n")
                    if nl < 0:
                        break
                    body, buf = buf[:nl], buf[nl + 1:]
                else:
                    end = buf.find(b"\r\n\r\n")
                    if end < 0:
                        break
                    length = int(buf[16:end])
                    if len(buf) < end + 4 + length:
                        break
                    body, buf = buf[end + 4:end + 4 + length], buf[end + 4 + length:]
                yield body


REQUESTS = {
    "status": {"method": "status"},
    "debug/sleep 0": {"method": "debug/sleep", "params": {"seconds": 0}},
}


def run(binary, count, framing, request):
    proc = subprocess.Popen([binary, "serve", "--log-level", "error", "--debug-methods"], env=ENV, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, bufsize=0)
    reader = Reader(proc.stdout, framing).messages()
    proc.stdin.write(frame({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {}}, framing))
    next(reader)
    payload = b"".join(frame({"jsonrpc": "2.0", "id": i, **request}, framing) for i in range(1, count + 1))
    started = time.perf_counter()
    writer = threading.Thread(target=proc.stdin.write, args=(payload,))
    writer.start()
    seen = set()
    for body in reader:
        seen.add(json.loads(body)["id"])
        if len(seen) == count:
            break
    elapsed = time.perf_counter() - started
    writer.join()
    proc.stdin.close()
    proc.wait(timeout=30)
    assert seen == set(range(1, count + 1)), "missing answers"
    return count / elapsed


if __name__ == "__main__":
    binary = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 50_000
    framings = [sys.argv[3]] if len(sys.argv) > 3 else ["lsp", "ndjson"]
    for name, request in REQUESTS.items():
        for framing in framings:
            rates = sorted(run(binary, count, framing, request) for _ in range(3))
            print(f"{framing}: {count} pipelined {name} requests, median {rates[1]:,.0f} req/s "
                  f"(runs: {', '.join(f'{r:,.0f}' for r in rates)})")
