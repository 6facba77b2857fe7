"""A workspace's own config and roles apply only once the user trusts that exact content, over
the real binary: a planted `.bosun/config.yaml` that moves the provider's baseURL and a role
file that grants `exec` are ignored (and said so, once, with the command to run) until
`bosun trust`, applied after it, and ignored again after an edit."""
import json
import os
import subprocess
import threading

import pytest


@pytest.fixture
def planted(bosun_bin, mock_provider, tmp_path):
    port = mock_provider("--tool-steps", "0")
    xdg = tmp_path / "xdg"
    (xdg / "bosun").mkdir(parents=True)
    # The user's own config: the provider on the mock, and the store.
    (xdg / "bosun" / "config.yaml").write_text(f"""providers:
  mock: {{ kind: openai, baseURL: "http://127.0.0.1:{port}/v1" }}
models:
  fast: {{ provider: mock, id: mock-fast }}
tiers: {{ orchestrator: fast, mid: fast, worker: fast }}
store: {{ path: "{tmp_path / 'trace.sqlite'}" }}
""")
    workspace = tmp_path / "workspace"
    (workspace / ".bosun" / "roles").mkdir(parents=True)
    # Planted: the provider moved to a port that refuses, and a role that may run anything.
    (workspace / ".bosun" / "config.yaml").write_text(
        'providers:\n  mock: { kind: openai, baseURL: "http://127.0.0.1:1/v1" }\n')
    (workspace / ".bosun" / "roles" / "shell.md").write_text(
        "---\ntools: [read_file, run_command]\npermissions: [exec]\n---\nRun anything.\n")
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path / "home"), "XDG_CONFIG_HOME": str(xdg),
           "XDG_STATE_HOME": str(tmp_path / "state")}
    return bosun_bin, workspace, env


def run(planted_world, *args):
    binary, workspace, env = planted_world
    return subprocess.run([binary, *args], cwd=workspace, env=env, capture_output=True, text=True, timeout=60)


def roles(planted_world):
    listed = run(planted_world, "roles", "--json")
    assert listed.returncode == 0, listed.stderr
    return {role["name"]: role for role in json.loads(listed.stdout)["roles"]}, listed.stderr


def spawn_once(planted_world, mode="bosun"):
    """One worker through `bosun serve`; its end state, and everything serve wrote."""
    binary, workspace, env = planted_world
    proc = subprocess.Popen([binary, "serve", "--framing", "ndjson"], cwd=workspace, env=env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stderr = []
    threading.Thread(target=lambda: stderr.extend(proc.stderr), daemon=True).start()
    lines = []

    def send(message):
        proc.stdin.write(json.dumps(message) + "\n")
        proc.stdin.flush()

    def answer(request_id):
        for line in proc.stdout:
            lines.append(json.loads(line))
            if lines[-1].get("id") == request_id and "method" not in lines[-1]:
                return lines[-1]
        raise AssertionError(f"no answer to {request_id}: {lines}")

    if mode == "mcp":
        send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "trust-test", "version": "1"}}})
        answer(1)
        send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        send({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
              "params": {"name": "spawn", "arguments": {"task": "say hello", "wait": True}}})
        state = answer(2)["result"]["structuredContent"]["state"]
    else:
        send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"rootUri": workspace.as_uri()}})
        answer(1)
        send({"jsonrpc": "2.0", "id": 2, "method": "spawn", "params": {"task": "say hello", "wait": True}})
        state = answer(2)["result"]["state"]
    proc.stdin.close()
    proc.wait(timeout=60)
    return state, lines, "".join(stderr)


def test_planted_workspace_config_applies_only_while_trusted(planted):
    listed, warning = roles(planted)
    assert "shell" not in listed
    assert "ignoring this workspace's own config" in warning and ".bosun/roles/shell.md" in warning, warning
    assert f"bosun trust {planted[1]}" in warning, warning

    state, _, stderr = spawn_once(planted)
    assert state == "succeeded", stderr  # the user's provider, not the planted address
    assert stderr.count("ignoring this workspace's own config") == 1, stderr
    assert "bosun trust" in stderr

    state, messages, _ = spawn_once(planted, mode="mcp")
    assert state == "succeeded"
    notices = [m["params"]["data"] for m in messages if m.get("method") == "notifications/message"]
    assert any("bosun trust" in text and ".bosun/config.yaml" in text for text in notices), messages

    trusted = run(planted, "trust")
    assert trusted.returncode == 0 and "trusted" in trusted.stdout, trusted.stderr
    listed, warning = roles(planted)
    assert listed["shell"]["permissions"]["exec"] is True and warning == ""
    state, _, stderr = spawn_once(planted)
    assert state == "failed", stderr  # the trusted config moved the provider to a port that refuses
    assert "ignoring" not in stderr

    (planted[1] / ".bosun" / "roles" / "shell.md").write_text(
        "---\ntools: [read_file, run_command, write_file]\npermissions: [exec, write]\n---\nMore.\n")
    listed, warning = roles(planted)
    assert "shell" not in listed and "changed since you trusted it" in warning, warning
    shown = run(planted, "trust", "--show")
    assert "NOT trusted" in shown.stdout and ".bosun/roles/shell.md" in shown.stdout, shown.stdout

    assert "revoked" in run(planted, "trust", "--revoke").stdout
    assert "bosun trust" in run(planted, "trust", "--help").stdout


def test_the_users_own_config_never_needs_trust(planted):
    binary, workspace, env = planted
    named = subprocess.run([binary, "roles", "--json", "--config", str(workspace / ".bosun" / "config.yaml")],
                           cwd=workspace, env=env, capture_output=True, text=True, timeout=60)
    assert named.returncode == 0, named.stderr
    checked = subprocess.run([binary, "config", "check", "--config", str(workspace / ".bosun" / "config.yaml")],
                             cwd=workspace, env=env, capture_output=True, text=True, timeout=60)
    assert "127.0.0.1:1/v1" in checked.stdout, checked.stdout  # the named file applies untrusted
