"""bosun as an MCP server, driven by the official MCP Python SDK's current client (PyPI
`mcp` 2.x) over stdio, against the real binary and `bosun mock-provider`.

These tests speak the 2025-11-25 era (`mode="legacy"`: the `initialize` handshake, roots,
logging, ping). By default the 2.x `Client` probes `server/discover` first and, since bosun
answers it, speaks 2026-07-28: test_mcp_2026.py covers that era.
"""
import json
import os
import sqlite3

import anyio
import pytest

mcp = pytest.importorskip("mcp")
from importlib.metadata import version  # noqa: E402

if not version("mcp").startswith("2."):
    pytest.skip("this file drives the 2.x SDK; test_mcp_sdk1.py drives 1.x", allow_module_level=True)

from mcp import Client, StdioServerParameters  # noqa: E402
from mcp import types  # noqa: E402

TOOLS = {"spawn", "steer", "cancel", "await", "status", "trace", "roles", "verify", "synthesize", "orchestrate"}


def server(world, *extra, cwd=None):
    return StdioServerParameters(command=world.binary, args=world.args(*extra),
                                 cwd=str(cwd or world.workspace), env=dict(os.environ))


def structured(result):
    """The structured content, after checking the text block carries the same JSON."""
    assert result.structured_content is not None, result
    texts = [block.text for block in result.content if block.type == "text"]
    assert json.loads(texts[-1]) == result.structured_content
    return result.structured_content


async def test_initialize_lists_tools_and_runs_a_worker(mcp_world):
    async with Client(server(mcp_world), mode="legacy") as client:
        assert client.protocol_version == "2025-11-25"
        assert client.server_info.name == "bosun" and client.server_info.title
        capabilities = client.server_capabilities
        assert capabilities.tools is not None and capabilities.logging is not None
        assert "spawn" in client.instructions and "await" in client.instructions

        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        assert TOOLS <= set(tools), sorted(tools)
        for tool in tools.values():
            assert tool.title and len(tool.description) > 40, tool.name
            assert tool.input_schema["type"] == "object" and tool.output_schema["type"] == "object"
            assert tool.annotations.destructive_hint is False, tool.name
        assert tools["status"].annotations.read_only_hint is True
        assert tools["spawn"].annotations.read_only_hint is False

        worker = structured(await client.call_tool("spawn", {"task": "Summarise the README", "inputs": ["README.md"],
                                                             "wait": True}))
        assert worker["state"] == "succeeded" and worker["result"]["text"], worker
        one = structured(await client.call_tool("status", {"workerId": worker["id"]}))
        assert one["id"] == worker["id"] and one["state"] == "succeeded"
        summary = structured(await client.call_tool("status", {}))
        assert summary["session"]["counts"]["succeeded"] == 1
        assert (await client.send_ping()) is not None


async def test_tool_errors_come_back_as_is_error_with_what_to_do(mcp_world):
    async with Client(server(mcp_world), mode="legacy") as client:
        unknown_role = await client.call_tool("spawn", {"task": "Count the files", "role": "pirate"})
        assert unknown_role.is_error
        text = unknown_role.content[0].text
        assert "pirate" in text and "worker" in text, text  # names the known roles

        missing = await client.call_tool("spawn", {"inputs": ["README.md"]})
        assert missing.is_error and "task" in missing.content[0].text

        unknown_worker = await client.call_tool("status", {"workerId": "w_nosuchworker"})
        assert unknown_worker.is_error and "w_nosuchworker" in unknown_worker.content[0].text

        failed = await client.call_tool("spawn", {"task": "Take more steps than allowed", "wait": True,
                                                  "limits": {"maxSteps": 1}})
        assert failed.is_error
        assert failed.structured_content["state"] == "failed"
        assert failed.structured_content["error"]["code"] == "max_steps"
        assert "maxSteps" in failed.content[0].text  # says which limit to raise


async def test_a_timed_out_spawn_says_to_raise_its_timeout(slow_mcp_world):
    async with Client(server(slow_mcp_world)) as client:
        timed_out = await client.call_tool("spawn", {"task": "Walk the workspace slowly", "wait": True,
                                                     "limits": {"timeoutSeconds": 0.5}})
        assert timed_out.is_error
        assert timed_out.structured_content["state"] == "timed_out"
        assert timed_out.structured_content["error"]["code"] == "timeout"
        advice = timed_out.content[0].text
        # The advice for a timeout, not the generic one for a code it does not know.
        assert "Spawn again with a higher limits.timeoutSeconds" in advice and "Read its trace" not in advice, advice


async def test_progress_notifications_follow_the_workers_steps(mcp_world):
    reports = []

    async def on_progress(progress, total, message):
        reports.append((progress, total, message))

    async with Client(server(mcp_world), mode="legacy") as client:
        worker = structured(await client.call_tool("spawn", {"task": "List the workspace", "wait": True},
                                                   progress_callback=on_progress))
    assert worker["state"] == "succeeded"
    assert len(reports) >= 2, reports
    counts = [progress for progress, _, _ in reports]
    assert counts == sorted(counts) and len(set(counts)) == len(counts), reports  # strictly increasing
    assert all(message for _, _, message in reports), reports


async def test_cancelling_a_waiting_spawn_cancels_its_worker(slow_mcp_world):
    async with Client(server(slow_mcp_world), mode="legacy") as client:
        # The client gives up at the worker's first progress report, so it is surely running;
        # the SDK sends notifications/cancelled when it gives up.
        with anyio.CancelScope() as waiting:
            async def give_up(progress, total, message):
                waiting.cancel()
            await client.call_tool("spawn", {"task": "Walk the workspace slowly", "wait": True}, progress_callback=give_up)
        for _ in range(200):
            summary = structured(await client.call_tool("status", {}))
            if summary["session"]["counts"]["cancelled"] == 1:
                break
            await anyio.sleep(0.05)  # paces the checks; the wait is for the cancelled count
        assert summary["session"]["counts"]["cancelled"] == 1, summary
        assert summary["session"]["counts"]["running"] == 0


async def test_the_workspace_comes_from_the_clients_roots(mcp_world, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    async def list_roots(context):
        return types.ListRootsResult(roots=[types.Root(uri=mcp_world.workspace.as_uri(), name="workspace")])

    async with Client(server(mcp_world, cwd=elsewhere), mode="legacy", list_roots_callback=list_roots) as client:
        worker = structured(await client.call_tool("spawn", {"task": "Read the README", "wait": True}))
        assert worker["state"] == "succeeded"
    with sqlite3.connect(mcp_world.db) as db:
        roots = [row[0] for row in db.execute("SELECT workspace_root FROM sessions")]
    assert roots == [str(mcp_world.workspace.resolve())], roots


async def test_log_messages_arrive_after_logging_set_level(mcp_world):
    messages = []
    arrived = anyio.Event()

    async def on_log(params):
        messages.append(params)
        arrived.set()

    async with Client(server(mcp_world), mode="legacy", logging_callback=on_log) as client:
        await client.set_logging_level("debug")
        structured(await client.call_tool("spawn", {"task": "Say hello", "wait": True}))
        with anyio.move_on_after(10):  # the deadline, not a wait: the message comes first
            await arrived.wait()
    assert messages, "no notifications/message after logging/setLevel debug"
    assert all(m.level in ("debug", "info", "notice", "warning", "error") for m in messages)
