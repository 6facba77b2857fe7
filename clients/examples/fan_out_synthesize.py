#!/usr/bin/env python3
"""Fan out, then synthesize: several workers each answer one part of a question, and
`synthesize` merges their results into one answer that names where they disagree.

    python3 clients/examples/fan_out_synthesize.py [--bosun PATH] [--config PATH] [QUESTION]

Without `--config` it runs offline on `bosun mock-provider` (the answers are then
synthetic, but every call is real). With `--config` it uses your models; the workspace is
the current directory.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from offline import MockProvider, find_bosun  # noqa: E402  (also puts the client on sys.path)
from bosun_client import BosunClient, Limits  # noqa: E402

QUESTION = "How does this project make sure that a finished worker's result is never lost?"

# One worker per angle on the question: each gets a bounded brief of its own.
ANGLES = [
    ("researcher", "Find where finished results are written to storage, and in which order relative to telling the client"),
    ("researcher", "Find what happens to running workers when the server is killed and restarted"),
    ("analyst", "Assess which failure could still lose an acknowledged result, if any"),
]


def run(client: BosunClient, question: str, workspace: str) -> int:
    info = client.initialize(root=workspace)
    if not info.supports("synthesize"):
        print(f"this bosun ({info.server_version}) does not implement synthesize yet", file=sys.stderr)
        return 2
    workers = [client.spawn(task, role=role, scope=f"Part of answering: {question}", inputs=["."],
                            limits=Limits(max_steps=12)) for role, task in ANGLES]
    print(f"fanned out {len(workers)} workers: {', '.join(w.id for w in workers)}")

    # Follow the first worker live; the others run meanwhile, up to the session's cap.
    for event in client.events(workers[0].id):
        print(f"  {event.worker_id} #{event.seq} {event.kind}")
    done = client.await_workers([w.id for w in workers])
    for worker in done.finished:
        outcome = worker.result.text if worker.result else f"{worker.error.code}: {worker.error.message}"
        print(f"{worker.id} {worker.state:<10} {worker.steps} steps ${worker.usage.cost_usd:.4f}  {outcome[:70]!r}")

    succeeded = [w.id for w in done.finished if w.state == "succeeded"]
    if not succeeded:
        print("no worker succeeded; nothing to synthesize", file=sys.stderr)
        return 1
    answer = client.synthesize(succeeded, f"Answer the question: {question} Cite the workers you draw on.")
    print("\nSYNTHESIS\n" + answer.text)
    for source in answer.sources:
        print(f"source {source.worker_id}: {source.claim}")
    for conflict in answer.conflicts:
        print(f"conflict on {conflict.topic} between {', '.join(conflict.workers)}: {conflict.summary}")
    for gap in answer.gaps:
        print(f"gap: {gap}")
    print(f"synthesized by {answer.id} for ${answer.usage.cost_usd:.4f}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("question", nargs="?", default=QUESTION)
    parser.add_argument("--bosun", help="path to the bosun binary")
    parser.add_argument("--config", help="a bosun config with your models (default: offline, on the mock provider)")
    args = parser.parse_args()
    bosun = find_bosun(args.bosun, "fan_out_synthesize")
    if args.config:
        with BosunClient.start([bosun, "serve", "--config", args.config]) as client:
            return run(client, args.question, os.getcwd())
    with tempfile.TemporaryDirectory(prefix="bosun-fan-out-") as workdir, MockProvider(bosun, latency_ms=200) as mock:
        config, db = mock.write_config(workdir)
        with BosunClient.start([bosun, "serve", "--config", config, "--db", db],
                               env={"XDG_CONFIG_HOME": workdir}) as client:
            return run(client, args.question, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


if __name__ == "__main__":
    sys.exit(main())
