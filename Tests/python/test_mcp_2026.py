"""bosun as an MCP 2026-07-28 server, beside 2025-11-25 on the same binary: the official
`mcp` SDK 2.x client in its default mode (it probes `server/discover`, which bosun answers)
and pinned to 2026-07-28; raw NDJSON for what the SDK does not reach (mcp 2.3.0 has no
client for the tasks extension): `_meta` checks, the renumbered errors, `resultType`,
cacheable `tools/list`, and tasks as `io.modelcontextprotocol/tasks`."""
import os

import pytest

mcp = pytest.importorskip("mcp")
from mcp import Client, StdioServerParameters  # noqa: E402

from test_mcp_wire import MCPServer, wire as modern  # noqa: E402,F401 (modern: a fixture)

MODERN = "2026-07-28"
TASKS = "io.modelcontextprotocol/tasks"


def meta(version=MODERN, capabilities=None):
    return {"io.modelcontextprotocol/protocolVersion": version,
            "io.modelcontextprotocol/clientCapabilities": capabilities if capabilities is not None else {},
            "io.modelcontextprotocol/clientInfo": {"name": "pytest", "version": "1"}}


def server(world):
    return StdioServerParameters(command=world.binary, args=world.args(), cwd=str(world.workspace), env=dict(os.environ))


@pytest.mark.parametrize("mode", ["auto", MODERN])
async def test_the_sdk_client_speaks_2026_07_28(mcp_world, mode):
    progress = []

    async def on_progress(value, total, message):
        progress.append(value)

    async with Client(server(mcp_world), mode=mode) as client:
        assert client.protocol_version == MODERN
        if mode == "auto":  # what server/discover said
            assert client.server_info.name == "bosun"
            assert TASKS in client.server_capabilities.extensions
            assert "spawn" in client.instructions
        listed = await client.list_tools()
        assert {"spawn", "status", "await", "orchestrate"} <= {tool.name for tool in listed.tools}
        assert [tool.name for tool in listed.tools] == [tool.name for tool in (await client.list_tools()).tools]
        worker = await client.call_tool("spawn", {"task": "Summarise the README", "inputs": ["README.md"], "wait": True},
                                        progress_callback=on_progress)
        assert worker.structured_content["state"] == "succeeded", worker
        assert progress, "no progress notifications"
        refused = await client.call_tool("spawn", {"task": "Sail", "role": "pirate"})
        assert refused.is_error and "pirate" in refused.content[0].text


async def test_the_sdk_client_in_2025_11_25_mode_on_the_same_binary(mcp_world):
    async with Client(server(mcp_world), mode="legacy") as client:
        assert client.protocol_version == "2025-11-25"
        worker = await client.call_tool("spawn", {"task": "Summarise the README", "wait": True})
        assert worker.structured_content["state"] == "succeeded"


def test_discover_results_and_cacheable_tool_lists(modern):
    discovered = modern.result("server/discover", {"_meta": meta()})
    assert discovered["resultType"] == "complete"
    assert discovered["supportedVersions"][0] == MODERN and "2025-11-25" in discovered["supportedVersions"]
    assert discovered["capabilities"]["extensions"] == {TASKS: {}}
    assert discovered["_meta"]["io.modelcontextprotocol/serverInfo"]["name"] == "bosun"
    assert discovered["ttlMs"] > 0 and discovered["cacheScope"] == "public"

    listed = modern.result("tools/list", {"_meta": meta()})
    assert listed["resultType"] == "complete" and listed["ttlMs"] > 0 and listed["cacheScope"] == "public"
    again = modern.result("tools/list", {"_meta": meta()})
    assert [t["name"] for t in listed["tools"]] == [t["name"] for t in again["tools"]]

    called = modern.result("tools/call", {"name": "roles", "arguments": {}, "_meta": meta()})
    assert called["resultType"] == "complete" and not called["isError"] and called["structuredContent"]["roles"]


def test_meta_is_checked_on_every_request(modern):
    unsupported = modern.request("tools/list", {"_meta": meta(version="1900-01-01")})["error"]
    assert unsupported["code"] == -32022  # UnsupportedProtocolVersionError, as renumbered
    assert unsupported["data"] == {"supported": [MODERN], "requested": "1900-01-01"}
    missing = modern.request("tools/call", {"name": "roles", "arguments": {}})["error"]
    assert missing["code"] == -32602 and "io.modelcontextprotocol/protocolVersion" in missing["message"]
    no_capabilities = modern.request("tools/list", {"_meta": {"io.modelcontextprotocol/protocolVersion": MODERN}})["error"]
    assert no_capabilities["code"] == -32602 and "io.modelcontextprotocol/clientCapabilities" in no_capabilities["message"]
    not_a_string = modern.request("tools/list", {"_meta": meta(version=2026)})["error"]
    assert not_a_string["code"] == -32602
    gone = modern.request("ping", {"_meta": meta()})["error"]
    assert gone["code"] == -32601 and "server/discover" in gone["message"]
    handshake = modern.request("initialize", {"protocolVersion": "2025-11-25", "capabilities": {}})["error"]
    assert handshake["code"] == -32600 and MODERN in handshake["message"]


def test_a_waiting_spawn_is_a_task_for_a_client_that_takes_tasks(modern, mcp_world):
    tasks = meta(capabilities={"extensions": {TASKS: {}}})
    created = modern.result("tools/call", {"name": "spawn", "arguments": {"task": "Summarise the README", "wait": True},
                                           "_meta": tasks})
    assert created["resultType"] == "task" and created["status"] == "working", created
    assert created["taskId"].startswith("w_") and created["ttlMs"] is None and created["pollIntervalMs"] > 0
    task_id = created["taskId"]
    for _ in range(600):  # poll as the extension says, until the worker (20 ms model calls) ends
        polled = modern.result("tasks/get", {"taskId": task_id, "_meta": tasks})
        assert polled["resultType"] == "complete"
        if polled["status"] != "working":
            break
        modern.request("tools/call", {"name": "await", "arguments": {"workers": [task_id], "timeoutSeconds": 1},
                                      "_meta": tasks})
    assert polled["status"] == "completed", polled
    assert polled["result"]["structuredContent"]["state"] == "succeeded"
    assert modern.result("tasks/update", {"taskId": task_id, "inputResponses": {}, "_meta": tasks}) == {"resultType": "complete"}
    assert modern.result("tasks/cancel", {"taskId": task_id, "_meta": tasks}) == {"resultType": "complete"}

    # Without the extension the same call waits and answers the worker itself.
    waited = modern.result("tools/call", {"name": "spawn", "arguments": {"task": "Summarise the README", "wait": True},
                                          "_meta": meta()})
    assert waited["resultType"] == "complete" and waited["structuredContent"]["state"] == "succeeded"


def test_tasks_cancel_stops_the_worker(slow_mcp_world):
    wire = MCPServer(slow_mcp_world)
    try:
        tasks = meta(capabilities={"extensions": {TASKS: {}}})
        created = wire.result("tools/call", {"name": "spawn", "arguments": {"task": "Walk slowly", "wait": True},
                                             "_meta": tasks})
        assert wire.result("tasks/cancel", {"taskId": created["taskId"], "_meta": tasks}) == {"resultType": "complete"}
        polled = wire.result("tasks/get", {"taskId": created["taskId"], "_meta": tasks})
        assert polled["status"] == "cancelled", polled
    finally:
        wire.proc.kill()


def test_tasks_get_for_another_sessions_task_is_refused(mcp_world):
    first = MCPServer(mcp_world)
    second = MCPServer(mcp_world)
    try:
        tasks = meta(capabilities={"extensions": {TASKS: {}}})
        created = first.result("tools/call", {"name": "spawn", "arguments": {"task": "Summarise", "wait": True},
                                              "_meta": tasks})
        # The same trace store, another session: its task is not this session's to read.
        refused = second.request("tasks/get", {"taskId": created["taskId"], "_meta": tasks})["error"]
        assert refused["code"] == -32602 and created["taskId"] in refused["message"]
        assert refused["data"] == {"field": "taskId"}
        unknown = second.request("tasks/update", {"taskId": "w_unknown", "inputResponses": {}, "_meta": tasks})["error"]
        assert unknown["code"] == -32602
    finally:
        first.proc.kill()
        second.proc.kill()


@pytest.mark.parametrize("era", [MODERN, "2025-11-25"])
def test_the_callers_traceparent_joins_the_workers_span(mcp_world, era):
    """`_meta.traceparent` (W3C trace context, as OpenTelemetry carries it in MCP): the
    worker's exported span links to the caller's span; a malformed one is ignored."""
    import json
    import subprocess

    trace_id, span_id = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
    wire = MCPServer(mcp_world)
    try:
        if era == MODERN:
            extra = meta()
        else:
            wire.initialize(era)
            extra = {}
        worker = wire.result("tools/call", {"name": "spawn", "arguments": {"task": "Summarise", "wait": True},
                                            "_meta": {**extra, "traceparent": f"00-{trace_id}-{span_id}-01"}})
        plain = wire.result("tools/call", {"name": "spawn", "arguments": {"task": "Summarise", "wait": True},
                                           "_meta": {**extra, "traceparent": "00-not-a-trace-01"}})
        session = wire.result("tools/call", {"name": "status", "arguments": {}, "_meta": extra})
        session_id = session["structuredContent"]["session"]["id"]
    finally:
        wire.close()
    exported = json.loads(subprocess.run([mcp_world.binary, "trace", "export", "--db", str(mcp_world.db), session_id,
                                          "--format", "otlp-json"], check=True, capture_output=True, text=True).stdout)
    spans = {attribute["value"]["stringValue"]: span
             for span in exported["resourceSpans"][0]["scopeSpans"][0]["spans"] if span["name"].startswith("invoke_agent")
             for attribute in span["attributes"] if attribute["key"] == "bosun.worker.id"}
    [link] = spans[worker["structuredContent"]["id"]]["links"]
    assert link["traceId"] == trace_id and link["spanId"] == span_id
    assert spans[plain["structuredContent"]["id"]]["links"] == []
