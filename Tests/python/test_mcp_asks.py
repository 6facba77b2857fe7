"""A worker's ask over MCP, with the official `mcp` SDK 2.x client against the real binary
and the mock provider, whose script plays a worker that asks which database to use and
submits what it was told (or that it decided itself).

2025-11-25: a client that declares elicitation gets `elicitation/create` (a form whose
`answer` is one of the options) and its callback answers the worker; declining denies it.
A client without elicitation gets the waiting worker from `spawn`, with the ask and the
`answer` tool named, and answers with that tool. 2026-07-28: the SDK client's
`input_required` round trip (the asks as input requests, its retry answering them), and
raw NDJSON for the tasks extension, which the SDK has no client for: `tasks/get` reports
`input_required` with the ask and `tasks/update` answers it."""
import os
import time

import pytest

mcp = pytest.importorskip("mcp")
from mcp import Client, StdioServerParameters, types  # noqa: E402

from conftest import MCPWorld  # noqa: E402
from test_mcp_wire import MCPServer  # noqa: E402

MODERN = "2026-07-28"
TASKS = "io.modelcontextprotocol/tasks"
QUESTION = "Which database?"
SCRIPT = """rules:
  - match: { system: "You ask first", lastMessage: "The answer (from" }
    reply: { toolCalls: [{ name: submit_result, input: { text: "Done, as answered." } }] }
  - match: { system: "You ask first", lastMessage: "No answer" }
    reply: { toolCalls: [{ name: submit_result, input: { text: "Decided myself." } }] }
  - match: { system: "You ask first", turn: 0 }
    reply: { toolCalls: [{ name: ask, input: { question: "Which database?", options: ["postgres", "sqlite"] } }] }
  - match: { system: "You list carefully", lastMessage: "README.md" }
    reply: { toolCalls: [{ name: submit_result, input: { text: "Listed." } }] }
  - match: { system: "You list carefully", turn: 1 }
    reply: { toolCalls: [{ name: submit_result, input: { text: "Not allowed to list." } }] }
  - match: { system: "You list carefully", turn: 0 }
    reply: { toolCalls: [{ name: list_files, input: { path: "." } }] }
"""


@pytest.fixture
def ask_world(bosun_bin, mock_provider, tmp_path):
    script = tmp_path / "mock.yaml"
    script.write_text(SCRIPT)
    world = MCPWorld(bosun_bin, tmp_path, mock_provider("--latency-ms", "5", "--script", str(script)))
    world.config.write_text(world.config.read_text()
                            + 'roles:\n  asker: { tools: [ask, list_files], prompt: "You ask first." }\n'
                            + '  lister: { tools: [list_files], prompt: "You list carefully.", approval: { ask: [list_files] } }\n')
    return world


def server(world):
    return StdioServerParameters(command=world.binary, args=world.args(), cwd=str(world.workspace), env=dict(os.environ))


def answered_with(trace):
    return [event["data"] for event in trace["events"] if event["kind"] == "answered"]


async def trace_of(client, worker_id):
    return (await client.call_tool("trace", {"workerId": worker_id})).structured_content


@pytest.mark.parametrize("mode", ["legacy", MODERN])
async def test_the_sdk_clients_elicitation_answers_a_workers_ask(ask_world, mode):
    asked = []

    async def on_elicit(context, params):
        asked.append(params)
        return types.ElicitResult(action="accept", content={"answer": "sqlite"})

    async with Client(server(ask_world), mode=mode, elicitation_callback=on_elicit) as client:
        worker = await client.call_tool("spawn", {"task": "Pick a database", "role": "asker", "wait": True})
        assert worker.structured_content["state"] == "succeeded", worker
        assert worker.structured_content["result"]["text"] == "Done, as answered."
        [form] = asked
        assert form.mode == "form" and QUESTION in form.message
        choice = form.requested_schema["properties"]["answer"]
        assert [option["const"] for option in choice["oneOf"]] == ["postgres", "sqlite"]
        assert form.requested_schema["required"] == ["answer"]
        [answer] = answered_with(await trace_of(client, worker.structured_content["id"]))
        assert answer["text"] == "sqlite" and answer["answeredBy"] == "client"


@pytest.mark.parametrize("decision, result", [("allow", "Listed."), ("deny", "Not allowed to list.")])
async def test_a_permission_ask_is_a_form_of_the_decisions(ask_world, decision, result):
    asked = []

    async def on_elicit(context, params):
        asked.append(params)
        return types.ElicitResult(action="accept", content={"decision": decision})

    async with Client(server(ask_world), mode="legacy", elicitation_callback=on_elicit) as client:
        worker = await client.call_tool("spawn", {"task": "List the workspace", "role": "lister", "wait": True})
        assert worker.structured_content["result"]["text"] == result, worker
        [form] = asked
        assert "list_files" in form.message
        choice = form.requested_schema["properties"]["decision"]
        assert [option["const"] for option in choice["oneOf"]] == ["allow", "allow_always", "deny"]
        [answer] = answered_with(await trace_of(client, worker.structured_content["id"]))
        assert answer["decision"] == decision


async def test_declining_the_form_denies_the_ask(ask_world):
    async def on_elicit(context, params):
        return types.ElicitResult(action="decline")

    async with Client(server(ask_world), mode="legacy", elicitation_callback=on_elicit) as client:
        worker = await client.call_tool("spawn", {"task": "Pick a database", "role": "asker", "wait": True})
        assert worker.structured_content["result"]["text"] == "Decided myself.", worker
        [answer] = answered_with(await trace_of(client, worker.structured_content["id"]))
        assert answer["decision"] == "deny"


@pytest.mark.parametrize("mode", ["legacy", MODERN])
async def test_a_client_without_elicitation_sees_the_waiting_worker_and_the_answer_tool(ask_world, mode):
    async with Client(server(ask_world), mode=mode) as client:
        assert "answer" in {tool.name for tool in (await client.list_tools()).tools}
        waiting = await client.call_tool("spawn", {"task": "Pick a database", "role": "asker", "wait": True})
        assert not waiting.is_error
        worker = waiting.structured_content
        assert worker["state"] == "waiting", waiting
        [ask] = worker["asks"]
        advice = waiting.content[0].text
        assert QUESTION in advice and "answer" in advice and ask["askId"] in advice, advice
        answered = await client.call_tool("answer", {"askId": ask["askId"], "text": "postgres"})
        assert not answered.is_error and answered.structured_content["workerId"] == worker["id"], answered
        done = await client.call_tool("await", {"workers": [worker["id"]]})
        [finished] = done.structured_content["finished"]
        assert finished["state"] == "succeeded" and finished["result"]["text"] == "Done, as answered."


def meta(elicitation=True):
    capabilities = {"extensions": {TASKS: {}}}
    if elicitation:
        capabilities["elicitation"] = {"form": {}}
    return {"io.modelcontextprotocol/protocolVersion": MODERN, "io.modelcontextprotocol/clientCapabilities": capabilities,
            "io.modelcontextprotocol/clientInfo": {"name": "pytest", "version": "1"}}


def test_a_2026_task_reports_input_required_and_tasks_update_answers(ask_world):
    wire = MCPServer(ask_world)
    try:
        task = wire.result("tools/call", {"name": "spawn", "arguments": {"task": "Pick a database", "role": "asker",
                                                                           "wait": True}, "_meta": meta()})
        assert task["resultType"] == "task", task
        task_id = task["taskId"]

        def poll(until, capabilities=meta()):
            for _ in range(600):
                got = wire.result("tasks/get", {"taskId": task_id, "_meta": capabilities})
                if until(got):
                    return got
                time.sleep(0.05)  # the poll interval: the test waits for the state, this only paces the polls
            raise AssertionError(f"the task never got there: {got}")

        waiting = poll(lambda t: t["status"] == "input_required")
        [(ask_id, request)] = waiting["inputRequests"].items()
        assert request["method"] == "elicitation/create" and QUESTION in request["params"]["message"], request
        assert waiting["resultType"] == "complete"
        # A client that cannot elicit is shown the ask and the answer tool instead.
        plain = wire.result("tasks/get", {"taskId": task_id, "_meta": meta(elicitation=False)})
        assert plain["status"] == "working" and "inputRequests" not in plain, plain
        assert ask_id in plain["statusMessage"] and "answer" in plain["statusMessage"], plain

        bad = wire.request("tasks/update", {"taskId": task_id, "_meta": meta(),
                                            "inputResponses": {ask_id: {"action": "accept", "content": {"answer": "mysql"}}}})
        assert bad["error"]["code"] == -32602 and ask_id in bad["error"]["message"], bad
        ignored = wire.result("tasks/update", {"taskId": task_id, "_meta": meta(),
                                               "inputResponses": {"a_not_asked": {"action": "decline"}}})
        assert ignored == {"resultType": "complete"}
        assert wire.result("tasks/get", {"taskId": task_id, "_meta": meta()})["status"] == "input_required"

        ack = wire.result("tasks/update", {"taskId": task_id, "_meta": meta(),
                                           "inputResponses": {ask_id: {"action": "accept", "content": {"answer": "postgres"}}}})
        assert ack == {"resultType": "complete"}
        done = poll(lambda t: t["status"] == "completed")
        assert done["result"]["structuredContent"]["result"]["text"] == "Done, as answered.", done
    finally:
        wire.proc.kill()
