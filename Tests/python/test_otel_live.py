"""Live OpenTelemetry export: with OTEL_EXPORTER_OTLP_ENDPOINT set, `bosun serve` posts
each worker's span as OTLP/HTTP JSON while the session runs, and the session's root span
when it ends. The collector here is a small http.server on loopback; every body is parsed
by the OpenTelemetry protobuf classes, which reject unknown fields and wrong types.
"""
import base64
import http.server
import json
import subprocess
import threading
import time

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


def test_spans_go_out_while_the_session_runs(bosun_bin, tmp_path, monkeypatch):
    collector = Collector()
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    mock = subprocess.Popen([bosun_bin, "mock-provider", "--port", "0", "--latency-ms", "20", "--tool-steps", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    port = int(mock.stdout.readline())
    config = tmp_path / "bosun.yaml"
    config.write_text(f"""providers:
  mock: {{ kind: openai, baseURL: "http://127.0.0.1:{port}/v1" }}
models:
  fast: {{ provider: mock, id: mock-fast }}
tiers: {{ orchestrator: fast, mid: fast, worker: fast }}
""")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.url)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", "Authorization=Bearer%20collector-token")
    serve = Serve(bosun_bin, config, tmp_path / "trace.sqlite", workspace)
    try:
        session = serve.request("initialize", {"rootUri": f"file://{workspace}"})["result"]["session"]["id"]
        workers = [serve.request("spawn", {"task": f"List the files, part {n}", "wait": True})["result"] for n in range(3)]
        assert all(w["state"] == "succeeded" for w in workers)
        # The session is still open: the workers' spans arrive without it ending.
        wait_for(lambda: len(collector.spans()) >= 3, "the workers' spans while the session runs")
        spans = {attributes(s)["bosun.worker.id"]: s for s in collector.spans()}
        assert set(spans) == {w["id"] for w in workers}
        for span in spans.values():
            found = attributes(span)
            assert found["gen_ai.request.model"] == "mock-fast"  # the provider's id, not the alias
            assert found["bosun.model.alias"] == "fast"
            assert found["gen_ai.provider.name"] == "openai" and found["bosun.provider"] == "mock"
            assert span["status"]["code"] == 1
            assert any(event["name"] == "model_call" for event in span["events"])
        for request in collector.requests:
            assert request["path"] == "/v1/traces" and request["type"] == "application/json"
            assert request["auth"] == "Bearer collector-token"
            as_protobuf(request["body"])
        serve.request("shutdown", None)
    finally:
        serve.close()
        mock.terminate()
        mock.wait()
    # Ending the session sends its root span, the parent of every worker span.
    roots = [s for s in collector.spans() if s["name"] == f"session {session}"]
    assert len(roots) == 1 and "parentSpanId" not in roots[0]
    assert all(s["parentSpanId"] == roots[0]["spanId"] for s in collector.spans() if s is not roots[0])
    assert len({s["traceId"] for s in collector.spans()}) == 1
    collector.shutdown()
