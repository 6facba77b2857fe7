#!/usr/bin/env python3
"""bosun's MCP mode against the official MCP Python SDK's server, in one run.

Two measures, each taken alternately from both servers so a busy host slows both alike:
- process start → first answer: the client writes `initialize` (2025-11-25) or
  `server/discover` (2026-07-28, which has no handshake) as soon as the process exists and
  times the answer from just before the spawn (median of --starts);
- pipelined `tools/call status`: after the handshake, one thread writes N calls back to
  back while another reads the answers; calls/s from the first byte written to the last
  answer read (median of --runs). In 2026-07-28 every call carries its `_meta`.
`--era` picks the protocol era both servers are spoken to in.

The peer is bench/mcp_peer_server.py (`status` returns a session summary like bosun's),
run with the Python that has the SDK installed (--peer-python, default the repository's
.venv, which `make test` builds with the SDK).
Usage: mcp_compare.py BOSUN_BIN [--era 2025-11-25|2026-07-28] [--calls N] [--peer-calls N] [--runs R] [--starts S]
"""
import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
INITIALIZE = {"jsonrpc": "2.0", "id": 0, "method": "initialize",
              "params": {"protocolVersion": "2025-11-25", "capabilities": {},
                         "clientInfo": {"name": "mcp_compare", "version": "1"}}}
INITIALIZED = {"jsonrpc": "2.0", "method": "notifications/initialized"}
MODERN = "2026-07-28"
META = {"io.modelcontextprotocol/protocolVersion": MODERN, "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": {"name": "mcp_compare", "version": "1"}}
DISCOVER = {"jsonrpc": "2.0", "id": 0, "method": "server/discover", "params": {"_meta": META}}


def status_call(request_id, era):
    params = {"name": "status", "arguments": {}}
    if era == MODERN:
        params["_meta"] = META
    return {"jsonrpc": "2.0", "id": request_id, "method": "tools/call", "params": params}


def line(message) -> bytes:
    return json.dumps(message, separators=(",", ":")).encode() + b"\n"


def start(command, env, cwd, era):
    """Starts a server and times its first answer (`initialize`, or `server/discover` in
    2026-07-28) from just before the spawn."""
    began = time.perf_counter()
    proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            bufsize=0, env=env, cwd=cwd)
    proc.stdin.write(line(DISCOVER if era == MODERN else INITIALIZE))
    answer = proc.stdout.readline()
    elapsed = time.perf_counter() - began
    assert (b'"supportedVersions"' if era == MODERN else b'"protocolVersion"') in answer, answer[:300]
    return proc, elapsed


def pipelined(proc, calls: int, era) -> float:
    """Calls/s for `calls` pipelined `tools/call status` on an initialized connection."""
    if era != MODERN:
        proc.stdin.write(line(INITIALIZED))
    # One call first: the session opens on `initialized`, and the tool list may be loaded lazily.
    proc.stdin.write(line(status_call("warm", era)))
    warm = proc.stdout.readline()
    assert b'"result"' in warm and b'"isError":true' not in warm.replace(b" ", b""), warm[:300]
    payload = b"".join(line(status_call(i, era)) for i in range(calls))
    seen = 0
    errors = 0

    def read():
        nonlocal seen, errors
        buffer = b""
        while seen < calls:
            chunk = proc.stdout.read1(1 << 20) if hasattr(proc.stdout, "read1") else os.read(proc.stdout.fileno(), 1 << 20)
            if not chunk:
                return
            buffer += chunk
            complete = buffer.rfind(b"\n")
            if complete < 0:
                continue
            block, buffer = buffer[:complete + 1], buffer[complete + 1:]
            seen += block.count(b"\n")
            errors += block.count(b'"error"')

    reader = threading.Thread(target=read)
    began = time.perf_counter()
    reader.start()
    proc.stdin.write(payload)
    reader.join()
    elapsed = time.perf_counter() - began
    assert seen == calls and errors == 0, (seen, errors)
    return calls / elapsed


def stop(proc):
    proc.stdin.close()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("bosun")
    parser.add_argument("--era", choices=["2025-11-25", MODERN], default="2025-11-25")
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--peer-calls", type=int, default=3_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--starts", type=int, default=15)
    parser.add_argument("--peer-python", default=str(ROOT / ".venv" / "bin" / "python"))
    args = parser.parse_args()

    scratch = tempfile.mkdtemp(prefix="bosun-mcp-bench-")
    env = dict(os.environ, XDG_STATE_HOME=os.path.join(scratch, "state"), XDG_CONFIG_HOME=os.path.join(scratch, "config"))
    bosun = [os.path.abspath(args.bosun), "serve", "--db", os.path.join(scratch, "trace.sqlite")]
    peer = [args.peer_python, str(ROOT / "bench" / "mcp_peer_server.py")]
    version = subprocess.run([args.peer_python, "-c", "import importlib.metadata as m; print(m.version('mcp'))"],
                             capture_output=True, text=True, check=True).stdout.strip()

    starts = {"bosun": [], "peer": []}
    for _ in range(args.starts):
        for name, command in (("bosun", bosun), ("peer", peer)):
            proc, elapsed = start(command, env, scratch, args.era)
            starts[name].append(elapsed)
            stop(proc)
    rates = {"bosun": [], "peer": []}
    for _ in range(args.runs):
        for name, command, calls in (("bosun", bosun, args.calls), ("peer", peer, args.peer_calls)):
            proc, _ = start(command, env, scratch, args.era)
            rates[name].append(pipelined(proc, calls, args.era))
            stop(proc)

    start_ms = {name: statistics.median(values) * 1000 for name, values in starts.items()}
    rate = {name: statistics.median(values) for name, values in rates.items()}
    print(f"# bosun MCP mode against the MCP Python SDK {version} server, MCP {args.era},"
          f" {time.strftime('%Y-%m-%d %H:%M')} UTC, load {os.getloadavg()[0]:.1f}")
    print("| measure | bosun | SDK server | bosun's advantage |")
    print("|---|---|---|---|")
    first = "server/discover" if args.era == MODERN else "initialize"
    print(f"| process start → {first} answer (median of {args.starts}) | {start_ms['bosun']:.1f} ms |"
          f" {start_ms['peer']:.0f} ms | {start_ms['peer'] / start_ms['bosun']:.0f}× sooner |")
    print(f"| pipelined tools/call status (median of {args.runs}; {args.calls:,} / {args.peer_calls:,} calls) |"
          f" {rate['bosun']:,.0f} calls/s | {rate['peer']:,.0f} calls/s | {rate['bosun'] / rate['peer']:.0f}× |")
    print("runs:", json.dumps({"start_ms": {k: [round(v * 1000, 1) for v in vs] for k, vs in starts.items()},
                               "calls_per_s": {k: [round(v) for v in vs] for k, vs in rates.items()}}))


if __name__ == "__main__":
    sys.exit(main())
