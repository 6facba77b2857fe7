#!/usr/bin/env python3
"""A verify loop: a worker writes a file, deterministic checks judge it, and each failure
goes back to the worker as a steer until the checks pass or the rounds run out.

    python3 clients/examples/verify_loop.py [--bosun PATH] [--config PATH]

Without `--config` it runs offline on `bosun mock-provider`, with a script that makes the
model forget the file on its first try and write it once the failed check is sent back: so
the first round fails and the second passes. With `--config` it uses your models, in a
temporary workspace.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from offline import MockProvider, find_bosun  # noqa: E402  (also puts the client on sys.path)
from bosun_client import BosunClient, Limits  # noqa: E402

TASK = "Write greeting.txt with one line that says hello to the team"

CHECKS = [
    {"kind": "files", "exist": ["greeting.txt"]},
    {"kind": "command", "command": ["grep", "-qi", "hello", "greeting.txt"]},
]

# The offline model: it submits without writing the file at first; once a steer arrives
# (the verifier's report of the failed checks), it writes the file and submits again.
MOCK_SCRIPT = """\
rules:
  - match: { lastMessageRegex: "(?s)greeting\\\\.txt.*(fail|missing|exist)|(fail|missing|exist).*greeting\\\\.txt" }
    reply:
      toolCalls:
        - { name: write_file, input: { path: greeting.txt, content: "Hello, team!\\n" } }
  - match: { lastMessage: "greeting.txt" }
    reply:
      toolCalls:
        - { name: submit_result, input: { text: "Done." } }
"""


def run(client: BosunClient, workspace: str) -> int:
    info = client.initialize(root=workspace)
    if not info.supports("verify"):
        print(f"this bosun ({info.server_version}) does not implement verify yet", file=sys.stderr)
        return 2
    worker = client.spawn(TASK, role="coder", limits=Limits(max_steps=10), wait=True)
    print(f"{worker.id} {worker.state}: {worker.result.text if worker.result else worker.error.message}")
    verdict = client.verify(worker.id, CHECKS, feedback="steer", max_rounds=3)
    for round_ in verdict.rounds:
        print(f"round {round_.round}:")
        for check in round_.checks:
            print(f"  {'pass' if check.passed else 'FAIL'} {check.kind:<8} {check.summary}")
    print(f"{'passed' if verdict.passed else 'failed'} after {len(verdict.rounds)} round(s); "
          f"the worker took {verdict.worker.steps} steps, ${verdict.worker.usage.cost_usd:.4f}")
    return 0 if verdict.passed else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bosun", help="path to the bosun binary")
    parser.add_argument("--config", help="a bosun config with your models (default: offline, on the mock provider)")
    args = parser.parse_args()
    bosun = find_bosun(args.bosun, "verify_loop")
    with tempfile.TemporaryDirectory(prefix="bosun-verify-") as workdir:
        workspace = os.path.join(workdir, "workspace")
        os.mkdir(workspace)
        if args.config:
            with BosunClient.start([bosun, "serve", "--config", args.config]) as client:
                return run(client, workspace)
        script = os.path.join(workdir, "mock.yaml")
        with open(script, "w") as f:
            f.write(MOCK_SCRIPT)
        with MockProvider(bosun, latency_ms=100, script=script) as mock:
            config, db = mock.write_config(workdir)
            with BosunClient.start([bosun, "serve", "--config", config, "--db", db],
                                   env={"XDG_CONFIG_HOME": workdir}) as client:
                return run(client, workspace)


if __name__ == "__main__":
    sys.exit(main())
