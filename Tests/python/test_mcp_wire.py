"""MCP mode over raw JSON-RPC: what the SDKs hide. Every tool's schemas against real calls,
bad input as the MCP specification wants it answered, tasks (status notifications, a
`tasks/result` that blocks, durability across `kill -9`), and cancellation that sends no
answer."""
import json
import os
import queue
import signal
import subprocess
import threading
import time

import pytest
from jsonschema import Draft202012Validator

LATEST = "2025-11-25"


class MCPServer:
    """`bosun serve` spoken to in newline-delimited JSON, one reader thread filing answers by
    id and keeping notifications in arrival order."""

    def __init__(self, world, *extra, env=None):
        self.proc = subprocess.Popen(world.command(*extra), cwd=world.workspace, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, bufsize=0,
                                     env={**os.environ, **(env or {})})
        self.answers: dict = {}
        self.arrived = threading.Condition()
        self.notifications: "queue.Queue[dict]" = queue.Queue()
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            message = json.loads(line)
            if "method" in message:
                self.notifications.put(message)
            else:
                with self.arrived:
                    self.answers[message.get("id")] = message
                    self.arrived.notify_all()

    def send(self, message):
        self.proc.stdin.write(json.dumps(message).encode() + b"\n")

    def start(self, method, params=None):
        self.next_id += 1
        message = {"jsonrpc": "2.0", "id": self.next_id, "method": method}
        if params is not None:
            message["params"] = params
        self.send(message)
        return self.next_id

    def answer(self, request_id, timeout=60):
        with self.arrived:
            assert self.arrived.wait_for(lambda: request_id in self.answers, timeout), f"no answer to {request_id}"
            return self.answers.pop(request_id)

    def request(self, method, params=None):
        return self.answer(self.start(method, params))

    def result(self, method, params=None):
        reply = self.request(method, params)
        assert "result" in reply, reply
        return reply["result"]

    def notify(self, method, params=None):
        self.send({"jsonrpc": "2.0", "method": method, **({"params": params} if params is not None else {})})

    def initialize(self, version=LATEST):
        result = self.result("initialize", {"protocolVersion": version, "capabilities": {},
                                            "clientInfo": {"name": "wire-test", "version": "1"}})
        self.notify("notifications/initialized")
        return result

    def call(self, tool, arguments=None, **params):
        return self.result("tools/call", {"name": tool, "arguments": arguments or {}, **params})

    def notification(self, method, predicate=lambda params: True, timeout=30):
        while True:
            note = self.notifications.get(timeout=timeout)
            if note["method"] == method and predicate(note.get("params", {})):
                return note["params"]

    def close(self):
        self.proc.stdin.close()
        return self.proc.wait(timeout=30)


@pytest.fixture
def wire(mcp_world):
    server = MCPServer(mcp_world)
    yield server
    server.proc.kill()


def structured(result):
    assert not result.get("isError"), result
    assert result["content"][0]["type"] == "text"
    assert json.loads(result["content"][0]["text"]) == result["structuredContent"]
    return result["structuredContent"]


def tool_error(result):
    assert result.get("isError") is True, result
    return result["content"][0]["text"]


@pytest.mark.parametrize("version", ["2025-11-25", "2025-06-18", "2025-03-26"])
def test_each_supported_version_is_answered_as_asked(mcp_world, version):
    server = MCPServer(mcp_world)
    try:
        assert server.initialize(version)["protocolVersion"] == version
    finally:
        server.proc.kill()


def test_an_unknown_version_gets_the_latest(wire):
    result = wire.result("initialize", {"protocolVersion": "2024-01-01", "capabilities": {},
                                        "clientInfo": {"name": "old", "version": "0"}})
    assert result["protocolVersion"] == LATEST
    assert set(result["capabilities"]) >= {"tools", "logging", "tasks"}
    assert result["serverInfo"]["name"] == "bosun" and result["serverInfo"]["version"]
    assert "spawn" in result["instructions"]


def test_every_tool_schema_is_valid_and_validates_real_results(wire, mcp_world):
    # A role whose workers ask: the mock's synthetic first step calls its only tool, ask.
    mcp_world.config.write_text(mcp_world.config.read_text() + "roles:\n  asker: { tools: [ask] }\n")
    wire.initialize()
    tools = {tool["name"]: tool for tool in wire.result("tools/list")["tools"]}
    for tool in tools.values():
        Draft202012Validator.check_schema(tool["inputSchema"])
        Draft202012Validator.check_schema(tool["outputSchema"])
        assert tool["inputSchema"]["type"] == "object" and tool["outputSchema"]["type"] == "object"

    def checked(name, arguments):
        content = structured(wire.call(name, arguments))
        errors = [e.message for e in Draft202012Validator(tools[name]["outputSchema"]).iter_errors(content)]
        assert not errors, (name, errors, content)
        return content

    worker = checked("spawn", {"task": "Summarise the README", "wait": True})
    queued = checked("spawn", {"task": "Wait for the first", "after": [worker["id"]]})
    checked("await", {"workers": [queued["id"]], "timeoutSeconds": 30})
    checked("status", {})
    checked("status", {"workerId": worker["id"]})
    checked("trace", {"workerId": worker["id"]})
    checked("roles", {})
    checked("verify", {"workerId": worker["id"], "checks": [{"kind": "files", "exist": ["README.md"]}]})
    checked("synthesize", {"workers": [worker["id"]], "instruction": "Merge the summaries."})
    orchestrated = checked("orchestrate", {"goal": "Summarise the README", "limits": {"maxWorkers": 2}})
    assert orchestrated["state"] == "succeeded", orchestrated
    checked("steer", {"workerId": worker["id"], "message": "Add one line."})
    checked("await", {"timeoutSeconds": 30})
    running = checked("spawn", {"task": "Start and be cancelled"})
    checked("cancel", {"workerId": running["id"], "reason": "schema test"})
    asker = checked("spawn", {"task": "Ask before you start", "role": "asker"})
    deadline = time.monotonic() + 30
    while not (view := checked("status", {"workerId": asker["id"]})).get("asks") and time.monotonic() < deadline:
        time.sleep(0.05)  # polls the state: the worker asks after its first model call
    ask = view["asks"][0]
    assert view["state"] == "waiting" and ask["kind"] == "question", view
    reply = ask["options"][0]["id"] if ask.get("options") else "An answer."
    assert checked("answer", {"askId": ask["askId"], "text": reply})["workerId"] == asker["id"]
    checked("cancel", {"all": True})
    # A coder works in a layer; the mock's synthetic steps only read, so it changes nothing.
    coder = checked("spawn", {"task": "Look, change nothing", "role": "coder", "wait": True})
    assert checked("changes", {"workerId": coder["id"]})["files"] == []
    assert "nothing to apply" in tool_error(wire.call("apply", {"workerId": coder["id"]}))
    assert checked("discard", {"workerId": coder["id"]}) == {"discarded": []}
    called = {"spawn", "await", "status", "trace", "roles", "verify", "synthesize", "orchestrate", "steer", "cancel",
              "changes", "apply", "discard", "answer"}
    assert called == set(tools), sorted(tools)


def test_bad_input_is_answered_as_the_specification_says(wire):
    refused = wire.request("shutdown")
    assert refused["error"]["code"] == -32002 and "initialize" in refused["error"]["message"]
    wire.initialize()

    bosun_method = wire.request("spawn", {"task": "x"})["error"]
    assert bosun_method["code"] == -32601 and "tools/call" in bosun_method["message"]

    unknown_tool = wire.request("tools/call", {"name": "launch", "arguments": {}})["error"]
    assert unknown_tool["code"] == -32602 and "launch" in unknown_tool["message"]

    no_name = wire.request("tools/call", {"arguments": {}})["error"]
    assert no_name["code"] == -32602 and "name" in no_name["message"]

    not_an_object = wire.call("spawn", None)  # arguments absent
    assert "task" in tool_error(not_an_object)
    wrong_type = tool_error(wire.call("await", {"workers": "w_1"}))
    assert "workers" in wrong_type
    extra_field = tool_error(wire.call("status", {"worker": "w_1"}))
    assert "worker" in extra_field

    unknown_task = wire.request("tasks/get", {"taskId": "w_unknown"})["error"]
    assert unknown_task["code"] == -32602 and "w_unknown" in unknown_task["message"]
    bad_cursor = wire.request("tasks/list", {"cursor": "not-a-cursor"})["error"]
    assert bad_cursor["code"] == -32602

    bad_task = wire.request("tools/call", {"name": "spawn", "arguments": {"task": ""}, "task": {}})["error"]
    assert bad_task["code"] == -32602 and bad_task["data"]["field"] == "task"  # a task's answer can only be a task

    forbidden_task = wire.request("tools/call", {"name": "status", "arguments": {}, "task": {"ttl": 1000}})["error"]
    assert forbidden_task["code"] == -32601 and "spawn" in forbidden_task["message"]


def test_a_lone_surrogate_and_deep_nesting_are_named_with_the_id_kept(wire):
    wire.initialize()
    # json.dumps writes the lone surrogate as the escape \ud800: valid JSON, invalid Unicode.
    surrogate = wire.request("tools/call", {"name": "spawn", "arguments": {"task": "half \ud800 a pair"}})["error"]
    assert surrogate["code"] == -32602, surrogate
    assert "surrogate" in surrogate["message"] and surrogate["data"]["field"] == "arguments.task", surrogate
    assert "must be an object" not in surrogate["message"], surrogate

    deep = "[" * 600 + "]" * 600
    wire.proc.stdin.write(('{"jsonrpc":"2.0","id":"deep-1","method":"tools/call","params":{"name":"spawn",'
                           '"arguments":{"task":"x","inputs":' + deep + '}}}\n').encode())
    nested = wire.answer("deep-1")["error"]
    assert nested["code"] == -32602 and nested["data"]["field"] == "params", nested
    assert "512" in nested["message"] and "not valid JSON" not in nested["message"], nested
    wire.proc.stdin.write(('{"jsonrpc":"2.0","id":7,"method":"ping","junk":' + deep + '}\n').encode())
    envelope = wire.answer(7)["error"]
    assert envelope["code"] == -32600 and "512" in envelope["message"], envelope
    assert wire.result("ping") == {}  # and the server goes on serving


def test_a_bosun1_client_calling_tools_call_is_told_the_mcp_way(mcp_world):
    server = MCPServer(mcp_world)
    try:
        server.result("initialize", {"capabilities": {}})
        error = server.request("tools/call", {"name": "status"})["error"]
        assert error["code"] == -32601 and "protocolVersion" in error["message"]
    finally:
        server.proc.kill()


def test_tasks_report_status_and_result_blocks_until_done(wire):
    wire.initialize()
    created = wire.call("spawn", {"task": "Summarise the README"}, task={"ttl": 60000})
    task = created["task"]
    assert task["status"] == "working" and task["taskId"].startswith("w_")
    assert "createdAt" in task and "lastUpdatedAt" in task and task["ttl"] is None
    final = wire.result("tasks/result", {"taskId": task["taskId"]})  # blocks until the worker ended
    assert final["_meta"]["io.modelcontextprotocol/related-task"] == {"taskId": task["taskId"]}
    assert structured(final)["state"] == "succeeded"
    status = wire.notification("notifications/tasks/status", lambda p: p["taskId"] == task["taskId"]
                               and p["status"] == "completed")
    assert status["createdAt"] == task["createdAt"]
    assert wire.result("tasks/get", {"taskId": task["taskId"]})["status"] == "completed"
    listed = wire.result("tasks/list")
    assert [t["taskId"] for t in listed["tasks"]] == [task["taskId"]]


def test_notifications_cancelled_sends_no_answer_and_a_waiting_result_does_not_cancel_the_task(slow_mcp_world):
    server = MCPServer(slow_mcp_world)
    try:
        server.initialize()
        task = server.call("spawn", {"task": "Walk slowly"}, task={})["task"]
        waiting = server.start("tasks/result", {"taskId": task["taskId"]})
        server.notify("notifications/cancelled", {"requestId": waiting, "reason": "stop waiting"})
        assert server.result("tasks/get", {"taskId": task["taskId"]})["status"] == "working"
        spawn = server.start("tools/call", {"name": "spawn", "arguments": {"task": "Walk slowly too", "wait": True}})
        for _ in range(300):
            if structured(server.call("status"))["session"]["counts"]["running"] == 2:
                break
        server.notify("notifications/cancelled", {"requestId": spawn})
        for _ in range(300):
            counts = structured(server.call("status"))["session"]["counts"]
            if counts["cancelled"] == 1:
                break
        assert counts["cancelled"] == 1 and counts["running"] == 1, counts
        assert waiting not in server.answers and spawn not in server.answers
    finally:
        server.proc.kill()


def test_tasks_survive_kill_9_when_the_session_is_resumed(slow_mcp_world):
    slow = slow_mcp_world
    first = MCPServer(slow)
    first.initialize()
    finished = first.call("spawn", {"task": "Stop after a step", "limits": {"maxSteps": 1}}, task={})["task"]["taskId"]
    before = first.result("tasks/result", {"taskId": finished})
    running = first.call("spawn", {"task": "Walk slowly"}, task={})["task"]["taskId"]
    session = structured(first.call("status"))["session"]["id"]
    first.proc.send_signal(signal.SIGKILL)
    first.proc.wait(timeout=10)

    second = MCPServer(slow, "--session", session)
    try:
        second.initialize()
        interrupted = second.result("tasks/get", {"taskId": running})
        assert interrupted["status"] == "failed" and "interrupted" in interrupted["statusMessage"]
        result = second.result("tasks/result", {"taskId": running})
        assert result["isError"] is True and result["structuredContent"]["state"] == "interrupted"
        after = second.result("tasks/result", {"taskId": finished})
        assert after["structuredContent"] == before["structuredContent"]
        assert second.result("tasks/get", {"taskId": finished})["status"] == "failed"
    finally:
        second.proc.kill()

    third = MCPServer(slow, env={"BOSUN_SESSION": session})
    try:
        third.initialize()
        assert [t["taskId"] for t in third.result("tasks/list")["tasks"]] == [finished, running]
    finally:
        third.proc.kill()


def test_logging_set_level_forwards_log_lines(wire):
    wire.initialize()
    assert wire.result("logging/setLevel", {"level": "debug"}) == {}
    structured(wire.call("spawn", {"task": "Say hello", "wait": True}))
    message = wire.notification("notifications/message")
    assert message["level"] in ("debug", "info", "notice", "warning") and message["data"]
    bad = wire.request("logging/setLevel", {"level": "loud"})["error"]
    assert bad["code"] == -32602 and "level" in bad["message"]
    assert wire.result("ping") == {}


def test_serve_flags_set_the_session_options(mcp_world):
    server = MCPServer(mcp_world, "--max-concurrent-workers", "2")
    try:
        server.initialize()
        assert structured(server.call("status"))["session"]["maxConcurrentWorkers"] == 2
    finally:
        server.proc.kill()
