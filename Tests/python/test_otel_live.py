"""Live OpenTelemetry export: with OTEL_EXPORTER_OTLP_ENDPOINT set, `bosun serve` posts
each worker's span and its model and tool calls' spans as OTLP/HTTP JSON while the session
runs, each orchestration's span when it ends, and the session's root span when the session
ends: one tree (session → orchestration → worker → call), the same as `trace export`'s. The collector here is a small http.server on loopback; every body is parsed
by the OpenTelemetry protobuf classes, which reject unknown fields and wrong types.
"""
import base64
import http.server
import json
import subprocess
import threading
import time

from conftest import write_mock_config
from test_top import Serve, wait_for


class Collector(http.server.ThreadingHTTPServer):
    def __init__(self):
        super().__init__(("127.0.0.1", 0), CollectorHandler)
        self.requests = []
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}"

    def spans(self):
        return [span for request in list(self.requests) for resource in request["body"]["resourceSpans"]
                for scope in resource["scopeSpans"] for span in scope["spans"]]


class CollectorHandler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.requests.append({"path": self.path, "type": self.headers["Content-Type"],
                                     "auth": self.headers.get("Authorization"), "body": json.loads(body)})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


def attributes(span):
    return {a["key"]: next(iter(a["value"].values())) for a in span["attributes"]}


def as_protobuf(document):
    """Parses an OTLP/JSON body with the protobuf classes (hex ids converted to base64)."""
    from google.protobuf import json_format
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
    document = json.loads(json.dumps(document))
    for resource in document["resourceSpans"]:
        for scope in resource["scopeSpans"]:
            for span in scope["spans"]:
                for field in ("traceId", "spanId", "parentSpanId"):
                    if field in span:
                        span[field] = base64.b64encode(bytes.fromhex(span[field])).decode()
    return json_format.Parse(json.dumps(document), ExportTraceServiceRequest())


def worker_spans(collector):
    return {attributes(s)["bosun.worker.id"] for s in collector.spans() if s["name"].startswith("invoke_agent ")
            and "bosun.worker.id" in attributes(s)}


def check_tree(spans, session, spawned, orchestration):
    """session → orchestration → its workers → their model and tool calls, each with GenAI attributes."""
    by_id = {s["spanId"]: s for s in spans}
    assert len(by_id) == len(spans), "a span was sent twice"
    roots = [s for s in spans if s["name"] == f"session {session}"]
    assert len(roots) == 1 and "parentSpanId" not in roots[0]
    assert len({s["traceId"] for s in spans}) == 1
    assert all(s["parentSpanId"] in by_id for s in spans if s is not roots[0]), "a span's parent is missing"
    orchestrations = [s for s in spans if s["name"] == "invoke_agent orchestrate"]
    assert len(orchestrations) == 1 and orchestrations[0]["parentSpanId"] == roots[0]["spanId"]
    assert attributes(orchestrations[0])["bosun.orchestration.id"] == orchestration["id"]
    assert orchestrations[0]["status"]["code"] == 1
    agents = {attributes(s)["bosun.worker.id"]: s for s in spans
              if s["name"].startswith("invoke_agent ") and "bosun.worker.id" in attributes(s)}
    planned = {w["id"] for w in orchestration["workers"]}
    assert set(agents) == set(spawned) | planned
    for worker_id, span in agents.items():
        found = attributes(span)
        assert found["gen_ai.operation.name"] == "invoke_agent" and span["name"] == f"invoke_agent {found['gen_ai.agent.name']}"
        assert found["gen_ai.request.model"] == "mock-fast"  # the provider's id, not the alias
        assert found["bosun.model.alias"] == "fast"
        assert found["gen_ai.provider.name"] == "openai" and found["bosun.provider"] == "mock"
        assert span["status"]["code"] == 1
        expected_parent = orchestrations[0] if worker_id in planned else roots[0]
        assert span["parentSpanId"] == expected_parent["spanId"], worker_id
        calls = [s for s in spans if s.get("parentSpanId") == span["spanId"]]
        chats = [s for s in calls if attributes(s)["gen_ai.operation.name"] == "chat"]
        assert chats and all(s["name"] == "chat mock-fast" and s["kind"] == 3 for s in chats)
        for chat in chats:
            usage = attributes(chat)
            assert int(usage["gen_ai.usage.input_tokens"]) > 0 and int(usage["gen_ai.usage.output_tokens"]) > 0
            assert usage["gen_ai.request.model"] == "mock-fast" and int(chat["endTimeUnixNano"]) >= int(chat["startTimeUnixNano"])
        assert sum(int(attributes(s)["gen_ai.usage.input_tokens"]) for s in chats) == int(found["gen_ai.usage.input_tokens"])
        for tool in (s for s in calls if attributes(s)["gen_ai.operation.name"] == "execute_tool"):
            assert tool["name"] == f"execute_tool {attributes(tool)['gen_ai.tool.name']}"
            assert "gen_ai.tool.call.id" in attributes(tool)
        assert not any(e["name"] in ("model_call", "tool_call") for e in span.get("events", [])), "calls are spans now"
    assert any(attributes(s).get("gen_ai.operation.name") == "execute_tool" for s in spans), "no tool call span"


def test_spans_go_out_while_the_session_runs(bosun_bin, mock_provider, tmp_path, monkeypatch):
    collector = Collector()
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    config = write_mock_config(tmp_path, mock_provider("--latency-ms", "20", "--tool-steps", "1"))
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.url)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", "Authorization=Bearer%20collector-token")
    serve = Serve(bosun_bin, config, tmp_path / "trace.sqlite", workspace)
    try:
        session = serve.request("initialize", {"rootUri": f"file://{workspace}"})["result"]["session"]["id"]
        workers = [serve.request("spawn", {"task": f"List the files, part {n}", "wait": True})["result"] for n in range(3)]
        assert all(w["state"] == "succeeded" for w in workers)
        # The session is still open: the workers' spans arrive without it ending.
        wait_for(lambda: {w["id"] for w in workers} <= worker_spans(collector), "the workers' spans while the session runs")
        orchestration = serve.request("orchestrate", {"goal": "Say what the workspace holds"})["result"]
        assert orchestration["state"] == "succeeded", orchestration
        wait_for(lambda: any(s["name"] == "invoke_agent orchestrate" for s in collector.spans()),
                 "the orchestration's span once it ended")
        for request in collector.requests:
            assert request["path"] == "/v1/traces" and request["type"] == "application/json"
            assert request["auth"] == "Bearer collector-token"
            as_protobuf(request["body"])
        serve.request("shutdown", None)
    finally:
        serve.close()
    live = collector.spans()
    check_tree(live, session, [w["id"] for w in workers], orchestration)
    # The file export is the same tree, with the same ids.
    export = subprocess.run([bosun_bin, "trace", "export", session, "--format", "otlp-json", "--db",
                             str(tmp_path / "trace.sqlite")], capture_output=True, text=True, check=True)
    document = json.loads(export.stdout)
    as_protobuf(document)
    exported = [span for resource in document["resourceSpans"] for scope in resource["scopeSpans"] for span in scope["spans"]]
    check_tree(exported, session, [w["id"] for w in workers], orchestration)
    assert {(s["spanId"], s.get("parentSpanId")) for s in live} == {(s["spanId"], s.get("parentSpanId")) for s in exported}
    collector.shutdown()
