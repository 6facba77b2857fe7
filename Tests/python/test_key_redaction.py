"""A provider that echoes the API key in its error: the key must reach the client by no path
(answers, events, forwarded logs, MCP tool results) nor stderr, over bosun/1 and MCP. The
mock provider's fault message stands in for the echo."""
import json
import subprocess
import threading

import pytest

KEY = "sk-echoed-0123456789abcdefKEY"


@pytest.fixture
def echoing_world(bosun_bin, mock_provider, tmp_path):
    port = mock_provider("--fault", f"401:message=invalid api key {KEY} for this account")
    config = tmp_path / "bosun.yaml"
    config.write_text(f"""providers:
  mock: {{ kind: openai, baseURL: "http://127.0.0.1:{port}/v1", apiKeyEnv: ECHO_TEST_KEY }}
models:
  fast: {{ provider: mock, id: mock-fast, price: {{ input: 1, output: 5 }} }}
tiers: {{ orchestrator: fast, mid: fast, worker: fast }}
""")
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    return bosun_bin, config, tmp_path / "trace.sqlite", workspace


class Conversation:
    """`bosun serve` over newline-delimited JSON, every byte it writes kept."""

    def __init__(self, world, *extra):
        binary, config, db, workspace = world
        self.proc = subprocess.Popen(
            [binary, "serve", "--config", str(config), "--db", str(db), "--framing", "ndjson",
             "--log-level", "debug", *extra],
            cwd=workspace, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env={"PATH": "/usr/bin:/bin", "HOME": str(workspace), "ECHO_TEST_KEY": KEY}, bufsize=0)
        self.stdout = []
        self.answers = {}
        self.arrived = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()
        self.stderr = []
        threading.Thread(target=lambda: self.stderr.extend(self.proc.stderr), daemon=True).start()
        self.next_id = 0

    def _read(self):
        for line in self.proc.stdout:
            with self.arrived:
                self.stdout.append(line)
                message = json.loads(line)
                if "id" in message and "method" not in message:
                    self.answers[message["id"]] = message
                self.arrived.notify_all()

    def request(self, method, params=None):
        self.next_id += 1
        message = {"jsonrpc": "2.0", "id": self.next_id, "method": method}
        if params is not None:
            message["params"] = params
        self.proc.stdin.write(json.dumps(message).encode() + b"\n")
        with self.arrived:
            assert self.arrived.wait_for(lambda: self.next_id in self.answers, 60), f"no answer to {method}"
            return self.answers[self.next_id]

    def notify(self, method, params=None):
        self.proc.stdin.write(json.dumps({"jsonrpc": "2.0", "method": method,
                                          **({"params": params} if params else {})}).encode() + b"\n")

    def finish(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=60)
        return b"".join(self.stdout), b"".join(self.stderr)


def test_bosun1_answers_events_and_logs_never_carry_the_key(echoing_world):
    serve = Conversation(echoing_world)
    serve.request("initialize", {"rootUri": f"file://{echoing_world[3]}"})
    spawned = serve.request("spawn", {"task": "say hello", "wait": True})["result"]
    assert spawned["state"] == "failed", spawned
    message = spawned["error"]["message"]
    assert "invalid api key" in message and "[REDACTED]" in message, message
    serve.request("status", {"workerId": spawned["id"]})
    serve.request("trace", {"workerId": spawned["id"]})
    serve.request("shutdown")
    stdout, stderr = serve.finish()
    assert KEY.encode() not in stdout
    assert KEY.encode() not in stderr


def test_mcp_tool_results_and_log_messages_never_carry_the_key(echoing_world):
    serve = Conversation(echoing_world)
    serve.request("initialize", {"protocolVersion": "2025-11-25", "capabilities": {},
                                 "clientInfo": {"name": "redaction-test", "version": "1"}})
    serve.notify("notifications/initialized")
    serve.request("logging/setLevel", {"level": "debug"})
    called = serve.request("tools/call", {"name": "spawn", "arguments": {"task": "say hello", "wait": True}})["result"]
    text = called["content"][0]["text"]
    assert "invalid api key" in text and "[REDACTED]" in text, called
    stdout, stderr = serve.finish()
    assert b"notifications/message" in stdout  # log lines were forwarded to the client
    assert KEY.encode() not in stdout
    assert KEY.encode() not in stderr
