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
import sys
import tempfile
import time

from bench_world import MockWorld

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
    world = MockWorld(binary, scratch, workspace, ["--tool-steps", "0", "--script", script])
    serve, answers = world.serve, world.answers
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
        world.close()
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
