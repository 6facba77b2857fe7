#!/usr/bin/env python3
"""Orchestrate: one goal in. bosun plans it, runs the subtasks on workers (in parallel where
they do not depend on each other), checks each result, decides what to do about a failure,
and answers with one synthesis.

    python3 clients/examples/orchestrate.py [--bosun PATH] [--config PATH] [GOAL]

Without `--config` it runs offline on `bosun mock-provider`, with a script in which the
planner splits the goal into two research subtasks and a note written from both; the note
must name the feature (a files check), the first writer never manages that even when the
failed check is sent back, and the coordinator substitutes a sharper brief, which passes.
With `--config` it uses your models, in a temporary workspace.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from offline import MockProvider, find_bosun  # noqa: E402  (also puts the client on sys.path)
from bosun_client import BosunClient, OrchestrationEvent  # noqa: E402

GOAL = "Write NOTE.md, a short release note for bosun's orchestrate operation"

# The offline models, one rule per role or subtask (the first rule that matches answers).
MOCK_SCRIPT = """\
rules:
  - match: { system: "bosun's planner" }
    reply:
      toolCalls:
        - name: submit_result
          input:
            subtasks:
              - { id: features, role: researcher, brief: { task: "List what orchestrate does" } }
              - { id: limits, role: researcher, brief: { task: "List what orchestrate leaves to the client" } }
              - id: note
                role: coder
                brief: { task: "Write NOTE.md: a release note from the two lists", output: { format: markdown } }
                after: [features, limits]
                checks: [{ kind: files, exist: [NOTE.md], contains: { NOTE.md: "orchestrate" } }]
  - match: { system: "bosun's coordinator" }
    reply:
      toolCalls:
        - name: submit_result
          input:
            kind: substitute
            reason: "The note never names the feature, even after the failed check was sent back: the brief must say so."
            role: coder
            brief: { task: "Rewrite NOTE.md so that its first line names orchestrate" }
  - match: { system: "bosun's synthesizer" }
    reply:
      toolCalls:
        - name: submit_result
          input:
            text: "NOTE.md announces orchestrate: one goal in, a checked plan run by workers, one synthesis out; the client still chooses the roles and the budget."
            sources: [{ workerId: "$enum[0]", claim: "what it does" }, { workerId: "$enum[2]", claim: "the note" }]
            conflicts: []
            gaps: []
  - match: { lastMessage: "Rewrite NOTE.md so that", turn: 0 }
    reply: { toolCalls: [{ name: write_file, input: { path: NOTE.md, content: "# orchestrate\\n\\nOne goal in, one checked synthesis out.\\n" } }] }
  - match: { lastMessage: "Write NOTE.md: a release note", turn: 0 }
    reply: { toolCalls: [{ name: write_file, input: { path: NOTE.md, content: "# New\\n\\nA new way to run work.\\n" } }] }
  - match: { lastMessage: "Verification of your result failed" }
    reply: { toolCalls: [{ name: submit_result, input: { text: "NOTE.md is fine as it is." } }] }
  - match: { system: "You change code" }
    reply: { toolCalls: [{ name: submit_result, input: { text: "Wrote NOTE.md." } }] }
  # Last: the note's brief quotes the research subtasks, which these match.
  - match: { lastMessage: "List what orchestrate does" }
    reply: { toolCalls: [{ name: submit_result, input: { text: "It plans a goal, runs the subtasks, checks them, recovers and synthesizes." } }] }
  - match: { lastMessage: "List what orchestrate leaves to the client" }
    reply: { toolCalls: [{ name: submit_result, input: { text: "Which roles may run, the checks, and the budget." } }] }
"""


def describe(event: OrchestrationEvent) -> str:
    """One line per event: what moved, and why when bosun says."""
    data = event.data if isinstance(event.data, dict) else {}
    if event.kind == "plan":
        subtasks = data["plan"]["subtasks"]
        return "plan: " + ", ".join(s["id"] + (" after " + "+".join(s["after"]) if s.get("after") else "")
                                    for s in subtasks)
    if event.kind == "subtask":
        return f"subtask {data['subtask']} {data['status']}" + (f" on {data['workerId']}" if data.get("workerId") else "")
    if event.kind == "decision":
        return f"decision {data['kind']} {data['subtask']}: {data['reason']}"
    if event.kind == "replan" and "subtask" in data:
        return f"replan: {data['subtask']} runs again ({data['kind']}; {data['replans']} replan(s) so far)"
    if event.kind == "replan":
        return f"replan: the plan went back to the planner: {'; '.join(data.get('errors', []))}"
    if event.kind == "synthesis":
        return f"synthesis of {', '.join(data['workers'])}"
    return event.kind + (f": {data['reason']}" if data.get("reason") else "")


def run(client: BosunClient, goal: str, workspace: str) -> int:
    info = client.initialize(root=workspace)
    if not info.supports("orchestrate"):
        print(f"this bosun ({info.server_version}) does not implement orchestrate yet", file=sys.stderr)
        return 2
    result = client.orchestrate(goal, max_workers=5, max_replans=2, max_cost_usd=1,
                                on_event=lambda event: print(f"  #{event.seq:<3} {describe(event)}", flush=True))
    print(f"{result.id} {result.state}: {len(result.workers)} workers, {len(result.decisions)} decision(s), "
          f"${result.usage.cost_usd:.4f}")
    for outcome in result.verification:
        print(f"  {outcome.subtask:<9} {outcome.status:<9} checks {outcome.verification:<10} "
              f"attempts {', '.join(outcome.attempts)}")
    for decision in result.decisions:
        print(f"  decided {decision.kind} on {decision.subtask}: {decision.reason}")
    if result.synthesis is None:
        print(f"no synthesis: {result.reason}", file=sys.stderr)
        return 1
    print("\nSYNTHESIS\n" + result.synthesis.text)
    for gap in result.synthesis.gaps:
        print(f"gap: {gap}")
    note = os.path.join(workspace, "NOTE.md")
    if os.path.exists(note):
        with open(note) as f:
            print("\nNOTE.md\n" + f.read().rstrip())
    return 0 if result.state == "succeeded" else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("goal", nargs="?", default=GOAL)
    parser.add_argument("--bosun", help="path to the bosun binary")
    parser.add_argument("--config", help="a bosun config with your models (default: offline, on the mock provider)")
    args = parser.parse_args()
    bosun = find_bosun(args.bosun, "orchestrate")
    with tempfile.TemporaryDirectory(prefix="bosun-orchestrate-") as workdir:
        workspace = os.path.join(workdir, "workspace")
        os.mkdir(workspace)
        if args.config:
            with BosunClient.start([bosun, "serve", "--config", args.config]) as client:
                return run(client, args.goal, workspace)
        script = os.path.join(workdir, "mock.yaml")
        with open(script, "w") as f:
            f.write(MOCK_SCRIPT)
        with MockProvider(bosun, latency_ms=100, script=script) as mock:
            config, db = mock.write_config(workdir)
            with BosunClient.start([bosun, "serve", "--config", config, "--db", db],
                                   env={"XDG_CONFIG_HOME": workdir}) as client:
                return run(client, args.goal, workspace)


if __name__ == "__main__":
    sys.exit(main())
