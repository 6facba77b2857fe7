"""What the examples share: finding the bosun binary, and an offline model provider.

Every example runs with no API key by starting `bosun mock-provider` (a real HTTP server
on loopback that speaks the Anthropic and OpenAI APIs) and a config that points every
model tier at it. Pass `--config` to an example to use your own models instead.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Optional

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "clients", "python"))  # the client, when it is not pip-installed

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


def find_bosun(explicit: Optional[str], example: str) -> str:
    """`--bosun PATH`, else the build in this checkout, else `bosun` on PATH."""
    if explicit:
        return explicit
    for candidate in (os.path.join(REPO, ".build", "debug", "bosun"), os.path.join(REPO, ".build", "release", "bosun")):
        if os.access(candidate, os.X_OK):
            return candidate
    from shutil import which
    found = which("bosun")
    if found is None:
        sys.exit(f"{example}: no bosun binary; run `swift build` first or pass --bosun PATH")
    return found


class MockProvider:
    """`bosun mock-provider` on a free port, stopped by `stop()` (or on leaving a `with`)."""

    def __init__(self, bosun: str, latency_ms: int, script: Optional[str] = None):
        argv = [bosun, "mock-provider", "--port", "0", "--latency-ms", str(latency_ms)]
        if script:
            argv += ["--script", script]
        self.process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.process.stdout.readline().strip()
        if not line.isdigit():
            self.stop()
            sys.exit(f"the mock provider did not print its port (got {line!r})")
        self.port = int(line)

    def write_config(self, workdir: str) -> tuple:
        """A config in `workdir` whose every tier runs on this mock; returns (config path, trace db path)."""
        db = os.path.join(workdir, "trace.sqlite")
        config = os.path.join(workdir, "bosun.yaml")
        with open(config, "w") as f:
            f.write(CONFIG.format(port=self.port, db=db))
        return config, db

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)

    def __enter__(self) -> "MockProvider":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
