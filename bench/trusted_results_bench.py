#!/usr/bin/env python3
"""What trusted results cost, in model calls, against `bosun mock-provider`: a trivial goal
(the planner answers it itself), a one-part goal (one worker, no synthesizer), a three-part
goal verified by default (an evaluator per subtask without a deterministic check), the same
with files checks (no evaluators), and with `verify: false`; and the share of subtasks
verified in each.

    python3 bench/trusted_results_bench.py [--bosun PATH]

Prints a Markdown table (bench/RESULTS.md keeps it). The mock answers at once (no tool
steps), so each worker's model calls are the fewest it can make: the figures count the
calls bosun's orchestration itself adds.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "clients", "python"))

from bosun_client import BosunClient  # noqa: E402

THREE_PARTS = """{ subtasks: [
    { id: a, role: researcher, brief: { task: "Find fact A" }%(a)s },
    { id: b, role: researcher, brief: { task: "Find fact B" }%(b)s },
    { id: c, role: writer, brief: { task: "Combine the facts" }, after: [a, b]%(c)s } ] }"""

WORKERS = """
  - match: { system: "bosun's synthesizer" }
    reply: { toolCalls: [{ name: submit_result, input: { text: "A is 1 and B is 2.", sources: [], conflicts: [], gaps: [] } }] }
  - match: { system: "You gather facts", lastMessage: "Find fact A" }
    reply: { toolCalls: [{ name: submit_result, input: { text: "A is 1", sources: [a.md] } }] }
  - match: { system: "You gather facts", lastMessage: "Find fact B" }
    reply: { toolCalls: [{ name: submit_result, input: { text: "B is 2", sources: [b.md] } }] }
  - match: { system: "You write.", lastMessage: "Combine the facts" }
    reply: { toolCalls: [{ name: submit_result, input: { text: "A is 1 and B is 2." } }] }
  - match: { system: "You are a worker in bosun", lastMessage: "Say what a.md holds" }
    reply: { toolCalls: [{ name: submit_result, input: { text: "A is 1", sources: [a.md] } }] }
"""


def planner(plan: str) -> str:
    return f"""rules:
  - match: {{ system: "bosun's planner" }}
    reply: {{ toolCalls: [{{ name: submit_result, input: {plan} }}] }}
{WORKERS}"""


FILES = ", checks: [{ kind: files, exist: [%s] }]"
CASES = [
    ("trivial goal (the planner answers)", "What is 2 + 2?", planner('{ answer: "4", subtasks: [] }'), {}),
    ("one-part goal (one worker, no synthesizer)", "Say what a.md holds",
     planner('{ subtasks: [{ id: a, role: worker, brief: { task: "Say what a.md holds" }, checks: [{ kind: files, exist: [a.md] }] }] }'), {}),
    ("three-part goal, verified by default", "Find A and B and combine them",
     planner(THREE_PARTS % {"a": "", "b": "", "c": ""}), {}),
    ("three-part goal with files checks", "Find A and B and combine them",
     planner(THREE_PARTS % {"a": FILES % "a.md", "b": FILES % "b.md", "c": FILES % "a.md"}), {}),
    ("three-part goal, verify: false", "Find A and B and combine them",
     planner(THREE_PARTS % {"a": "", "b": "", "c": ""}), {"verify": False}),
]


def run_case(bosun: str, goal: str, script: str, extra: dict) -> tuple[int, str, object]:
    scratch = tempfile.mkdtemp(prefix="bosun-trust-bench-")
    try:
        workspace = os.path.join(scratch, "workspace")
        os.makedirs(workspace)
        for name, text in (("a.md", "A is 1\n"), ("b.md", "B is 2\n")):
            with open(os.path.join(workspace, name), "w") as out:
                out.write(text)
        script_path = os.path.join(scratch, "script.yaml")
        with open(script_path, "w") as out:
            out.write(script)
        mock = subprocess.Popen([bosun, "mock-provider", "--port", "0", "--tool-steps", "0", "--script", script_path],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        port = int(mock.stdout.readline())
        config = os.path.join(scratch, "bosun.yaml")
        with open(config, "w") as out:
            out.write(f'providers:\n  mock: {{ kind: openai, baseURL: "http://127.0.0.1:{port}/v1" }}\n'
                      "models:\n  fast: { provider: mock, id: mock-fast, price: { input: 1, output: 5 } }\n"
                      "tiers: { orchestrator: fast, mid: fast, worker: fast }\n")
        env = {"XDG_STATE_HOME": os.path.join(scratch, "state"), "XDG_CONFIG_HOME": os.path.join(scratch, "config")}
        try:
            with BosunClient.start([bosun, "serve", "--config", config, "--db", os.path.join(scratch, "t.sqlite")],
                                   cwd=workspace, env=env) as client:
                client.initialize(root=workspace)
                result = client.orchestrate(goal, verify=extra.get("verify"), timeout=120)
                events = client.request("trace", {"limit": 10000})["events"]
        finally:
            mock.kill()
            mock.wait()
        calls = sum(1 for e in events if e["kind"] == "model_call")
        roles = ", ".join(w.role for w in result.workers) or "(none)"
        return calls, f"{result.state}; workers: {roles}", result.verified
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bosun", default=os.path.join(REPO, ".build", "debug", "bosun"))
    args = parser.parse_args()
    print("| goal | model calls | subtasks verified | outcome |")
    print("|---|---|---|---|")
    for name, goal, script, extra in CASES:
        calls, outcome, verified = run_case(args.bosun, goal, script, extra)
        if verified is None or verified.passed == 0:
            share = "no subtasks"
        else:
            share = f"{verified.verified} of {verified.passed} ({verified.share:.0%})"
            if verified.opted_out:
                share += ", opted out"
        print(f"| {name} | {calls} | {share} | {outcome} |")


if __name__ == "__main__":
    main()
