"""bosun as an MCP client: workers use the user's MCP servers. Real servers (one written
with fastmcp, one with the official `mcp` SDK; stdio and Streamable HTTP on loopback), the
real binary over real pipes, and `bosun mock-provider` scripted to call the servers' tools,
so what a tool answered is what the next model call reads."""
import json
import os
import pathlib
import socket
import sqlite3
import subprocess
import sys
import time

import pytest

from bosun_client import BosunClient, BosunError
from conftest import write_mock_config

SERVERS = pathlib.Path(__file__).resolve().parent / "mcp_servers"
PYTHON = sys.executable

# The first model call of each task calls tools; the next reads their results. Rules match
# on the last message, which is the task at first and then the tool results.
SCRIPT = """rules:
  - match: { lastMessage: "SUM=5" }
    reply: { toolCalls: [{ name: submit_result, input: { text: "the model read SUM=5" } }] }
  - match: { lastMessage: "PRODUCT=42" }
    reply: { toolCalls: [{ name: submit_result, input: { text: "the model read PRODUCT=42" } }] }
  - match: { lastMessage: "Add two numbers" }
    reply: { toolCalls: [{ name: mcp__tools__add, input: { a: 2, b: 3 } }] }
  - match: { lastMessage: "Multiply two numbers" }
    reply: { toolCalls: [{ name: mcp__sdk__multiply, input: { a: 6, b: 7 } }] }
  - match: { lastMessage: "Add over HTTP" }
    reply: { toolCalls: [{ name: mcp__web__add, input: { a: 2, b: 3 } }] }
  - match: { lastMessage: "Survive a crash" }
    reply: { toolCalls: [{ name: mcp__tools__pid, input: {} }, { name: mcp__tools__die, input: {} }] }
  - match: { lastMessage: "dying on purpose" }
    reply: { toolCalls: [{ name: mcp__tools__pid, input: { } }] }
  - match: { lastMessage: "Fetch the big one" }
    reply: { toolCalls: [{ name: mcp__tools__big, input: { size: 10000000 } }, { name: mcp__tools__picture, input: {} },
                         { name: mcp__tools__odd_name_with_spaces_, input: {} }, { name: mcp__tools__secret, input: {} }] }
  - match: { lastMessage: "Wait for the slow one" }
    reply: { toolCalls: [{ name: mcp__tools__slow, input: {} }] }
  - match: { turn: 1 }
    reply: { toolCalls: [{ name: submit_result, input: { text: "done" } }] }
"""


def world(tmp_path, port, servers: str, mcp_settings: str = "") -> pathlib.Path:
    config = write_mock_config(tmp_path, port)
    config.write_text(config.read_text() + f"""mcpServers:
{servers}
{mcp_settings}
roles:
  toolsmith: {{ model: fast, tools: [read_file, "mcp__*"] }}
  reader: {{ model: fast, tools: [read_file] }}
""")
    (tmp_path / "workspace").mkdir(exist_ok=True)
    return config


def fastmcp_server(name="tools", env="{}"):
    return f"""  {name}: {{ command: "{PYTHON}", args: ["{SERVERS / 'fastmcp_tools.py'}"], env: {env} }}"""


@pytest.fixture
def scripted(mock_provider, tmp_path):
    script = tmp_path / "mock.yaml"
    script.write_text(SCRIPT)
    return mock_provider("--latency-ms", "5", "--tool-steps", "0", "--script", str(script))


def client_for(bosun_bin, config, tmp_path, env=None):
    client = BosunClient.start([bosun_bin, "serve", "--config", str(config)], cwd=str(tmp_path / "workspace"),
                               env=env, stderr=open(tmp_path / "serve.log", "w"))
    client.initialize(str(tmp_path / "workspace"))
    return client


def tool_results(client, worker_id):
    return [e.data for e in client.trace(worker_id) if e.kind == "tool_result"]


def test_a_worker_uses_a_fastmcp_server_and_the_model_reads_the_result(bosun_bin, scripted, tmp_path):
    config = world(tmp_path, scripted, fastmcp_server())
    with client_for(bosun_bin, config, tmp_path) as client:
        worker = client.spawn("Add two numbers", role="toolsmith", wait=True)
        assert worker.state == "succeeded", worker.error
        assert worker.result.text == "the model read SUM=5"
        [result] = tool_results(client, worker.id)
        assert result["name"] == "mcp__tools__add" and result["text"] == "SUM=5" and not result["isError"]
        assert result["mcp"]["server"] == "tools" and result["mcp"]["tool"] == "add" and result["mcp"]["bytes"] == 5
        assert result["mcp"]["durationMs"] > 0
        [call] = [e.data for e in client.trace(worker.id) if e.kind == "tool_call"]
        assert call["name"] == "mcp__tools__add" and call["input"] == {"a": 2, "b": 3}


def test_a_server_written_with_the_official_sdk(bosun_bin, scripted, tmp_path):
    config = world(tmp_path, scripted, f"""  sdk: {{ command: "{PYTHON}", args: ["{SERVERS / 'sdk_tools.py'}"] }}""")
    with client_for(bosun_bin, config, tmp_path) as client:
        worker = client.spawn("Multiply two numbers", role="toolsmith", wait=True)
        assert worker.state == "succeeded" and worker.result.text == "the model read PRODUCT=42", worker.error
        assert tool_results(client, worker.id)[0]["mcp"]["server"] == "sdk"


def test_a_role_without_the_tool_never_sees_or_calls_it(bosun_bin, scripted, tmp_path):
    config = world(tmp_path, scripted, fastmcp_server())
    with client_for(bosun_bin, config, tmp_path) as client:
        worker = client.spawn("Add two numbers", role="reader", wait=True)
        [result] = tool_results(client, worker.id)
        assert result["isError"] and result["text"].startswith("There is no tool named mcp__tools__add.")
        assert "mcp" not in result
        with pytest.raises(BosunError) as refused:
            client.spawn("Add two numbers", role="reader", tools=["mcp__tools__add"])
        assert refused.value.data == {"field": "tools"} and "does not grant mcp__tools__add" in refused.value.message
        # A role that grants it by a glob may hand one tool on; the spawn's list narrows it.
        narrowed = client.spawn("Add two numbers", role="toolsmith", tools=["mcp__tools__add"], wait=True)
        assert narrowed.state == "succeeded" and narrowed.result.text == "the model read SUM=5", narrowed.error


def test_a_server_killed_mid_session_is_started_again(bosun_bin, scripted, tmp_path):
    config = world(tmp_path, scripted, fastmcp_server())
    with client_for(bosun_bin, config, tmp_path) as client:
        worker = client.spawn("Survive a crash", role="toolsmith", wait=True)
        assert worker.state == "succeeded", worker.error
        first, died, again = tool_results(client, worker.id)
        assert first["text"].startswith("PID=") and again["text"].startswith("PID=")
        assert first["text"] != again["text"], "the same process answered after it died"
        assert died["isError"] and died["text"].startswith("MCP server tools: ")
        assert "exited with status 3" in died["text"] and "dying on purpose" in died["text"]


def test_results_are_bounded_summarised_named_and_kept_secret(bosun_bin, scripted, tmp_path):
    secret = "s3cr3t-mcp-token-value"
    config = world(tmp_path, scripted, fastmcp_server(env='{ SECRET_TOKEN: "${MCP_TEST_SECRET}" }'))
    with client_for(bosun_bin, config, tmp_path, env={"MCP_TEST_SECRET": secret}) as client:
        worker = client.spawn("Fetch the big one", role="toolsmith", wait=True)
        assert worker.state == "succeeded", worker.error
        big, picture, odd, token = tool_results(client, worker.id)
        assert big["mcp"]["bytes"] == 10_000_000 and len(big["text"]) < 101_000
        assert big["text"].endswith("[result cut: showing 100000 of 10000000 bytes]")
        assert picture["text"].startswith("a one-pixel picture\n[image: image/png, ") and "not shown]" in picture["text"]
        assert odd["text"] == "ODD=ok" and odd["mcp"]["tool"] == "odd.name/with spaces!"
        assert token["text"] == "TOKEN=[REDACTED]"
    stored = sqlite3.connect(tmp_path / "trace.sqlite")
    for table, column in (("events", "data_json"), ("messages", "content_json")):
        rows = stored.execute(f"select count(*) from {table} where {column} like ?", (f"%{secret}%",)).fetchone()
        assert rows == (0,), f"the secret reached {table}"
    assert stored.execute("select count(*) from events where data_json like '%TOKEN=[REDACTED]%'").fetchone()[0] > 0


def test_a_slow_tool_times_out_and_the_worker_goes_on(bosun_bin, scripted, tmp_path):
    config = world(tmp_path, scripted, fastmcp_server(), "mcp: { callTimeoutSeconds: 1 }")
    with client_for(bosun_bin, config, tmp_path) as client:
        worker = client.spawn("Wait for the slow one", role="toolsmith", wait=True)
        assert worker.state == "succeeded", worker.error
        [slow] = tool_results(client, worker.id)
        assert slow["isError"] and "MCP server tools: did not finish slow within 1 s" in slow["text"]


@pytest.mark.parametrize("servers, env, settings, says", [
    ('  ghost: { command: /nonexistent/bosun-mcp-server }', "{}", "",
     "MCP server ghost: cannot start its command"),
    (None, "{ MCP_TEST_GARBAGE: '1' }", "",
     'wrote something that is not a JSON-RPC message to stdout ("Welcome! Starting the tools server...")'),
    (None, "{ MCP_TEST_HANG: '1' }", "mcp: { startTimeoutSeconds: 8 }",
     "did not answer server/discover or initialize within 8 s (mcp.startTimeoutSeconds); "
     "its stderr ends with: loading a very large index"),
])
def test_a_server_that_cannot_start_fails_the_worker_clearly(bosun_bin, scripted, tmp_path, servers, env, settings, says):
    config = world(tmp_path, scripted, servers or fastmcp_server(env=env), settings)
    with client_for(bosun_bin, config, tmp_path) as client:
        worker = client.spawn("Add two numbers", role="toolsmith", wait=True)
        assert worker.state == "failed" and worker.error.code == "tool_error"
        assert says in worker.error.message, worker.error.message
        assert worker.error.message.startswith("The worker's tools cannot be set up: MCP server ")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(server, port):
    """Returns once `server` accepts on `port` (its own start time, not a guess)."""
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            assert time.monotonic() < deadline and server.poll() is None, "the HTTP server did not start"
            time.sleep(0.2)  # paces the connection attempts; the wait is for the port to accept


def http_server(port):
    """fastmcp's Streamable HTTP server on loopback, once it listens."""
    server = subprocess.Popen([PYTHON, str(SERVERS / "fastmcp_tools.py"), "http", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_port(server, port)
    return server


def test_a_streamable_http_server_on_loopback(bosun_bin, scripted, tmp_path):
    port = free_port()
    server = http_server(port)
    try:
        config = world(tmp_path, scripted, f'  web: {{ type: http, url: "http://127.0.0.1:{port}/mcp" }}')
        with client_for(bosun_bin, config, tmp_path) as client:
            worker = client.spawn("Add over HTTP", role="toolsmith", wait=True)
            assert worker.state == "succeeded" and worker.result.text == "the model read SUM=5", worker.error
            [result] = tool_results(client, worker.id)
            assert result["mcp"]["server"] == "web" and result["text"] == "SUM=5"
            # fastmcp speaks 2026-07-28, which has no HTTP sessions: a server that restarted
            # between two calls answers the next one as before (test_mcp_client_eras.py has
            # the session a server of the initialize era forgets).
            assert result["mcp"]["protocolVersion"] == "2026-07-28"
            server.terminate()
            server.wait(timeout=10)
            server = http_server(port)
            again = client.spawn("Add over HTTP", role="toolsmith", wait=True)
            assert again.state == "succeeded" and again.result.text == "the model read SUM=5", again.error
            [fresh] = tool_results(client, again.id)
            assert fresh["text"] == "SUM=5" and not fresh["isError"]
    finally:
        server.terminate()
        server.wait(timeout=10)


ACP_SCRIPT = """rules:
  - match: { system: "bosun's planner" }
    reply: { toolCalls: [{ name: submit_result, input: { subtasks: [{ id: a, role: toolsmith, brief: { task: "Add two numbers" } }] } }] }
  - match: { system: "bosun's synthesizer" }
    reply: { toolCalls: [{ name: submit_result, input: { text: "2 and 3 make 5.", sources: [{ workerId: "$enum[0]", claim: "sum" }], conflicts: [], gaps: [] } }] }
  - match: { lastMessage: "SUM=5" }
    reply: { toolCalls: [{ name: submit_result, input: { text: "the model read SUM=5" } }] }
  - match: { lastMessage: "Add two numbers" }
    reply: { toolCalls: [{ name: mcp__editor__add, input: { a: 2, b: 3 } }] }
"""


async def test_an_acp_clients_servers_serve_that_sessions_workers(bosun_bin, mock_provider, tmp_path):
    acp = pytest.importorskip("acp")
    from acp.schema import ClientCapabilities, EnvVariable, Implementation, McpServerStdio

    script = tmp_path / "mock.yaml"
    script.write_text(ACP_SCRIPT)
    port = mock_provider("--latency-ms", "5", "--tool-steps", "0", "--script", str(script))
    config = world(tmp_path, port, "  {}")

    class Client:
        async def session_update(self, *args, **kwargs):
            pass

    async with acp.spawn_agent_process(Client(), bosun_bin, "serve", "--config", str(config),
                                       cwd=str(tmp_path / "workspace"), env=dict(os.environ)) as (conn, _):
        init = await conn.initialize(protocol_version=1, client_capabilities=ClientCapabilities(),
                                     client_info=Implementation(name="pytest", version="1"))
        assert init.agent_capabilities.mcp_capabilities.http is True
        server = McpServerStdio(name="editor", command=PYTHON, args=[str(SERVERS / "fastmcp_tools.py")],
                                env=[EnvVariable(name="SECRET_TOKEN", value="editor-secret-value")])
        session = await conn.new_session(cwd=str(tmp_path / "workspace"), mcp_servers=[server])
        response = await conn.prompt(session_id=session.session_id, prompt=[acp.text_block("Add two numbers")])
        assert response.stop_reason == "end_turn"
    stored = sqlite3.connect(tmp_path / "trace.sqlite")
    [(data,)] = stored.execute("select data_json from events where kind = 'tool_result'").fetchall()
    assert '"server":"editor"' in data and "SUM=5" in data


def test_the_workspaces_mcp_json_is_used_only_when_the_config_opts_in_and_the_user_trusts_it(bosun_bin, scripted, tmp_path):
    workspace = tmp_path / "workspace"
    marker = tmp_path / "started"
    mcp_json = workspace / ".mcp.json"

    def write_mcp_json(tool_script):
        # The server's command leaves a mark when it runs, so the test sees whether it was started.
        mcp_json.write_text(json.dumps({"mcpServers": {"tools": {"command": "/bin/sh", "args": [
            "-c", f'touch "{marker}"; exec "{PYTHON}" "{tool_script}"']}}}))

    def add_two_numbers(config):
        with client_for(bosun_bin, config, tmp_path) as client:
            worker = client.spawn("Add two numbers", role="toolsmith", wait=True)
            [result] = tool_results(client, worker.id)
        return worker, result, (tmp_path / "serve.log").read_text()

    def not_started(result):
        assert result["isError"] and result["text"].startswith("There is no tool named mcp__tools__add."), result
        assert not marker.exists(), "an untrusted .mcp.json started its command"

    config = world(tmp_path, scripted, "  {}", "mcp: { workspaceServers: false }")
    write_mcp_json(SERVERS / "fastmcp_tools.py")
    subprocess.run([bosun_bin, "trust", str(workspace)], check=True, capture_output=True, timeout=60)
    not_started(add_two_numbers(config)[1])  # trusted, but the config does not opt in
    subprocess.run([bosun_bin, "trust", "--revoke", str(workspace)], check=True, capture_output=True, timeout=60)

    config = world(tmp_path, scripted, "  {}", "mcp: { workspaceServers: true }")
    _, result, log = add_two_numbers(config)
    not_started(result)
    assert "which you have not trusted" in log and f"bosun trust {workspace}" in log, log

    trusted = subprocess.run([bosun_bin, "trust", str(workspace)], capture_output=True, text=True, timeout=60)
    assert trusted.returncode == 0 and ".mcp.json" in trusted.stdout, trusted.stderr
    worker, result, log = add_two_numbers(config)
    assert worker.result.text == "the model read SUM=5" and result["mcp"]["server"] == "tools", result
    assert marker.exists() and "not starting" not in log
    marker.unlink()

    write_mcp_json(SERVERS / "sdk_tools.py")  # changed since it was trusted
    _, result, log = add_two_numbers(config)
    not_started(result)
    assert "which changed since you trusted it" in log and "bosun trust" in log, log
    shown = subprocess.run([bosun_bin, "trust", "--show", str(workspace)], capture_output=True, text=True, timeout=60)
    assert ".mcp.json" in shown.stdout and "NOT trusted: changed since it was trusted" in shown.stdout, shown.stdout


def test_config_check_shows_the_mcp_servers_a_session_would_have(bosun_bin, scripted, tmp_path):
    config = world(tmp_path, scripted, fastmcp_server(env='{ SECRET_TOKEN: "${MY_TOKEN}" }')
                   + '\n  gone: { command: "no-such-mcp-server-here" }', "mcp: { workspaceServers: true }")
    workspace = tmp_path / "workspace"
    (workspace / ".mcp.json").write_text(json.dumps({"mcpServers": {"extra": {"command": "true"}}}))
    env = dict(os.environ, MY_TOKEN="tok-3f9a77b1c2")

    def check():
        done = subprocess.run([bosun_bin, "config", "check", "--config", str(config), "--workspace", str(workspace)],
                              capture_output=True, text=True, env=env, timeout=60)
        assert done.returncode == 0, done.stderr
        return done.stdout, done.stderr

    out, err = check()
    assert "tok-3f9a77b1c2" not in out + err
    assert "SECRET_TOKEN: ${MY_TOKEN} (MY_TOKEN set)" in out, out
    assert "extra:" not in out.split("\nmcpServers:")[1], "an untrusted .mcp.json's server is no session's"
    assert "is NOT trusted: none of its servers starts (run bosun trust)" in out, out
    assert 'MCP server "gone" (mcpServers) cannot start here: no-such-mcp-server-here is not on PATH' in err, err
    assert f"not starting the servers of {workspace}/.mcp.json" in err, err

    subprocess.run([bosun_bin, "trust", str(workspace)], check=True, capture_output=True, timeout=60)
    out, err = check()
    assert f"source: {workspace}/.mcp.json" in out and f"{workspace}/.mcp.json is trusted; its servers: extra" in out, out
    assert ".mcp.json" not in err, err
