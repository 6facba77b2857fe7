#!/usr/bin/env python3
"""A pathological regular expression against the server's responsiveness and deadlines.

Five workers at cap 5 call `search` for `(.*){12}!x` over 200 lines of 31 `a` and a `!`
(catastrophic for a backtracking engine) in a loop, with 3 s deadlines. Meanwhile `status`
is sent one request at a time; the script reports its latency (median, p99, max) and how
late each worker ended after its deadline. Issue 13 measured 43.4 s for one `status` and
workers 41.5 s late before search ran ripgrep as a killable child.
Usage: pathological_search_bench.py BOSUN_BIN
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

DEADLINE = 3.0
WORKERS = 5


def main():
    binary = sys.argv[1]
    scratch = tempfile.mkdtemp(prefix="bosun-bench-")
    workspace = os.path.join(scratch, "workspace")
    os.makedirs(workspace)
    with open(os.path.join(workspace, "pathological.txt"), "w") as out:
        out.write(("a" * 31 + "!\n") * 200)
    script = os.path.join(scratch, "script.yaml")
    with open(script, "w") as out:
        # One rule per turn, each search a little different: a repeated call ends a worker as stalled.
        out.write("rules:\n" + "".join(
            f'  - {{ match: {{ turn: {turn} }}, reply: {{ toolCalls: [ {{ name: search, input: {{ pattern: "(.*){{12}}!x", limit: {turn + 1} }} }} ] }} }}\n'
            for turn in range(2000)))
    mock = subprocess.Popen([binary, "mock-provider", "--port", "0", "--tool-steps", "0", "--script", script],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    port = int(mock.stdout.readline())
    config = os.path.join(scratch, "bosun.yaml")
    with open(config, "w") as out:
        out.write(f'providers:\n  mock: {{ kind: openai, baseURL: "http://127.0.0.1:{port}/v1" }}\n'
                  "models:\n  fast: { provider: mock, id: mock-fast, price: { input: 1, output: 5 } }\n"
                  "tiers: { orchestrator: fast, mid: fast, worker: fast }\n")
    env = dict(os.environ, XDG_STATE_HOME=os.path.join(scratch, "state"), XDG_CONFIG_HOME=os.path.join(scratch, "config"))
    serve = subprocess.Popen([binary, "serve", "--log-level", "error", "--config", config,
                              "--db", os.path.join(scratch, "trace.sqlite")], cwd=workspace, env=env,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, bufsize=0)
    answers = os.fdopen(serve.stdout.fileno(), "rb", buffering=1 << 20)
    next_id = [0]

    def call(method, params=None):
        next_id[0] += 1
        message = {"jsonrpc": "2.0", "id": next_id[0], "method": method}
        if params is not None:
            message["params"] = params
        serve.stdin.write((json.dumps(message) + "\n").encode())
        while True:
            answer = json.loads(answers.readline())
            if answer.get("id") == next_id[0]:
                return answer.get("result")

    try:
        call("initialize", {"rootUri": "file://" + workspace,
                            "initializationOptions": {"maxConcurrentWorkers": WORKERS, "events": "none"}})
        limits = {"timeoutSeconds": DEADLINE, "maxSteps": 100000, "maxTokens": 1000000000, "maxCostUSD": 1000}
        started = time.monotonic()
        ids = [call("spawn", {"task": f"Search {i}", "role": "researcher", "limits": limits})["id"] for i in range(WORKERS)]
        latencies = []
        while True:
            sent = time.perf_counter()
            status = call("status")
            latencies.append((time.perf_counter() - sent) * 1000)
            if not any(w["state"] in ("queued", "running") for w in status["workers"]):
                break
        ended = time.monotonic() - started
        finished = call("await", {"workers": ids, "timeoutSeconds": 120})["finished"]
        latencies.sort()
        states = sorted({w["state"] for w in finished})
        print(f"{WORKERS} workers, 3 s deadlines, pathological search in a loop: states {states}")
        print(f"status while they ran: {len(latencies)} answers, median {statistics.median(latencies):.2f} ms, "
              f"p99 {latencies[int(len(latencies) * 0.99) - 1]:.2f} ms, max {latencies[-1]:.2f} ms")
        print(f"the last ended {ended - DEADLINE:.2f} s after its deadline (measured from before the first spawn)")
    finally:
        serve.stdin.close()
        serve.wait(timeout=30)
        mock.kill()
        mock.wait()
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
