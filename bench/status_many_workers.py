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
import subprocess
import sys
import tempfile
import threading
import time

REQUESTS = 3000


def main():
    binary = sys.argv[1]
    workers = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    scratch = tempfile.mkdtemp(prefix="bosun-bench-")
    workspace = os.path.join(scratch, "workspace")
    os.makedirs(workspace)
    with open(os.path.join(workspace, "README.md"), "w") as readme:
        readme.write("# Bench\n")
    mock = subprocess.Popen([binary, "mock-provider", "--port", "0", "--tool-steps", "1"],
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
        serve.stdin.close()
        serve.wait(timeout=30)
        mock.kill()
        mock.wait()
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
