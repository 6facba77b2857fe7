#!/usr/bin/env python3
"""Pipelined `status` or `await` requests against a session holding many finished workers.

Starts `bosun mock-provider` and `bosun serve` on a scratch workspace, config and store,
spawns N workers (one tool step each), awaits them, then sends 3,000 requests back to back
and reports requests/s, the time per answer and the CPU time the server spent per answer
(all its threads, from /proc/PID/task/*/schedstat, which a loaded host moves far less than
the rate). The requests: `status` (the whole session, about 35 KB at N=100; answered from
the session's cache, since nothing changes), `worker` (`status {workerId}` of each worker in
turn, with its result; never cached) or `await` (every worker, each with its result; never
cached).
Usage: status_many_workers.py BOSUN_BIN [N] [status|worker|await]
"""
import json
import os
import shutil
import sys
import tempfile
import threading
import time

from bench_world import MockWorld, server_cpu_seconds

REQUESTS = 3000


def main():
    binary = sys.argv[1]
    workers = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    kind = sys.argv[3] if len(sys.argv) > 3 else "status"
    scratch = tempfile.mkdtemp(prefix="bosun-bench-")
    workspace = os.path.join(scratch, "workspace")
    os.makedirs(workspace)
    with open(os.path.join(workspace, "README.md"), "w") as readme:
        readme.write("# Bench\n")
    world = MockWorld(binary, scratch, workspace, ["--tool-steps", "1"])
    serve, answers = world.serve, world.answers

    def send(message):
        serve.stdin.write((json.dumps(message) + "\n").encode())

    def answer():
        while True:
            message = json.loads(answers.readline())
            if "id" in message:
                return message

    try:
        send({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "rootUri": "file://" + workspace,
            "initializationOptions": {"maxConcurrentWorkers": workers, "events": "none"}}})
        answer()
        ids = []
        for index in range(workers):
            send({"jsonrpc": "2.0", "id": 1000 + index, "method": "spawn", "params": {"task": f"Task {index}"}})
        for _ in range(workers):
            ids.append(answer()["result"]["id"])
        send({"jsonrpc": "2.0", "id": 1, "method": "await", "params": {"timeoutSeconds": 120}})
        answer()

        def request(number):
            message = {"jsonrpc": "2.0", "id": number, "method": "status"}
            if kind == "worker":
                message["params"] = {"workerId": ids[number % workers]}
            elif kind == "await":
                message.update(method="await", params={"timeoutSeconds": 0})
            return message

        send(request(2))
        size = len(json.dumps(answer()))
        payload = b"".join((json.dumps(request(10_000 + i)) + "\n").encode() for i in range(REQUESTS))
        cpu_before = server_cpu_seconds(serve.pid)
        started = time.perf_counter()
        writer = threading.Thread(target=serve.stdin.write, args=(payload,))
        writer.start()
        for _ in range(REQUESTS):
            answers.readline()
        elapsed = time.perf_counter() - started
        cpu = server_cpu_seconds(serve.pid) - cpu_before
        writer.join()
        print(f"{workers} finished workers, {REQUESTS} pipelined {kind} requests ({size:,} bytes each): "
              f"{REQUESTS / elapsed:,.0f} req/s, {elapsed / REQUESTS * 1000:.3f} ms each, "
              f"server CPU {cpu / REQUESTS * 1e6:.1f} us each")
    finally:
        world.close()
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
