#!/usr/bin/env python3
"""bosun's offline demo: a real `bosun serve` fanning work out to workers that talk to the
built-in mock provider over loopback HTTP, with every step stored in a SQLite trace.

    python3 clients/examples/demo.py [--bosun PATH] [--keep DIR]

What it shows, in order: the initialize handshake; eight workers spawned at a cap of five
(three wait in the queue); live `worker/event` notifications; steering a running worker;
awaiting them all; a `verify` that fails, steers the worker with what failed and passes
on the second round; a `synthesize` that surfaces a conflict between two workers; an
`orchestrate` that plans a goal into three subtasks (two in parallel, one after both), runs,
checks and synthesizes them; the session status with usage and cost; and the trace CLI's
tree and self-contained HTML timeline of the run.
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
from bosun_client import BosunClient, Limits, Notification, OrchestrationEvent  # noqa: E402

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
SHOWN_EVENTS = {"started", "tool_call", "steered", "retry", "verify_round", "escalated", "succeeded", "failed", "cancelled", "timed_out", "interrupted"}


# What the mock provider answers for the verify and synthesize parts; everything else gets
# its synthetic replies. `$enum[N]` cites the N-th worker given to the synthesis.
SCRIPT = """\
rules:
  # The orchestrate step: its planner, its synthesizer, and its subtasks by their task.
  - match: { system: "bosun's planner" }
    reply:
      toolCalls:
        - name: submit_result
          input:
            subtasks:
              - { id: docs, role: researcher, brief: { task: "List the pages under docs/ with one line each" } }
              - { id: start, role: researcher, brief: { task: "Summarise the quick start in README.md" } }
              - { id: order, role: writer, brief: { task: "Recommend a reading order from both findings" }, after: [docs, start] }
  - match: { system: "bosun's synthesizer", lastMessage: "Answer this goal from the subtasks' results" }
    reply:
      toolCalls:
        - name: submit_result
          input:
            text: "Read README.md's quick start, then docs/workers.md, then the rest as needed."
            sources: [{ workerId: "$enum[2]", claim: "the reading order" }]
            conflicts: []
            gaps: []
  - match: { lastMessage: "Recommend a reading order from both findings" }
    reply: { toolCalls: [{ name: submit_result, input: { text: "Quick start first, then workers, then the rest." } }] }
  - match: { lastMessage: "List the pages under docs/ with one line each" }
    reply: { toolCalls: [{ name: submit_result, input: { text: "workers.md: workers; configuration.md: config; mcp.md: MCP." } }] }
  - match: { lastMessage: "Summarise the quick start in README.md" }
    reply: { toolCalls: [{ name: submit_result, input: { text: "Build, set a key, run bosun serve." } }] }
  # First: the synthesizer's brief quotes the workers' tasks, which the rules below match.
  - match: { system: "bosun's synthesizer" }
    reply:
      toolCalls:
        - name: submit_result
          input:
            text: "The release date is unresolved: the changelog says 3 March, the milestone 10 March."
            sources: [{ workerId: "$enum[0]", claim: "3 March (changelog)" }, { workerId: "$enum[1]", claim: "10 March (milestone)" }]
            conflicts: [{ topic: "release date", workers: ["$enum[0]", "$enum[1]"], summary: "3 March against 10 March" }]
            gaps: []
  - match: { lastMessage: "Verification of your result failed" }
    reply: { toolCalls: [{ name: submit_result, input: { status: green, failing: [] } }] }
  - match: { lastMessage: "Report the test status" }
    reply: { toolCalls: [{ name: submit_result, input: { status: red, failing: [] } }] }
  - match: { lastMessage: "release date (source A)" }
    reply: { toolCalls: [{ name: submit_result, input: { text: "The release is on 3 March, per the changelog." } }] }
  - match: { lastMessage: "release date (source B)" }
    reply: { toolCalls: [{ name: submit_result, input: { text: "The release is on 10 March, per the milestone." } }] }
"""

STATUS_SCHEMA = {"type": "object", "required": ["status", "failing"],
                 "properties": {"status": {"enum": ["green", "red"]}, "failing": {"type": "array", "items": {"type": "string"}}}}


def show_verify(client: BosunClient) -> None:
    """A worker reports red; the check wants green; verify steers it and checks again."""
    worker = client.request("spawn", {"task": "Report the test status", "output": {"schema": STATUS_SCHEMA}})
    say(f"▸ verify {worker['id']}: the check wants status green, feedback steer")
    check = {"kind": "schema", "schema": {"type": "object", "required": ["status"], "properties": {"status": {"const": "green"}}}}
    verified = client.request("verify", {"workerId": worker["id"], "checks": [check], "feedback": "steer"}, timeout=120)
    for r in verified["rounds"]:
        for c in r["checks"]:
            say(f"    round {r['round']} on {r['model']:<6} {c['kind']:<7} {'passed' if c['passed'] else 'FAILED'}  {c['summary']}")
    say(f"    → passed {verified['passed']}, worker verification {verified['worker']['verification']}")


def show_synthesize(client: BosunClient) -> None:
    """Two workers disagree; the synthesis names the conflict instead of picking a side."""
    a = client.request("spawn", {"task": "Find the release date (source A)"})
    b = client.request("spawn", {"task": "Find the release date (source B)"})
    say(f"▸ synthesize {a['id']} and {b['id']}")
    synthesis = client.request("synthesize", {"workers": [a["id"], b["id"]], "instruction": "Say when the release is."},
                               timeout=120)
    say(f"    {synthesis['id']} (role synthesizer): {synthesis['text']}")
    for conflict in synthesis["conflicts"]:
        say(f"    conflict {conflict['topic']!r} between {', '.join(conflict['workers'])}: {conflict['summary']}")


ORCHESTRATE_GOAL = "Tell a newcomer which of bosun's docs to read first"


def show_orchestrate(client: BosunClient, printed: threading.Lock) -> None:
    """One goal in: a plan of three subtasks (two side by side, one after both), each run on a
    worker of the session and checked, then one synthesis."""
    say(f"▸ orchestrate {ORCHESTRATE_GOAL!r}")

    def on_event(event: OrchestrationEvent) -> None:
        data = event.data if isinstance(event.data, dict) else {}
        if event.kind == "plan":
            detail = ", ".join(s["id"] + (" after " + "+".join(s["after"]) if s.get("after") else "")
                               for s in data["plan"]["subtasks"])
        elif event.kind == "subtask" and data.get("status") in ("passed", "abandoned"):
            detail = f"{data['subtask']} {data['status']} ({data.get('workerId')})"
        elif event.kind in ("started", "synthesis", "decision") or event.terminal:
            detail = data.get("reason") or ""
        else:
            return
        with printed:
            say(f"    orchestration {event.orchestration_id} #{event.seq:<3} {event.kind} {detail}".rstrip())

    result = client.orchestrate(ORCHESTRATE_GOAL, max_workers=4, on_event=on_event, timeout=180)
    passed = sum(1 for outcome in result.verification if outcome.status == "passed")
    say(f"    → {result.state}: {passed} of {len(result.verification)} subtasks passed, "
        f"{len(result.workers)} workers ({', '.join(w.role for w in result.workers)}), ${result.usage.cost_usd:.5f}")
    if result.synthesis:
        say(f"    synthesis {result.synthesis.id}: {result.synthesis.text}")


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

    script = os.path.join(workdir, "mock-script.yaml")
    with open(script, "w") as f:
        f.write(SCRIPT)
    mock = MockProvider(bosun, latency_ms=300, script=script)
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

        show_verify(client)
        show_synthesize(client)
        show_orchestrate(client, printed)

        status = client.status()
        usage = status.usage
        say(f"▸ status → {status.counts}, tokens in/out "
            f"{usage.input_tokens}/{usage.output_tokens}, cost ${usage.cost_usd:.5f}")
        code = client.close()
        say(f"▸ shutdown/exit → exit code {code}")

        # The demo keeps its own store: the commands say so with --db, as you would type them.
        shown_db = os.path.relpath(db) if not os.path.relpath(db).startswith("..") else db
        say(f"▸ bosun trace show {session.id} --db {shown_db}")
        subprocess.run([bosun, "trace", "show", session.id, "--db", db], check=True)
        page = os.path.join(workdir, "timeline.html")
        subprocess.run([bosun, "trace", "html", session.id, "--db", db, "-o", page], check=True)
        say(f"▸ timeline page: {page}")
        say(f"▸ look again with `bosun trace show {session.id} --db {shown_db}` or `bosun top --db {shown_db}`; "
            "without --db, bosun reads your own store, which does not have the demo's session")
        return 0
    finally:
        mock.stop()


if __name__ == "__main__":
    sys.exit(main())
