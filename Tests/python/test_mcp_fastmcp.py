"""A second, independent MCP client: `fastmcp`'s `Client` (PyPI) against `bosun serve` over
stdio, with the real binary and `bosun mock-provider`."""
import os

import pytest

fastmcp = pytest.importorskip("fastmcp")
from fastmcp import Client  # noqa: E402
from fastmcp.client.transports import StdioTransport  # noqa: E402
from fastmcp.exceptions import ToolError  # noqa: E402


def transport(world):
    return StdioTransport(command=world.binary, args=world.args(), cwd=str(world.workspace), env=dict(os.environ))


async def test_fastmcp_lists_calls_and_reports_errors(mcp_world):
    """The 2025-11-25 era: the initialize handshake."""
    progress = []

    async def on_progress(value, total, message):
        progress.append(value)

    async with Client(transport(mcp_world), mode="legacy") as client:
        assert client.protocol_version == "2025-11-25"
        assert client.initialize_result.server_info.name == "bosun"
        names = {tool.name for tool in await client.list_tools()}
        assert {"spawn", "status", "await"} <= names
        spawned = await client.call_tool("spawn", {"task": "Describe the workspace", "inputs": ["README.md"],
                                                   "wait": True}, progress_handler=on_progress)
        assert spawned.structured_content["state"] == "succeeded"
        assert spawned.structured_content["result"]["text"]
        assert progress, "no progress notifications"
        waited = await client.call_tool("await", {"workers": [spawned.structured_content["id"]]})
        assert [worker["state"] for worker in waited.structured_content["finished"]] == ["succeeded"]
        with pytest.raises(ToolError, match="pirate"):
            await client.call_tool("spawn", {"task": "Sail away", "role": "pirate"})
        assert await client.ping()


async def test_fastmcp_speaks_2026_07_28_by_default(mcp_world):
    """fastmcp probes server/discover (and checks its answer against the 2026-07-28 wire
    schema); bosun answers it, so the whole session is stateless MCP: no initialize."""
    progress = []

    async def on_progress(value, total, message):
        progress.append(value)

    async with Client(transport(mcp_world)) as client:
        assert client.protocol_version == "2026-07-28"
        assert client.initialize_result is None
        assert client.session.server_info.name == "bosun"
        names = [tool.name for tool in await client.list_tools()]
        assert names == [tool.name for tool in await client.list_tools()]  # the same order every time
        spawned = await client.call_tool("spawn", {"task": "Describe the workspace", "inputs": ["README.md"],
                                                   "wait": True}, progress_handler=on_progress)
        assert spawned.structured_content["state"] == "succeeded" and progress
        with pytest.raises(ToolError, match="pirate"):
            await client.call_tool("spawn", {"task": "Sail away", "role": "pirate"})
