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

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from offline import REPO, MockProvider, find_bosun  # noqa: E402  (also puts the client on sys.path)
from bosun_client import BosunClient, Limits, Notification  # noqa: E402

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


def say(text: str = "") -> None:
    print(text, flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bosun", help="path to the bosun binary (default: .build/debug/bosun)")
    parser.add_argument("--keep", help="directory for the config, trace database and timeline (default: a temp dir)")
    args = parser.parse_args()
    bosun = find_bosun(args.bosun, "demo")
    workdir = args.keep or tempfile.mkdtemp(prefix="bosun-demo-")
    os.makedirs(workdir, exist_ok=True)

    mock = MockProvider(bosun, latency_ms=300)
    say(f"▸ mock provider listening on 127.0.0.1:{mock.port} (OpenAI and Anthropic APIs, 300 ms per call)")
    config, db = mock.write_config(workdir)

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
        session = info.session
        say(f"▸ initialize → {info.server_name} {info.server_version}, "
            f"session {session.id}, cap {session.max_concurrent_workers}")

        say(f"▸ spawning {len(TASKS)} workers at a cap of {session.max_concurrent_workers}")
        workers = []
        for role, task in TASKS:
            w = client.spawn(task, role=role, inputs=["README.md"], limits=Limits(timeout_seconds=60, max_steps=8))
            position = f" (queue position {w.queue_position})" if w.queue_position is not None else ""
            with printed:
                say(f"    spawn  {w.id:<14} {role:<11} {w.state}{position}")
            workers.append(w)

        started.wait(timeout=10)
        running = next((w for w in workers if client.status(w.id).state == "running"), None)
        if running:
            steer = client.steer(running.id, "Keep the answer under 50 words.")
            with printed:
                say(f"▸ steer  {steer.worker_id} → delivery {steer.delivery}")

        done = client.await_workers(mode="all", timeout_seconds=120)
        say(f"▸ await → {len(done.finished)} finished, {len(done.pending)} pending")
        for w in done.finished:
            text = w.result.text if w.result else (w.error.message if w.error else "")
            say(f"    {w.id:<14} {w.state:<10} steps {w.steps:<2} ${w.usage.cost_usd:.5f}  {text[:60]!r}")

        status = client.status()
        usage = status.usage
        say(f"▸ status → {status.counts}, tokens in/out "
            f"{usage.input_tokens}/{usage.output_tokens}, cost ${usage.cost_usd:.5f}")
        code = client.close()
        say(f"▸ shutdown/exit → exit code {code}")

        say("▸ bosun trace show " + session.id)
        subprocess.run([bosun, "trace", "show", session.id, "--db", db], check=True)
        page = os.path.join(workdir, "timeline.html")
        subprocess.run([bosun, "trace", "html", session.id, "--db", db, "-o", page], check=True)
        say(f"▸ timeline page: {page}")
        return 0
    finally:
        mock.stop()


if __name__ == "__main__":
    sys.exit(main())
