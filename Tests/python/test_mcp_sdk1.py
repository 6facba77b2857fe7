"""bosun as an MCP server, driven by the last 1.x release of the official MCP Python SDK
(PyPI `mcp` 1.x) over stdio. 1.x cannot share a virtualenv with 2.x, so `make test` runs
this file from `.venv-mcp1` (see the Makefile); in the main venv it is skipped.

1.x's experimental task API drives task-augmented `spawn`: a worker is an MCP task.
"""
import json
import os
from contextlib import asynccontextmanager
from datetime import timedelta

import anyio
import pytest

mcp = pytest.importorskip("mcp")
from importlib.metadata import version  # noqa: E402

if not version("mcp").startswith("1."):
    pytest.skip("this file drives the 1.x SDK; test_mcp_sdk2.py drives 2.x", allow_module_level=True)

from mcp import ClientSession, StdioServerParameters, types  # noqa: E402
from mcp.client.stdio import stdio_client  # noqa: E402
from mcp.shared.exceptions import McpError  # noqa: E402


@asynccontextmanager
async def session(world, **callbacks):
    params = StdioServerParameters(command=world.binary, args=world.args(), cwd=str(world.workspace),
                                   env=dict(os.environ))
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write, read_timeout_seconds=timedelta(seconds=60), **callbacks) as client:
            init = await client.initialize()
            client.init = init
            yield client


def structured(result):
    assert not result.isError, result.content
    assert json.loads(result.content[-1].text) == result.structuredContent
    return result.structuredContent


async def test_initialize_tools_spawn_and_status(mcp_world):
    async with session(mcp_world) as client:
        assert client.init.protocolVersion == "2025-11-25"
        assert client.init.serverInfo.name == "bosun"
        assert client.init.capabilities.tasks is not None
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        assert {"spawn", "status", "await", "cancel", "steer", "trace", "roles", "verify", "synthesize", "orchestrate"} <= set(tools)
        assert tools["spawn"].execution.taskSupport == "optional"
        worker = structured(await client.call_tool("spawn", {"task": "Summarise the README", "wait": True}))
        assert worker["state"] == "succeeded"
        summary = structured(await client.call_tool("status", {}))
        assert summary["workers"][0]["id"] == worker["id"]
        roles = structured(await client.call_tool("roles", {}))
        assert any(role["name"] == "worker" for role in roles["roles"])


async def test_a_failing_tool_call_is_is_error_not_a_protocol_error(mcp_world):
    async with session(mcp_world) as client:
        result = await client.call_tool("steer", {"workerId": "w_missing", "message": "go on"})
        assert result.isError and "w_missing" in result.content[0].text
        bad = await client.call_tool("spawn", {"task": "Read", "limits": {"maxSteps": "many"}})
        assert bad.isError and "limits.maxSteps" in bad.content[0].text
        with pytest.raises(McpError) as unknown:
            await client.call_tool("no_such_tool", {})
        assert unknown.value.error.code == -32602


async def test_progress_and_cancellation(slow_mcp_world):
    reports = []
    two_reports = anyio.Event()

    async def on_progress(progress, total, message):
        reports.append(progress)
        if len(reports) >= 2:
            two_reports.set()

    async with session(slow_mcp_world) as client:
        request_id = client._request_id  # the id the next request gets; 1.x numbers them in order
        async with anyio.create_task_group() as group:
            async def spawn():
                with anyio.move_on_after(30):
                    await client.call_tool("spawn", {"task": "Walk slowly", "wait": True}, progress_callback=on_progress)
            group.start_soon(spawn)
            with anyio.move_on_after(30):  # the deadline, not a wait: the reports come first
                await two_reports.wait()
            await client.send_notification(types.ClientNotification(types.CancelledNotification(
                params=types.CancelledNotificationParams(requestId=request_id, reason="the user changed their mind"))))
            for _ in range(400):
                summary = structured(await client.call_tool("status", {}))
                if summary["session"]["counts"]["cancelled"] == 1:
                    break
                await anyio.sleep(0.02)  # paces the checks; the wait is for the cancelled count
            group.cancel_scope.cancel()
        assert len(reports) >= 2
        assert summary["session"]["counts"]["cancelled"] == 1, summary


async def test_spawn_as_a_task(mcp_world):
    async with session(mcp_world) as client:
        created = await client.experimental.call_tool_as_task("spawn", {"task": "Summarise the README"})
        task_id = created.task.taskId
        assert task_id.startswith("w_") and created.task.status == "working"
        async for status in client.experimental.poll_task(task_id):
            last = status
        assert last.status == "completed", last
        result = await client.experimental.get_task_result(task_id, types.CallToolResult)
        worker = structured(result)
        assert worker["id"] == task_id and worker["state"] == "succeeded"
        listed = await client.experimental.list_tasks()
        assert task_id in [task.taskId for task in listed.tasks]


async def test_cancelling_a_task(slow_mcp_world):
    async with session(slow_mcp_world) as client:
        created = await client.experimental.call_tool_as_task("spawn", {"task": "Walk slowly"})
        task_id = created.task.taskId
        cancelled = await client.experimental.cancel_task(task_id)
        assert cancelled.status == "cancelled"
        assert (await client.experimental.get_task(task_id)).status == "cancelled"
        with pytest.raises(McpError) as again:
            await client.experimental.cancel_task(task_id)
        assert again.value.error.code == -32602
        with pytest.raises(McpError) as unknown:
            await client.experimental.get_task("w_nosuchtask")
        assert unknown.value.error.code == -32602
