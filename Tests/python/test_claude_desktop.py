"""clients/mcp/claude-desktop's configuration, started the way Claude Desktop starts it.

Claude Desktop runs a server's `command` with its `args` and `env` in `/`, and offers no
roots. The file's entry, with the binary under test, a workspace and an offline config in
place of the key, must give a session in that workspace whose workers run, through the
official MCP Python SDK's client.
"""
import json
import os
import subprocess

import pytest

from conftest import ROOT, write_mock_config

mcp = pytest.importorskip("mcp")
from mcp import Client, StdioServerParameters  # noqa: E402

CONFIG = ROOT / "clients" / "mcp" / "claude-desktop" / "claude_desktop_config.json"
PLACEHOLDER_WORKSPACE = "/path/to/your/project"


def entry():
    return json.loads(CONFIG.read_text())["mcpServers"]["bosun"]


def test_the_readme_shows_the_file_as_it_is():
    readme = (ROOT / "clients" / "mcp" / "README.md").read_text()
    section = readme[readme.index("## Claude Desktop"):]
    shown = section[section.index("```json\n") + 8:section.index("```", section.index("```json\n") + 8)]
    assert json.loads(shown) == json.loads(CONFIG.read_text())


def test_the_entry_names_the_installed_binary_a_workspace_and_the_key():
    bosun = entry()
    assert bosun["command"] == "/usr/local/bin/bosun"  # where `make install` puts it; the app's PATH may lack it
    assert bosun["args"][0] == "serve" and bosun["args"][1:] == ["--workspace", PLACEHOLDER_WORKSPACE]
    assert set(bosun["env"]) == {"ANTHROPIC_API_KEY"}  # the app passes no shell environment


async def test_claude_desktops_way_of_starting_it_runs_a_worker_in_the_workspace(bosun_bin, mock_provider, tmp_path):
    bosun = entry()
    workspace = tmp_path / "project"
    workspace.mkdir()
    config = write_mock_config(tmp_path, mock_provider("--tool-steps", "1"))
    args = [str(workspace) if arg == PLACEHOLDER_WORKSPACE else arg for arg in bosun["args"]]
    # The key stays the placeholder: the test's config puts every model on the mock instead.
    env = {**bosun["env"], "PATH": os.environ["PATH"], "HOME": str(tmp_path), "BOSUN_CONFIG": str(config),
           "XDG_STATE_HOME": str(tmp_path / "state"), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    server = StdioServerParameters(command=bosun_bin, args=args, env=env, cwd="/")
    async with Client(server, mode="legacy") as client:
        result = await client.call_tool("spawn", {"task": "Say what the project holds", "wait": True})
        assert not result.is_error, result.content
        assert result.structured_content["state"] == "succeeded", result.structured_content
    sessions = subprocess.run([bosun_bin, "trace", "sessions", "--db", str(tmp_path / "trace.sqlite")],
                              capture_output=True, text=True, check=True).stdout
    assert sessions.rstrip().endswith(str(workspace)), sessions
