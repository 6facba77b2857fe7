"""Shared fixtures: where the built `bosun` binary is."""
import atexit
import json
import os
import pathlib
import shutil
import subprocess
import tempfile
import time
import urllib.request

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


def bosun_binary() -> str:
    """`$BOSUN_BIN`, else the debug build SwiftPM made (`swift build --show-bin-path`)."""
    configured = os.environ.get("BOSUN_BIN")
    if configured:
        return configured
    scratch = os.environ.get("BOSUN_SCRATCH", ".build")
    bin_dir = subprocess.run(["swift", "build", "--scratch-path", scratch, "--show-bin-path"], cwd=ROOT,
                             check=True, capture_output=True, text=True).stdout.strip()
    return str(pathlib.Path(bin_dir) / "bosun")


BOSUN = bosun_binary()

# Every bosun these tests start reads no user config or agents and writes no user trace store.
_SCRATCH = tempfile.mkdtemp(prefix="bosun-pytest-")
os.environ["XDG_STATE_HOME"] = os.path.join(_SCRATCH, "state")
os.environ["XDG_CONFIG_HOME"] = os.path.join(_SCRATCH, "config")
os.environ["CLAUDE_CONFIG_DIR"] = os.path.join(_SCRATCH, "claude")  # no user-level Claude Code agents
atexit.register(shutil.rmtree, _SCRATCH, ignore_errors=True)


@pytest.fixture(scope="session")
def bosun_bin() -> str:
    if not os.access(BOSUN, os.X_OK):
        pytest.fail(f"bosun binary not found at {BOSUN}; run `swift build` or set BOSUN_BIN")
    return BOSUN


@pytest.fixture
def mock_provider(bosun_bin):
    """Starts `bosun mock-provider` with the given options and returns its port; stopped after the test."""
    started = []

    def start(*options: str) -> int:
        process = subprocess.Popen([bosun_bin, "mock-provider", "--port", "0", *options],
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        started.append(process)
        line = process.stdout.readline().strip()
        assert line.isdigit(), f"the mock provider printed {line!r} instead of its port"
        return int(line)

    yield start
    for process in started:
        process.terminate()
        process.wait(timeout=10)


def release_when_held(port: int, count: int, timeout: float = 30) -> None:
    """Waits until the mock provider at `port` holds `count` requests (a script's `hold` rule
    matched them), then lets them all go on."""
    def route(method: str, path: str) -> dict:
        request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method, data=b"" if method == "POST" else None)
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.load(answer)

    deadline = time.monotonic() + timeout
    while route("GET", "/holds")["held"] != count:
        assert time.monotonic() < deadline, f"the mock provider never held {count} requests"
        time.sleep(0.01)  # paces the checks; the wait is for the requests to be held
    assert route("POST", "/holds/release")["released"] == count


def write_mock_config(directory: pathlib.Path, port: int, extra: str = "") -> pathlib.Path:
    """A bosun config whose every tier is a model on the mock provider at `port`, with its store in `directory`
    (and `extra`, more top-level keys such as `roles`)."""
    config = directory / "bosun.yaml"
    config.write_text(f"""providers:
  mock: {{ kind: openai, baseURL: "http://127.0.0.1:{port}/v1" }}
models:
  fast: {{ provider: mock, id: mock-fast, price: {{ input: 1, output: 5 }} }}
tiers: {{ orchestrator: fast, mid: fast, worker: fast }}
store: {{ path: "{directory / 'trace.sqlite'}" }}
""" + extra)
    return config


# Workers of the role `asker` (ASKER_ROLE, appended to a config) ask: "Name the project" a
# free question, any other task which database (two options); they submit once they have
# an answer, or once they learn there is none. Workers of the role `guarded` run `echo
# hello`, which their approval rules say to ask about, then submit.
ASKER_SCRIPT = """\
rules:
  - match: { system: "You run first", turn: 1 }
    reply: { toolCalls: [{ name: submit_result, input: { text: "Done." } }] }
  - match: { system: "You run first", turn: 0 }
    reply: { toolCalls: [{ name: run_command, input: { command: [echo, hello] } }] }
  - match: { system: "You ask first", lastMessage: "The answer (from" }
    reply: { toolCalls: [{ name: submit_result, input: { text: "Done, as answered." } }] }
  - match: { system: "You ask first", lastMessage: "No answer" }
    reply: { toolCalls: [{ name: submit_result, input: { text: "Decided myself." } }] }
  - match: { system: "You ask first", lastMessage: "Name the project", turn: 0 }
    reply: { toolCalls: [{ name: ask, input: { question: "What is the project called?" } }] }
  - match: { system: "You ask first", turn: 0 }
    reply: { toolCalls: [{ name: ask, input: { question: "Which database?", options: [postgres, sqlite] } }] }
"""
ASKER_ROLE = """roles:
  asker: { tools: [ask, list_files], prompt: "You ask first." }
  guarded: { tools: [run_command], permissions: [exec], prompt: "You run first.", approval: { ask: [run_command] } }
"""


class MCPWorld:
    """What `bosun serve` needs to run real workers offline in MCP mode: a config whose every
    tier is on the mock provider, a workspace and a trace store of its own."""

    def __init__(self, binary: str, root: pathlib.Path, port: int):
        self.binary = binary
        self.config = write_mock_config(root, port)
        self.db = root / "trace.sqlite"
        self.workspace = root / "workspace"
        self.workspace.mkdir()
        (self.workspace / "README.md").write_text("# demo\nA workspace for MCP tests.\n")

    def args(self, *extra: str) -> list[str]:
        """`serve`'s arguments (the command is `self.binary`)."""
        return ["serve", "--config", str(self.config), "--db", str(self.db), *extra]

    def command(self, *extra: str) -> list[str]:
        return [self.binary, *self.args(*extra)]


@pytest.fixture
def mcp_world(bosun_bin, mock_provider, tmp_path):
    """Workers take two tool steps, 20 ms apart, then submit their result."""
    return MCPWorld(bosun_bin, tmp_path, mock_provider("--latency-ms", "20", "--tool-steps", "2"))


@pytest.fixture
def slow_mcp_world(bosun_bin, mock_provider, tmp_path):
    """Each model call takes 2 s (two tool steps, then the result): time enough to cancel a
    worker mid-run. Few steps, since a worker that repeats the same tool call fails as stalled."""
    return MCPWorld(bosun_bin, tmp_path, mock_provider("--latency-ms", "2000", "--tool-steps", "2"))
