"""What an MCP client that names no workspace (Claude Desktop starts servers in / and offers no
roots) and a broken config get told: at once, in `initialize`'s instructions and on stderr,
and again by every tool call, with the setting to change. Official MCP Python SDK 2.x."""
import json
import os
import subprocess

import pytest

mcp = pytest.importorskip("mcp")
from importlib.metadata import version  # noqa: E402

if not version("mcp").startswith("2."):
    pytest.skip("this file drives the 2.x SDK", allow_module_level=True)

from mcp import Client, StdioServerParameters  # noqa: E402


def texts(result):
    return " ".join(block.text for block in result.content if block.type == "text")


def server(bosun_bin, tmp_path, *args, cwd, env=None):
    """bosun serve in `cwd`, its stderr kept in tmp_path/stderr.log (through a shell, which
    leaves the MCP stdio untouched)."""
    argv = [bosun_bin, "serve", "--db", str(tmp_path / "trace.sqlite"), *args]
    return StdioServerParameters(command="/bin/sh", args=["-c", f'exec "$@" 2>>"{tmp_path}/stderr.log"', "sh", *argv],
                                 cwd=cwd, env={**os.environ, **(env or {})})


async def test_started_in_the_filesystem_root_without_roots_bosun_refuses_and_says_how(bosun_bin, tmp_path):
    parameters = server(bosun_bin, tmp_path, cwd="/")
    async with Client(parameters) as client:
        assert "bosun has no workspace" in client.instructions
        assert '"--workspace"' in client.instructions and '"cwd"' in client.instructions
        result = await client.call_tool("status", {})
        assert result.is_error
        assert "bosun has no workspace" in texts(result) and "--workspace" in texts(result)
    assert "bosun has no workspace" in (tmp_path / "stderr.log").read_text()


async def test_the_workspace_flag_gives_it_one(bosun_bin, tmp_path):
    workspace = tmp_path / "project"
    workspace.mkdir()
    (workspace / "notes.txt").write_text("hello\n")
    parameters = server(bosun_bin, tmp_path, "--workspace", str(workspace), "--mock", cwd="/")
    async with Client(parameters) as client:
        assert "no workspace" not in client.instructions
        result = await client.call_tool("spawn", {"task": "List the files", "wait": True})
        assert not result.is_error, texts(result)
        assert result.structured_content["state"] == "succeeded"


async def test_a_broken_config_is_reported_at_initialize(bosun_bin, tmp_path):
    config = tmp_path / "broken.yaml"
    config.write_text("roles:\n  coder:\n    timeoutSecond: 5\n")
    parameters = server(bosun_bin, tmp_path, cwd=str(tmp_path), env={"BOSUN_CONFIG": str(config)})
    async with Client(parameters) as client:
        assert "configuration is invalid" in client.instructions
        assert "roles.coder.timeoutSecond: unknown key (did you mean 'timeoutSeconds'?)" in client.instructions
    assert "roles.coder.timeoutSecond" in (tmp_path / "stderr.log").read_text()


def test_an_initialize_client_hears_it_in_instructions_and_every_tool_call(bosun_bin, tmp_path):
    """The 2025-11-25 handshake (Claude Desktop's): the same refusal, over raw stdio."""
    messages = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize",
         "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "desktop", "version": "1"}}},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "status", "arguments": {}}},
    ]
    process = subprocess.run([bosun_bin, "serve", "--db", str(tmp_path / "trace.sqlite")], cwd="/", timeout=60,
                             input="".join(json.dumps(message) + "\n" for message in messages),
                             capture_output=True, text=True)
    answers = {answer["id"]: answer for answer in map(json.loads, process.stdout.splitlines()) if "id" in answer}
    assert "bosun has no workspace" in answers[1]["result"]["instructions"]
    call = answers[2]["result"]
    assert call["isError"] and '"--workspace"' in call["content"][0]["text"]
    assert "bosun has no workspace" in process.stderr
