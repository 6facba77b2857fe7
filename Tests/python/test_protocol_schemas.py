"""protocol/ holds a JSON Schema for every method of bosun/1, and the real server's
messages validate against them."""
import json
import subprocess

import pytest
from jsonschema import Draft202012Validator

from conftest import ROOT

PROTOCOL = ROOT / "protocol"
BUNDLE = json.loads((PROTOCOL / "bosun-1.schema.json").read_text())
INDEX = json.loads((PROTOCOL / "methods.json").read_text())
SESSION_METHODS = ["spawn", "steer", "cancel", "await", "status", "verify", "synthesize", "orchestrate", "trace", "roles"]
LIFECYCLE = ["initialize", "initialized", "shutdown", "exit", "$/cancelRequest"]
SERVER_NOTIFICATIONS = ["worker/event", "$/progress", "window/logMessage", "bosun/notificationsDropped"]


def validator(definition: str) -> Draft202012Validator:
    pointer = definition.replace("~", "~0").replace("/", "~1")
    schema = {"$schema": BUNDLE["$schema"], "$ref": f"#/$defs/{pointer}", "$defs": BUNDLE["$defs"]}
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def check(definition: str, instance) -> None:
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator(definition).iter_errors(instance)]
    assert not errors, f"{definition} rejects {json.dumps(instance)[:300]}: {errors}"


def test_the_bundle_is_a_valid_2020_12_schema():
    Draft202012Validator.check_schema(BUNDLE)


def test_every_method_and_notification_has_its_schemas():
    by_name = {entry["method"]: entry for entry in INDEX["methods"]}
    for method in SESSION_METHODS + LIFECYCLE + SERVER_NOTIFICATIONS:
        assert method in by_name, f"{method} missing from methods.json"
    for entry in INDEX["methods"]:
        assert entry["params"] in BUNDLE["$defs"], entry
        if entry["kind"] == "request":
            assert entry["result"] in BUNDLE["$defs"], entry
        else:
            assert "result" not in entry, entry
        validator(entry["params"]).iter_errors({})  # every reference resolves


def test_schemas_reject_wrong_shapes():
    assert not validator("status.result").is_valid({"workers": []})
    assert not validator("spawn.params").is_valid({"inputs": ["a"]})
    assert not validator("cancel.params").is_valid({"reason": "no target"})
    assert not validator("worker/event.params").is_valid({"workerId": "w_1", "seq": 1, "kind": "exploded", "at": "2026-01-01T00:00:00Z"})
    assert validator("cancel.params").is_valid({"all": True})


class Server:
    """`bosun serve` over newline-delimited JSON, for checking real messages."""

    def __init__(self, binary, *args):
        self.proc = subprocess.Popen([binary, "serve", *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, bufsize=0)
        self.next_id = 0
        self.notifications = []

    def send(self, message):
        self.proc.stdin.write(json.dumps(message).encode() + b"\n")

    def request(self, method, params=None):
        self.next_id += 1
        message = {"jsonrpc": "2.0", "id": self.next_id, "method": method}
        if params is not None:
            message["params"] = params
        self.send(message)
        while True:
            line = self.proc.stdout.readline()
            assert line, "the server closed its output"
            reply = json.loads(line)
            if "method" in reply:
                self.notifications.append(reply)
            elif reply.get("id") == self.next_id:
                return reply

    def close(self):
        self.proc.stdin.close()
        return self.proc.wait(timeout=20)


@pytest.fixture
def server(bosun_bin):
    instance = Server(bosun_bin, "--debug-methods")
    yield instance
    instance.proc.kill()


def result_of(definition, reply):
    assert "result" in reply, reply
    check(definition, reply["result"])
    return reply["result"]


def error_of(reply, code):
    assert reply.get("error", {}).get("code") == code, reply
    check("ResponseError", reply["error"])
    return reply["error"]


def test_real_responses_match_the_schemas(server):
    params = {"processId": None, "clientInfo": {"name": "schema-test"}, "capabilities": {},
              "initializationOptions": {"maxConcurrentWorkers": 4, "events": "all", "logLevel": "info"}}
    check("initialize.params", params)
    initialized = result_of("initialize.result", server.request("initialize", params))
    server.send({"jsonrpc": "2.0", "method": "initialized", "params": {}})

    requests = [e for e in INDEX["methods"] if e["implemented"] and e["kind"] == "request"]
    assert set(initialized["capabilities"]["methods"]) == {e["method"] for e in requests if e["from"] == "client"}, \
        "methods.json's implemented marks must match what the server answers"
    assert set(initialized["capabilities"]["serverRequests"]) == {e["method"] for e in requests if e["from"] == "server"}, \
        "methods.json's requests from the server must match what initialize says the server may send"

    result_of("status.result", server.request("status"))
    result_of("status.result", server.request("status", {}))
    error = error_of(server.request("status", {"workerId": "w_missing"}), -32010)
    assert error["data"]["field"] == "workerId"
    error_of(server.request("status", {"workerId": 7}), -32602)
    error_of(server.request("spawn", {}), -32602)
    error_of(server.request("verify", {"workerId": "w_1", "checks": [{"kind": "files", "exist": ["x"]}]}), -32010)
    error_of(server.request("synthesize", {"workers": ["w_1"], "instruction": "Merge."}), -32010)
    error_of(server.request("orchestrate", {"goal": "Anything", "roles": ["nobody"]}), -32012)
    error_of(server.request("orchestrate", {"resume": "o_missing"}), -32602)
    error_of(server.request("orchestrate", {}), -32602)
    result_of("roles.result", server.request("roles"))
    result_of("trace.result", server.request("trace", {}))
    result_of("debug/sleep.result", server.request("debug/sleep", {"seconds": 0}))
    result_of("shutdown.result", server.request("shutdown"))
    error_of(server.request("status"), -32600)
    assert server.notifications, "logLevel info must bring window/logMessage notifications"
    for note in server.notifications:
        check(note["method"] + ".params", note["params"])
    assert server.close() == 0


@pytest.fixture
def world(bosun_bin, tmp_path):
    """A mock provider, a config pointing at it, and `bosun serve` on a scratch store."""
    mock = subprocess.Popen([bosun_bin, "mock-provider", "--port", "0", "--tool-steps", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    port = int(mock.stdout.readline())
    config = tmp_path / "bosun.yaml"
    config.write_text(f"""
providers:
  mock: {{ kind: openai, baseURL: "http://127.0.0.1:{port}/v1" }}
models:
  fast: {{ provider: mock, id: mock-fast, price: {{ input: 1, output: 5 }} }}
tiers: {{ orchestrator: fast, mid: fast, worker: fast }}
""")
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    (workspace / "README.md").write_text("# demo\n")
    instance = Server(bosun_bin, "--config", str(config), "--db", str(tmp_path / "trace.sqlite"))
    instance.workspace = workspace
    yield instance
    instance.proc.kill()
    mock.kill()


def test_worker_methods_and_events_match_the_schemas(world):
    result_of("initialize.result", world.request("initialize", {
        "rootUri": world.workspace.as_uri(), "initializationOptions": {"events": "all"}}))
    params = {"task": "Summarise the README", "inputs": ["README.md"], "wait": True, "workDoneToken": "tok-1",
              "limits": {"timeoutSeconds": 60, "maxSteps": 10}}
    check("spawn.params", params)
    worker = result_of("spawn.result", world.request("spawn", params))
    assert worker["state"] == "succeeded", worker
    result_of("status.result", world.request("status", {"workerId": worker["id"]}))
    summary = result_of("status.result", world.request("status"))
    assert summary["session"]["counts"]["succeeded"] == 1
    result_of("await.result", world.request("await", {"workers": [worker["id"]], "timeoutSeconds": 30}))
    trace = result_of("trace.result", world.request("trace", {"workerId": worker["id"]}))
    assert trace["events"], "a finished worker has events"

    queued = result_of("spawn.result", world.request("spawn", {"task": "Read the README again"}))
    result_of("cancel.result", world.request("cancel", {"all": True, "reason": "schema test"}))
    result_of("await.result", world.request("await", {"workers": [queued["id"]], "timeoutSeconds": 30}))
    steered = world.request("steer", {"workerId": worker["id"], "message": "Add one more sentence."})
    result_of("steer.result", steered)
    result_of("await.result", world.request("await", {"timeoutSeconds": 30}))

    kinds = {note["method"] for note in world.notifications}
    assert "worker/event" in kinds and "$/progress" in kinds, kinds
    for note in world.notifications:
        check(note["method"] + ".params", note["params"])


@pytest.fixture
def mock_provider(bosun_bin):
    """`bosun mock-provider` on a free port: two tool steps, then submit_result."""
    proc = subprocess.Popen([bosun_bin, "mock-provider", "--port", "0", "--latency-ms", "50", "--tool-steps", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    port = int(proc.stdout.readline())
    yield port
    proc.terminate()
    proc.wait(timeout=10)


def test_worker_messages_match_the_schemas(bosun_bin, mock_provider, tmp_path):
    """A worker's whole life (spawn, progress, events, steer, await, status, trace) as the
    schemas describe it."""
    config = tmp_path / "bosun.yaml"
    config.write_text(f"""providers:
  mock: {{ kind: openai, baseURL: "http://127.0.0.1:{mock_provider}/v1" }}
models:
  fast: {{ provider: mock, id: mock-fast, price: {{ input: 1, output: 5 }} }}
tiers: {{ orchestrator: fast, mid: fast, worker: fast }}
""")
    (tmp_path / "README.md").write_text("# demo\n")
    server = Server(bosun_bin, "--config", str(config), "--db", str(tmp_path / "trace.sqlite"))
    try:
        result_of("initialize.result", server.request("initialize", {
            "processId": None, "rootUri": tmp_path.as_uri(), "capabilities": {},
            "initializationOptions": {"maxConcurrentWorkers": 1, "events": "all"}}))
        server.send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
        spawn = {"task": "Describe the workspace", "inputs": ["README.md"], "workDoneToken": "tok",
                 "output": {"schema": {"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}}}}
        check("spawn.params", spawn)
        first = result_of("spawn.result", server.request("spawn", spawn))
        queued = result_of("spawn.result", server.request("spawn", {"task": "Wait your turn", "priority": 2}))
        assert queued["state"] == "queued" and queued["queuePosition"] == 1
        result_of("steer.result", server.request("steer", {"workerId": first["id"], "message": "Be brief."}))
        done = result_of("await.result", server.request("await", {"timeoutSeconds": 30}))
        assert [w["state"] for w in done["finished"]] == ["succeeded", "succeeded"], done
        assert done["finished"][0]["result"]["structured"]["text"]
        result_of("steer.result", server.request("steer", {"workerId": first["id"], "message": "One more line."}))
        result_of("await.result", server.request("await", {"workers": [first["id"]], "timeoutSeconds": 30}))
        result_of("status.result", server.request("status", {"workerId": first["id"]}))
        summary = result_of("status.result", server.request("status"))
        assert summary["session"]["counts"]["succeeded"] == 2
        events = result_of("trace.result", server.request("trace", {"workerId": first["id"]}))["events"]
        assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
        error = error_of(server.request("cancel", {"workerId": first["id"]}), -32011)
        assert error["data"]["field"] == "workerId"
        error_of(server.request("spawn", {"task": "x", "role": "pirate"}), -32012)
        result_of("shutdown.result", server.request("shutdown"))
        kinds = {n["method"] for n in server.notifications}
        assert {"worker/event", "$/progress"} <= kinds, kinds
        for note in server.notifications:
            check(note["method"] + ".params", note["params"])
        server.send({"jsonrpc": "2.0", "method": "exit"})
        assert server.proc.wait(timeout=20) == 0
    finally:
        server.proc.kill()
