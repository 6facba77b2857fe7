#!/usr/bin/env python3
"""Pipelined `status` requests against a session holding many finished workers.

Starts `bosun mock-provider` and `bosun serve` on a scratch workspace, config and store,
spawns N workers (one tool step each), awaits them, then sends 3,000 `status` requests
back to back and reports requests/s and the time per answer (about 35 KB each at N=100).
Usage: status_many_workers.py BOSUN_BIN [N]
"""
import json
import os
import shutil
import sys
import tempfile
import threading
import time

from bench_world import MockWorld

REQUESTS = 3000


def main():
    binary = sys.argv[1]
    workers = int(sys.argv[2]) if len(sys.argv) > 2 else 100
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
        for index in range(workers):
            send({"jsonrpc": "2.0", "id": 1000 + index, "method": "spawn", "params": {"task": f"Task {index}"}})
        for _ in range(workers):
            answer()
        send({"jsonrpc": "2.0", "id": 1, "method": "await", "params": {"timeoutSeconds": 120}})
        answer()
        send({"jsonrpc": "2.0", "id": 2, "method": "status"})
        size = len(json.dumps(answer()))
        payload = b"".join((json.dumps({"jsonrpc": "2.0", "id": 10_000 + i, "method": "status"}) + "\n").encode()
                           for i in range(REQUESTS))
        started = time.perf_counter()
        writer = threading.Thread(target=serve.stdin.write, args=(payload,))
        writer.start()
        for _ in range(REQUESTS):
            answers.readline()
        elapsed = time.perf_counter() - started
        writer.join()
        print(f"{workers} finished workers, {REQUESTS} pipelined status requests ({size:,} bytes each): "
              f"{REQUESTS / elapsed:,.0f} req/s, {elapsed / REQUESTS * 1000:.3f} ms each")
    finally:
        world.close()
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
