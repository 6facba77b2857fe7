#!/usr/bin/env python3
"""The input bill of a multi-step worker with and without prompt caching, over the real
binary and the mock provider speaking Anthropic's API.

One worker of STEPS model calls (STEPS - 1 `list_files` steps, then `submit_result`) with a
long brief, once on a model alias with prompt caching (the default) and once on the same
model with `promptCache: false`. Both are `claude-haiku-4-5`, priced from bosun's list prices
(input $1/M, cache reads 0.1x, cache writes 1.25x). The figures are the worker's own `usage`
as `spawn` returns it: input billed at the full price, cache reads, cache writes, and the
input bill (each at its price); the ratio is the uncached input bill over the cached one.
The mock counts tokens as bytes / 4, as the real APIs' counts stand to the text, and
reports cache reads and writes as Anthropic does. The figure is token accounting, not
timing: the machine's load does not move it.

    python3 bench/prompt_cache_bench.py --bosun BIN [--steps 10]
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "clients", "python"))
from bosun_client import BosunClient  # noqa: E402

# claude-haiku-4-5's list price, USD per million tokens (bosun's PriceTable).
INPUT, CACHE_READ, CACHE_WRITE = 1.0, 0.1, 1.25
# About 1,100 tokens of brief (the mock counts 4 bytes a token).
BRIEF = "Survey the repository and report what each directory holds. " + "Mind every detail the brief gives. " * 125


def input_bill(usage):
    return (usage["inputTokens"] * INPUT + usage["cacheReadTokens"] * CACHE_READ
            + usage["cacheWriteTokens"] * CACHE_WRITE) / 1_000_000


def run(binary, steps):
    scratch = tempfile.mkdtemp(prefix="bosun-cache-bench-")
    mock = subprocess.Popen([binary, "mock-provider", "--port", "0", "--tool-steps", str(steps - 1)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    client = None
    try:
        port = int(mock.stdout.readline())
        workspace = os.path.join(scratch, "ws")
        os.makedirs(workspace)
        for name in ("README.md", "main.py"):
            with open(os.path.join(workspace, name), "w") as out:
                out.write(f"# {name}\n")
        config = os.path.join(scratch, "bosun.yaml")
        with open(config, "w") as out:
            out.write(f'providers:\n  mock: {{ kind: anthropic, baseURL: "http://127.0.0.1:{port}" }}\n'
                      "models:\n"
                      "  cached: { provider: mock, id: claude-haiku-4-5 }\n"
                      "  uncached: { provider: mock, id: claude-haiku-4-5, promptCache: false }\n"
                      "tiers: { orchestrator: cached, mid: cached, worker: cached }\n"
                      f"roles:\n  surveyor: {{ tools: [list_files], maxSteps: {steps + 2} }}\n")
        env = dict(os.environ, XDG_STATE_HOME=os.path.join(scratch, "state"),
                   XDG_CONFIG_HOME=os.path.join(scratch, "config"))
        client = BosunClient.start([binary, "serve", "--log-level", "error", "--config", config,
                                    "--db", os.path.join(scratch, "trace.sqlite")], cwd=workspace, env=env)
        client.initialize(workspace)
        usage = {}
        for alias in ("uncached", "cached"):
            worker = client.request("spawn", {"task": BRIEF, "role": "surveyor", "model": alias, "wait": True})
            if worker["state"] != "succeeded" or worker["steps"] != steps:
                raise SystemExit(f"the {alias} worker ended {worker['state']} after {worker['steps']} steps: {worker}")
            usage[alias] = worker["usage"]
        return usage
    finally:
        if client is not None:
            client.close()
        mock.kill()
        mock.wait()
        shutil.rmtree(scratch, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bosun", required=True, help="the bosun binary")
    parser.add_argument("--steps", type=int, default=10, help="model calls of the worker (default 10)")
    args = parser.parse_args()
    usage = run(args.bosun, args.steps)
    print(f"a {args.steps}-step worker on Anthropic's API (claude-haiku-4-5 list prices), its own usage:")
    print(f"{'':10} {'input (full price)':>19} {'cache reads':>12} {'cache writes':>13} {'input bill':>11} {'costUSD':>10}")
    for alias in ("uncached", "cached"):
        u = usage[alias]
        print(f"{alias:10} {u['inputTokens']:>19,} {u['cacheReadTokens']:>12,} {u['cacheWriteTokens']:>13,}"
              f" {'$%.5f' % input_bill(u):>11} {'$%.5f' % u['costUSD']:>10}")
    ratio = input_bill(usage["uncached"]) / input_bill(usage["cached"])
    print(f"input billed {ratio:.2f}x less with caching (goal: at least 3x)")
    return 0 if ratio >= 3 else 1


if __name__ == "__main__":
    sys.exit(main())
