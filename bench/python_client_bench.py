#!/usr/bin/env python3
"""What the Python client costs per call: `status` round trips through `bosun_client`.

    python3 bench/python_client_bench.py BIN [--calls N]

Three ways: the sync client one call after another, the sync client from 8 threads at
once, and the asyncio client with 64 calls in flight. Reports calls per second and the
client's own CPU per call (the server's is in bench/server_throughput.py).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "clients", "python"))

from bosun_client import AsyncBosunClient, BosunClient  # noqa: E402


def measure(label: str, calls: int, run) -> None:
    wall, cpu = time.perf_counter(), time.process_time()
    run()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"{label:<34} {calls / wall:>9,.0f} calls/s   client CPU {cpu / calls * 1e6:>6.0f} µs/call")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bosun")
    parser.add_argument("--calls", type=int, default=20000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        argv = [os.path.abspath(args.bosun), "serve", "--db", os.path.join(scratch, "bench.sqlite"), "--log-level", "error"]
        env = {"XDG_CONFIG_HOME": scratch}
        with BosunClient.start(argv, env=env, cwd=scratch) as client:
            client.initialize(root=scratch)
            measure("sync, one after another", args.calls, lambda: [client.status() for _ in range(args.calls)])
            with ThreadPoolExecutor(8) as pool:
                measure("sync, 8 threads", args.calls,
                        lambda: list(pool.map(lambda _: client.status(), range(args.calls))))

        async def in_flight() -> None:
            async with await AsyncBosunClient.start(argv, env=env, cwd=scratch) as aclient:
                await aclient.initialize(root=scratch)
                pending = asyncio.Semaphore(64)

                async def one() -> None:
                    async with pending:
                        await aclient.status()

                await asyncio.gather(*(one() for _ in range(args.calls)))

        measure("asyncio, 64 in flight (with start)", args.calls, lambda: asyncio.run(in_flight()))


if __name__ == "__main__":
    main()
