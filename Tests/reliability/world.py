"""What the reliability drivers (chaos, stress) share: a scratch directory with a workspace,
a real `bosun mock-provider` on loopback, a config pointing at it, one trace store file,
and `bosun serve` processes on them, driven through the Python client in clients/python."""
from __future__ import annotations

import os
import pathlib
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from typing import Optional

ROOT = pathlib.Path(__file__).resolve().parents[2]
try:
    import bosun_client  # noqa: F401  (installed, as make test's venv has it)
except ImportError:
    sys.path.insert(0, str(ROOT / "clients" / "python"))

from bosun_client import BosunClient, BosunError, Notification  # noqa: E402

TERMINAL = {"succeeded", "failed", "cancelled", "timed_out", "interrupted"}
# The error a request gets when the server process went away before answering.
CONNECTION_CLOSED = -32099


def bosun_binary() -> str:
    """`$BOSUN_BIN`, else the debug build SwiftPM made (`--scratch-path $BOSUN_SCRATCH`)."""
    configured = os.environ.get("BOSUN_BIN")
    if configured:
        return configured
    scratch = os.environ.get("BOSUN_SCRATCH", ".build")
    bin_dir = subprocess.run(["swift", "build", "--scratch-path", scratch, "--show-bin-path"], cwd=ROOT,
                             check=True, capture_output=True, text=True).stdout.strip()
    return str(pathlib.Path(bin_dir) / "bosun")


class World:
    """A scratch directory, a mock provider and a config; `serve()` starts bosun on them."""

    def __init__(self, bosun: str, mock_args: list[str], session_yaml: str = "", keep: bool = False):
        self.bosun = bosun
        self.keep = keep
        self.directory = pathlib.Path(tempfile.mkdtemp(prefix="bosun-reliability-"))
        self.workspace = self.directory / "workspace"
        (self.workspace / "src").mkdir(parents=True)
        (self.workspace / "README.md").write_text("# Demo\n")
        (self.workspace / "src" / "main.swift").write_text("let x = 1\n")
        # No user config, agents or trace store leaks in.
        self.env = {"XDG_STATE_HOME": str(self.directory / "state"), "XDG_CONFIG_HOME": str(self.directory / "config"),
                    "CLAUDE_CONFIG_DIR": str(self.directory / "claude")}
        self.mock = subprocess.Popen([bosun, "mock-provider", "--port", "0", *mock_args], stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True, env={**os.environ, **self.env})
        port = int(self.mock.stdout.readline())
        self.config = self.directory / "bosun.yaml"
        self.config.write_text(f"""providers:
  mock: {{ kind: openai, baseURL: "http://127.0.0.1:{port}/v1" }}
models:
  fast: {{ provider: mock, id: mock-fast, price: {{ input: 1, output: 5 }} }}
tiers: {{ orchestrator: fast, mid: fast, worker: fast }}
{session_yaml}
""")
        self.db = self.directory / "trace.sqlite"

    def serve(self, on_notification=None, extra_args: Optional[list[str]] = None) -> BosunClient:
        argv = [self.bosun, "serve", "--config", str(self.config), "--db", str(self.db), "--log-level", "error",
                *(extra_args or [])]
        return BosunClient.start(argv, env=self.env, cwd=str(self.workspace), on_notification=on_notification)

    def integrity(self) -> str:
        """`PRAGMA integrity_check` of the store file, as another process opening it sees it."""
        with sqlite3.connect(self.db, timeout=30) as db:
            return "; ".join(row[0] for row in db.execute("PRAGMA integrity_check"))

    def query(self, sql: str, *args) -> list[tuple]:
        with sqlite3.connect(self.db, timeout=30) as db:
            return db.execute(sql, args).fetchall()

    def close(self) -> None:
        self.mock.terminate()
        self.mock.wait(timeout=10)
        if not self.keep:
            shutil.rmtree(self.directory, ignore_errors=True)


def kill_hard(client: BosunClient) -> None:
    """kill -9: the server gets no chance to write anything more."""
    client.process.kill()
    client.process.wait(timeout=30)


def rss_kib(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of a process in KiB: its resident memory now and at its peak."""
    fields = {}
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0])
    return fields.get("VmRSS", 0), fields.get("VmHWM", 0)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


class Collector:
    """Notifications of one connection, kept in arrival order (a thread-safe list)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.items: list[Notification] = []

    def __call__(self, note: Notification) -> None:
        with self.lock:
            self.items.append(note)

    def snapshot(self) -> list[Notification]:
        with self.lock:
            return list(self.items)


def wait_until(predicate, timeout: float, what: str, interval: float = 0.05) -> None:
    """Polls `predicate` until it holds; fails with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


__all__ = ["BosunClient", "BosunError", "CONNECTION_CLOSED", "Collector", "Notification", "TERMINAL", "World",
           "bosun_binary", "kill_hard", "percentile", "rss_kib", "wait_until"]
