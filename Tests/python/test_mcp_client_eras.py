"""bosun as an MCP client of both eras: a server of MCP 2026-07-28 only (the official SDK's
own loop for that era), dual-era servers (fastmcp, the SDK's default), and servers of the
`initialize` era only (the last 1.x SDK, from `.venv-mcp1`), over stdio and Streamable HTTP
on loopback. Each worker's tool_result says which protocol version the call went in."""
import os
import pathlib
import subprocess

import pytest

from test_mcp_client import PYTHON, SERVERS, client_for, free_port, tool_results, world, wait_for_port

ROOT = pathlib.Path(__file__).resolve().parents[2]
# The 1.x SDK cannot share a venv with 2.x: `make venv-mcp1` builds its own.
MCP1_PYTHON = os.environ.get("BOSUN_MCP1_PYTHON", str(ROOT / ".venv-mcp1" / "bin" / "python"))

SCRIPT = """rules:
  - match: { lastMessage: "PRODUCT=42" }
    reply: { toolCalls: [{ name: submit_result, input: { text: "the model read PRODUCT=42" } }] }
  - match: { lastMessage: "SUM=5" }
    reply: { toolCalls: [{ name: submit_result, input: { text: "the model read SUM=5" } }] }
  - match: { lastMessage: "EXTRA=yes" }
    reply: { toolCalls: [{ name: submit_result, input: { text: "the model read EXTRA=yes" } }] }
  - match: { lastMessage: "Multiply in the new era" }
    reply: { toolCalls: [{ name: mcp__modern__multiply, input: { a: 6, b: 7 } }] }
  - match: { lastMessage: "HTTP session expired" }
    reply: { toolCalls: [{ name: mcp__old__add, input: { a: 2, b: 3 } }] }
  - match: { lastMessage: "Add in the old era" }
    reply: { toolCalls: [{ name: mcp__old__add, input: { a: 2, b: 3 } }] }
  - match: { lastMessage: "Add with fastmcp" }
    reply: { toolCalls: [{ name: mcp__tools__add, input: { a: 2, b: 3 } }] }
  - match: { lastMessage: "Grow the server" }
    reply: { toolCalls: [{ name: mcp__modern__grow, input: {} }] }
  - match: { lastMessage: "Use the new tool" }
    reply: { toolCalls: [{ name: mcp__modern__extra, input: {} }] }
  - match: { turn: 1 }
    reply: { toolCalls: [{ name: submit_result, input: { text: "done" } }] }
"""


@pytest.fixture
def scripted(mock_provider, tmp_path):
    script = tmp_path / "mock.yaml"
    script.write_text(SCRIPT)
    return mock_provider("--latency-ms", "5", "--tool-steps", "0", "--script", str(script))


@pytest.fixture(scope="module")
def mcp1_python():
    assert os.access(MCP1_PYTHON, os.X_OK), f"no 1.x SDK at {MCP1_PYTHON}: run `make venv-mcp1` or set BOSUN_MCP1_PYTHON"
    return MCP1_PYTHON


def served(command, port):
    """A Streamable HTTP server on loopback, once its port accepts."""
    server = subprocess.Popen(command + ["http", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_port(server, port)
    return server


def stopped(server):
    server.terminate()
    server.wait(timeout=10)


def the_call(client, task, role="toolsmith"):
    worker = client.spawn(task, role=role, wait=True)
    assert worker.state == "succeeded", worker.error
    [result] = tool_results(client, worker.id)
    return worker, result


def test_a_server_of_2026_07_28_only_is_spoken_to_without_initialize(bosun_bin, scripted, tmp_path):
    config = world(tmp_path, scripted, f'  modern: {{ command: "{PYTHON}", args: ["{SERVERS / "sdk_modern_only.py"}"] }}')
    with client_for(bosun_bin, config, tmp_path) as client:
        worker, result = the_call(client, "Multiply in the new era")
        assert worker.result.text == "the model read PRODUCT=42"
        assert result["text"] == "PRODUCT=42" and result["mcp"]["protocolVersion"] == "2026-07-28"


def test_a_tool_added_later_is_heard_of_on_subscriptions_listen(bosun_bin, scripted, tmp_path):
    # The server lets bosun keep its tool list for an hour: only its notification on the
    # subscriptions/listen stream can tell bosun of `extra`.
    config = world(tmp_path, scripted, f'  modern: {{ command: "{PYTHON}", args: ["{SERVERS / "sdk_modern_only.py"}"] }}')
    config.write_text(config.read_text() + "  grower: { model: fast, tools: [mcp__modern__grow, mcp__modern__extra] }\n")
    with client_for(bosun_bin, config, tmp_path) as client:
        _, grew = the_call(client, "Grow the server", role="toolsmith")
        assert grew["text"] == "GREW"
        worker, result = the_call(client, "Use the new tool", role="grower")
        assert worker.result.text == "the model read EXTRA=yes" and result["text"] == "EXTRA=yes"


def test_a_dual_era_server_is_spoken_to_in_2026_07_28(bosun_bin, scripted, tmp_path):
    config = world(tmp_path, scripted, f'  tools: {{ command: "{PYTHON}", args: ["{SERVERS / "fastmcp_tools.py"}"] }}')
    with client_for(bosun_bin, config, tmp_path) as client:
        _, result = the_call(client, "Add with fastmcp")
        assert result["text"] == "SUM=5" and result["mcp"]["protocolVersion"] == "2026-07-28"


def test_a_server_of_the_initialize_era_only(bosun_bin, scripted, tmp_path, mcp1_python):
    config = world(tmp_path, scripted, f'  old: {{ command: "{mcp1_python}", args: ["{SERVERS / "sdk1_tools.py"}"] }}')
    with client_for(bosun_bin, config, tmp_path) as client:
        worker, result = the_call(client, "Add in the old era")
        assert worker.result.text == "the model read SUM=5"
        assert result["text"] == "SUM=5" and result["mcp"]["protocolVersion"] == "2025-11-25"


def test_a_server_of_2026_07_28_only_over_streamable_http(bosun_bin, scripted, tmp_path):
    port = free_port()
    server = served([PYTHON, str(SERVERS / "sdk_modern_only.py")], port)
    try:
        config = world(tmp_path, scripted, f'  modern: {{ type: http, url: "http://127.0.0.1:{port}/mcp" }}')
        with client_for(bosun_bin, config, tmp_path) as client:
            _, result = the_call(client, "Multiply in the new era")
            assert result["text"] == "PRODUCT=42" and result["mcp"]["protocolVersion"] == "2026-07-28"
            # Stateless: a server that restarted between two calls is no different.
            stopped(server)
            server = served([PYTHON, str(SERVERS / "sdk_modern_only.py")], port)
            _, again = the_call(client, "Multiply in the new era")
            assert again["text"] == "PRODUCT=42" and not again["isError"]
    finally:
        stopped(server)


def test_a_server_of_the_initialize_era_over_streamable_http_and_its_sessions(bosun_bin, scripted, tmp_path, mcp1_python):
    port = free_port()
    server = served([mcp1_python, str(SERVERS / "sdk1_tools.py")], port)
    try:
        config = world(tmp_path, scripted, f'  old: {{ type: http, url: "http://127.0.0.1:{port}/mcp" }}')
        with client_for(bosun_bin, config, tmp_path) as client:
            _, result = the_call(client, "Add in the old era")
            assert result["text"] == "SUM=5" and result["mcp"]["protocolVersion"] == "2025-11-25"
            # The server restarts and forgets bosun's Mcp-Session-Id: the next call is told
            # so (its 404), and the call after it runs on a new session.
            stopped(server)
            server = served([mcp1_python, str(SERVERS / "sdk1_tools.py")], port)
            worker = client.spawn("Add in the old era", role="toolsmith", wait=True)
            expired, fresh = tool_results(client, worker.id)
            assert expired["isError"] and "MCP server old: its HTTP session expired" in expired["text"]
            assert fresh["text"] == "SUM=5"
    finally:
        stopped(server)
