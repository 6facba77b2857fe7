#!/usr/bin/env python3
"""bosun's offline demo: a real `bosun serve` fanning work out to workers that talk to the
built-in mock provider over loopback HTTP, with every step stored in a SQLite trace.

    python3 clients/examples/demo.py [--bosun PATH] [--keep DIR]

What it shows, in order: the initialize handshake; eight workers spawned at a cap of five
(three wait in the queue); live `worker/event` notifications; steering a running worker;
awaiting them all; the session status with usage and cost; and the trace CLI's tree and
self-contained HTML timeline of the run.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "clients", "python"))

from bosun_client import BosunClient, Notification  # noqa: E402

TASKS = [
    ("researcher", "Find where the JSON-RPC framing is implemented and name its types"),
    ("researcher", "List the protocol methods the spec page marks as not yet implemented"),
    ("analyst", "Assess how the scheduler keeps the concurrency cap under cancellation"),
    ("writer", "Draft a two-sentence summary of what bosun is for"),
    ("transformer", "Turn the Makefile targets into a bullet list"),
    ("coder", "Propose a unit test for the SSE parser's CRLF handling"),
    ("worker", "Count the Swift modules under Sources/"),
    ("worker", "Name the files that document configuration"),
]

# The worker/event kinds the demo prints; model_call, text and tool_result are left out to
# keep the screen readable (`bosun trace show` lists them all afterwards).
SHOWN_EVENTS = {"started", "tool_call", "steered", "retry", "succeeded", "failed", "cancelled", "timed_out", "interrupted"}

CONFIG = """\
providers:
  mock: {{ kind: openai, baseURL: "http://127.0.0.1:{port}/v1" }}
models:
  fast:     {{ provider: mock, id: mock-fast,     price: {{ input: 1, output: 5 }} }}
  balanced: {{ provider: mock, id: mock-balanced, price: {{ input: 3, output: 15 }} }}
  smart:    {{ provider: mock, id: mock-smart,    price: {{ input: 5, output: 25 }} }}
tiers: {{ orchestrator: smart, mid: balanced, worker: fast }}
session: {{ maxConcurrentWorkers: 5, maxCostUSD: 5 }}
store: {{ path: "{db}" }}
"""


def say(text: str = "") -> None:
    print(text, flush=True)


def find_bosun(explicit: str | None) -> str:
    if explicit:
        return explicit
    for candidate in (os.path.join(REPO, ".build", "debug", "bosun"), os.path.join(REPO, ".build", "release", "bosun")):
        if os.access(candidate, os.X_OK):
            return candidate
    sys.exit("demo: no bosun binary; run `swift build` first or pass --bosun PATH")


def start_mock_provider(bosun: str) -> tuple[subprocess.Popen, int]:
    mock = subprocess.Popen([bosun, "mock-provider", "--port", "0", "--latency-ms", "300"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = mock.stdout.readline().strip()
    if not line.isdigit():
        mock.kill()
        sys.exit(f"demo: the mock provider did not print its port (got {line!r})")
    return mock, int(line)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bosun", help="path to the bosun binary (default: .build/debug/bosun)")
    parser.add_argument("--keep", help="directory for the config, trace database and timeline (default: a temp dir)")
    args = parser.parse_args()
    bosun = find_bosun(args.bosun)
    workdir = args.keep or tempfile.mkdtemp(prefix="bosun-demo-")
    os.makedirs(workdir, exist_ok=True)
    db = os.path.join(workdir, "trace.sqlite")

    mock, port = start_mock_provider(bosun)
    say(f"▸ mock provider listening on 127.0.0.1:{port} (OpenAI and Anthropic APIs, 300 ms per call)")
    config = os.path.join(workdir, "bosun.yaml")
    with open(config, "w") as f:
        f.write(CONFIG.format(port=port, db=db))

    printed = threading.Lock()
    started = threading.Event()

    def on_notification(note: Notification) -> None:
        if note.method != "worker/event":
            return
        p = note.params
        if p["kind"] == "started":
            started.set()
        if p["kind"] not in SHOWN_EVENTS:
            return
        detail = p.get("data", {}).get("tool") or p.get("data", {}).get("name") or ""
        with printed:
            say(f"    event  {p['workerId']:<14} #{p['seq']:<3} {p['kind']} {detail}".rstrip())

    try:
        # The demo's own config only: a user config under XDG_CONFIG_HOME stays out of it.
        client = BosunClient.start([bosun, "serve", "--config", config, "--db", db],
                                   env={"XDG_CONFIG_HOME": workdir}, cwd=REPO, on_notification=on_notification)
        info = client.initialize(root=REPO, events="all")
        session = info["session"]
        say(f"▸ initialize → {info['serverInfo']['name']} {info['serverInfo'].get('version', '')}, "
            f"session {session['id']}, cap {session['maxConcurrentWorkers']}")

        say(f"▸ spawning {len(TASKS)} workers at a cap of {session['maxConcurrentWorkers']}")
        workers = []
        for role, task in TASKS:
            w = client.request("spawn", {"task": task, "role": role, "inputs": ["README.md"],
                                         "limits": {"timeoutSeconds": 60, "maxSteps": 8}})
            position = f" (queue position {w['queuePosition']})" if w.get("queuePosition") is not None else ""
            with printed:
                say(f"    spawn  {w['id']:<14} {role:<11} {w['state']}{position}")
            workers.append(w)

        started.wait(timeout=10)
        running = next((w for w in workers if client.request("status", {"workerId": w["id"]})["state"] == "running"), None)
        if running:
            steer = client.request("steer", {"workerId": running["id"],
                                             "message": "Keep the answer under 50 words."})
            with printed:
                say(f"▸ steer  {steer['workerId']} → delivery {steer['delivery']}")

        done = client.request("await", {"mode": "all", "timeoutSeconds": 120}, timeout=130)
        say(f"▸ await → {len(done['finished'])} finished, {len(done['pending'])} pending")
        for w in done["finished"]:
            text = (w.get("result") or {}).get("text") or (w.get("error") or {}).get("message", "")
            say(f"    {w['id']:<14} {w['state']:<10} steps {w['steps']:<2} "
                f"${w['usage']['costUSD']:.5f}  {text[:60]!r}")

        status = client.request("status")
        usage = status["usage"]
        say(f"▸ status → {status['session']['counts']}, tokens in/out "
            f"{usage['inputTokens']}/{usage['outputTokens']}, cost ${usage['costUSD']:.5f}")
        code = client.close()
        say(f"▸ shutdown/exit → exit code {code}")

        say("▸ bosun trace show " + session["id"])
        subprocess.run([bosun, "trace", "show", session["id"], "--db", db], check=True)
        page = os.path.join(workdir, "timeline.html")
        subprocess.run([bosun, "trace", "html", session["id"], "--db", db, "-o", page], check=True)
        say(f"▸ timeline page: {page}")
        return 0
    finally:
        mock.terminate()
        mock.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
