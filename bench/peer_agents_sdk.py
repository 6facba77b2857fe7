#!/usr/bin/env python3
"""The peer side of bench/peer_compare.py: the OpenAI Agents SDK running the makespan workload
(N agents x 4 steps at concurrency 5) against `bosun mock-provider`, as the CPU goal of
bench/RESULTS.md was measured. Runs inside the venv that peer_compare.py makes; prints one JSON line.

    python peer_agents_sdk.py --base-url http://127.0.0.1:PORT/v1 --workspace DIR [--agents 50] [--cap 5]

Each agent has the two tools a bosun worker uses in that workload, `list_files` (which really
lists the workspace) and `submit_result` (which ends the run), so the mock plans the same
replies for both: three `list_files` steps, then `submit_result`. CPU is this process's, from
the first agent started to the last one finished (imports and set-up excluded, as bosun's
start-up is), read from CLOCK_PROCESS_CPUTIME_ID.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time

os.environ.setdefault("OPENAI_AGENTS_DISABLE_TRACING", "1")  # no trace export: offline

from agents import Agent, OpenAIChatCompletionsModel, Runner, function_tool, set_tracing_disabled  # noqa: E402
from agents.agent import StopAtTools  # noqa: E402
from openai import AsyncOpenAI  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--workspace", required=True)
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--cap", type=int, default=5)
    args = parser.parse_args()
    set_tracing_disabled(True)
    root = os.path.realpath(args.workspace)

    @function_tool
    def list_files(path: str) -> str:
        """List the files under a directory of the workspace, one relative path per line."""
        base = os.path.realpath(os.path.join(root, path))
        if os.path.commonpath([root, base]) != root:
            return "The path is outside the workspace."
        found = []
        for directory, _, files in os.walk(base):
            found += [os.path.relpath(os.path.join(directory, name), root) for name in files]
        return "\n".join(sorted(found))

    @function_tool
    def submit_result(text: str) -> str:
        """Submit your final answer. Call it once, when the task is done; its input is your result."""
        return text

    client = AsyncOpenAI(base_url=args.base_url, api_key="mock", max_retries=0)
    agent = Agent(name="worker", instructions="You are a worker. Use your tools, then call submit_result.",
                  model=OpenAIChatCompletionsModel(model="mock-fast", openai_client=client),
                  tools=[list_files, submit_result], tool_use_behavior=StopAtTools(stop_at_tool_names=["submit_result"]))

    async def run_all() -> tuple[int, float, float]:
        slots = asyncio.Semaphore(args.cap)

        async def one(index: int) -> int:
            async with slots:
                result = await Runner.run(agent, f"Survey the workspace, part {index}", max_turns=10)
                return len(result.raw_responses)

        cpu_start, wall_start = time.clock_gettime(time.CLOCK_PROCESS_CPUTIME_ID), time.monotonic()
        steps = await asyncio.gather(*(one(i) for i in range(args.agents)))
        return sum(steps), time.clock_gettime(time.CLOCK_PROCESS_CPUTIME_ID) - cpu_start, time.monotonic() - wall_start

    steps, cpu, wall = asyncio.run(run_all())
    print(json.dumps({"steps": steps, "cpu_seconds": cpu, "makespan_seconds": wall}))


if __name__ == "__main__":
    main()
