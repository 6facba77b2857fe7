#!/usr/bin/env python3
"""What a worker pays to call an MCP tool, over the tool's own time.

A worker (on `bosun mock-provider`, answering at once) calls the tool `mcp__bench__echo`
--steps times, then submits. The server is a minimal stdio MCP server written here (plain
newline-delimited JSON, so its own protocol costs little), which times each call from the
moment it read the request to the moment before it writes the answer, and returns that
time. From the trace of the worker, for each call:
- bosun's call: `data.mcp.durationMs` of the tool_result (bosun's clock around the call:
  the pool, the pipe both ways, the server, the result turned into text) minus the
  server's own time;
- the step: from the tool_call event to the tool_result event (ms resolution), what the
  worker loop adds around the call (events, stall check, the store).
Reports medians and p90 over every call of --runs workers.
Usage: mcp_client_bench.py BOSUN_BIN [--steps N] [--runs R]
"""
import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "clients" / "python"))
from bosun_client import BosunClient  # noqa: E402

SERVER = r'''
import json, sys, time
out = sys.stdout
for raw in sys.stdin:
    began = time.perf_counter()
    message = json.loads(raw)
    method, ident = message.get("method"), message.get("id")
    if ident is None:
        continue
    if method == "initialize":
        result = {"protocolVersion": "2025-11-25", "capabilities": {"tools": {}}, "serverInfo": {"name": "bench", "version": "1"}}
    elif method == "tools/list":
        result = {"tools": [{"name": "echo", "description": "Echoes n.", "inputSchema": {"type": "object", "properties": {"n": {"type": "integer"}}}}]}
    else:
        n = message["params"]["arguments"].get("n")
        own = (time.perf_counter() - began) * 1e6
        result = {"content": [{"type": "text", "text": "n=%s own_us=%.1f" % (n, own)}]}
    text = json.dumps({"jsonrpc": "2.0", "id": ident, "result": result})
    if method == "tools/call":  # the time to write the answer counts as the server's too
        own = (time.perf_counter() - began) * 1e6
        result["content"][0]["text"] = "n=%s own_us=%.1f" % (n, own)
        text = json.dumps({"jsonrpc": "2.0", "id": ident, "result": result})
    out.write(text + "\n")
    out.flush()
'''


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("bosun")
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    bosun = os.path.abspath(args.bosun)
    scratch = pathlib.Path(tempfile.mkdtemp(prefix="bosun-mcp-client-bench-"))
    (scratch / "workspace").mkdir()
    (scratch / "server.py").write_text(SERVER)
    rules = [f'  - {{ match: {{ turn: {i} }}, reply: {{ toolCalls: [{{ name: mcp__bench__echo, input: {{ n: {i} }} }}] }} }}'
             for i in range(args.steps)]
    rules.append(f'  - {{ match: {{ turn: {args.steps} }}, reply: {{ toolCalls: [{{ name: submit_result, input: {{ text: done }} }}] }} }}')
    (scratch / "mock.yaml").write_text("rules:\n" + "\n".join(rules) + "\n")
    env = dict(os.environ, XDG_STATE_HOME=str(scratch / "state"), XDG_CONFIG_HOME=str(scratch / "config"))
    mock = subprocess.Popen([bosun, "mock-provider", "--port", "0", "--script", str(scratch / "mock.yaml")],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    port = int(mock.stdout.readline())
    (scratch / "bosun.yaml").write_text(f"""providers:
  mock: {{ kind: openai, baseURL: "http://127.0.0.1:{port}/v1" }}
models:
  fast: {{ provider: mock, id: mock-fast, price: {{ input: 1, output: 5 }} }}
tiers: {{ orchestrator: fast, mid: fast, worker: fast }}
store: {{ path: "{scratch / 'trace.sqlite'}" }}
mcpServers:
  bench: {{ command: "{sys.executable}", args: ["{scratch / 'server.py'}"] }}
roles:
  caller: {{ model: fast, tools: ["mcp__bench__*"], maxSteps: {args.steps + 5}, stallRepeats: 0 }}
""")
    calls, steps = [], []
    try:
        client = BosunClient.start([bosun, "serve", "--config", str(scratch / "bosun.yaml")], cwd=str(scratch / "workspace"), env=env)
        with client:
            client.initialize(str(scratch / "workspace"))
            for _ in range(args.runs):
                worker = client.spawn("Call the echo tool", role="caller", wait=True)
                assert worker.state == "succeeded", worker.error
                events = client.trace(worker.id)
                started = {e.data["id"]: e for e in events if e.kind == "tool_call"}
                for result in (e for e in events if e.kind == "tool_result"):
                    own_ms = float(result.data["text"].split("own_us=")[1]) / 1000
                    calls.append(result.data["mcp"]["durationMs"] - own_ms)
                    steps.append((result.at - started[result.data["id"]].at).total_seconds() * 1000)
    finally:
        mock.terminate()
        mock.wait(timeout=10)

    def p90(values):
        return statistics.quantiles(values, n=10)[-1]

    print(f"# a worker step calling an MCP tool, {len(calls)} calls ({args.runs} workers x {args.steps}),"
          f" {time.strftime('%Y-%m-%d %H:%M')} UTC, load {os.getloadavg()[0]:.1f}")
    print("| measure | median | p90 |")
    print("|---|---|---|")
    print(f"| bosun's call: durationMs minus the server's own time | {statistics.median(calls):.3f} ms | {p90(calls):.3f} ms |")
    print(f"| the step: tool_call event to tool_result event | {statistics.median(steps):.1f} ms | {p90(steps):.1f} ms |")


if __name__ == "__main__":
    sys.exit(main())
