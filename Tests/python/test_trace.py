"""The trace CLI's export formats, checked by outside tools.

- `bosun trace export --format otlp-json` is parsed by the OpenTelemetry protobuf classes
  (the `opentelemetry-proto` package), which reject unknown fields and wrong types.
- `bosun trace html` is rendered by headless Chromium to a PNG that must show the bars.

The store is populated by the `TraceStoreHarness` test program through the TraceStore API.
Binaries: $BOSUN_BIN and $BOSUN_TRACE_HARNESS, else the newest `.build*/debug/` build.
"""
import base64
import glob
import json
import os
import re
import shutil
import struct
import subprocess
import tempfile
import unittest
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def built(name, env):
    if os.environ.get(env):
        return os.environ[env]
    candidates = glob.glob(os.path.join(ROOT, ".build*", "debug", name)) + glob.glob(
        os.path.join(ROOT, ".build*", "release", name))
    if not candidates:
        raise AssertionError(f"{name} is not built: run `swift build` first, or set ${env}")
    return max(candidates, key=os.path.getmtime)


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    raise AssertionError("headless Chromium is needed: apt-get install chromium")


def decode_png(path):
    """Width, height and rows of (r, g, b) pixels of an 8-bit RGB or RGBA PNG."""
    with open(path, "rb") as handle:
        data = handle.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    offset, idat, header = 8, b"", None
    while offset < len(data):
        length, kind = struct.unpack(">I4s", data[offset:offset + 8])
        body = data[offset + 8:offset + 8 + length]
        offset += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, f"unexpected PNG format {header}"
    channels = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
        rows.append([tuple(line[x * channels:x * channels + 3]) for x in range(width)])
        previous = line
    return width, height, rows


class TraceExportTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.bosun = built("bosun", "BOSUN_BIN")
        cls.harness = built("TraceStoreHarness", "BOSUN_TRACE_HARNESS")
        cls.dir = tempfile.mkdtemp(prefix="bosun-trace-py-")
        cls.db = os.path.join(cls.dir, "trace.sqlite")
        out = subprocess.run([cls.harness, "populate", cls.db], check=True, capture_output=True, text=True)
        cls.session = out.stdout.strip()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def trace(self, *args):
        return subprocess.run([self.bosun, "trace", *args, "--db", self.db], check=True, capture_output=True, text=True).stdout

    def test_otlp_json_parses_as_export_trace_service_request(self):
        from google.protobuf import json_format
        from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
        from opentelemetry.proto.trace.v1.trace_pb2 import Status

        document = json.loads(self.trace("export", self.session, "--format", "otlp-json"))
        # OTLP/JSON spells ids as hex where protobuf's JSON mapping expects base64: check the
        # hex form, then convert it so the protobuf parser can check everything else.
        for resource in document["resourceSpans"]:
            for scope in resource["scopeSpans"]:
                for span in scope["spans"]:
                    for field, size in (("traceId", 16), ("spanId", 8), ("parentSpanId", 8)):
                        if field in span:
                            value = span[field]
                            self.assertRegex(value, "^[0-9a-f]{%d}$" % (size * 2), field)
                            self.assertNotEqual(int(value, 16), 0, f"{field} is all zero")
                            span[field] = base64.b64encode(bytes.fromhex(value)).decode()
        request = json_format.Parse(json.dumps(document), ExportTraceServiceRequest())

        spans = [s for r in request.resource_spans for sc in r.scope_spans for s in sc.spans]
        # The session, its 8 workers, and under each worker its model and tool calls.
        workers = {s.span_id: s for s in spans if s.name.startswith("invoke_agent ")}
        calls = [s for s in spans if s.name.startswith(("chat ", "execute_tool "))]
        self.assertEqual(len(workers), 8)
        self.assertGreater(len(calls), 8)
        self.assertEqual(len(spans), 1 + 8 + len(calls))
        self.assertTrue(all(call.parent_span_id in workers for call in calls))
        self.assertEqual(len({s.trace_id for s in spans}), 1)
        roots = [s for s in spans if not s.parent_span_id]
        self.assertEqual(len(roots), 1)
        ids = {s.span_id for s in spans}
        self.assertTrue(all(s.parent_span_id in ids for s in spans if s.parent_span_id))
        for span in spans:
            self.assertGreater(span.start_time_unix_nano, 0)
            self.assertLessEqual(span.start_time_unix_nano, span.end_time_unix_nano, span.name)
        states = {a.value.string_value: s for s in spans for a in s.attributes if a.key == "bosun.worker.state"}
        self.assertEqual(states["succeeded"].status.code, Status.STATUS_CODE_OK)
        self.assertEqual(states["failed"].status.code, Status.STATUS_CODE_ERROR)
        self.assertEqual(states["running"].status.code, Status.STATUS_CODE_UNSET)
        # Every stored event is a span event, but the calls, which are spans of their own.
        kinds = [event.name for s in spans for event in s.events]
        self.assertGreater(len(kinds), 0)
        self.assertFalse({"model_call", "model_reply", "tool_call", "tool_result"} & set(kinds))
        service = request.resource_spans[0].resource.attributes[0]
        self.assertEqual((service.key, service.value.string_value), ("service.name", "bosun"))

    def test_html_timeline_renders_in_chromium(self):
        page = os.path.join(self.dir, "timeline.html")
        self.trace("html", self.session, "-o", page)
        with open(page, encoding="utf-8") as handle:
            html = handle.read()
        self.assertEqual(html.count('class="bar state-'), 8)
        for external in ("http://", "https://", "<link", "src=", "url(", "fetch(", "xmlhttprequest"):
            self.assertNotIn(external, html.lower())
        self.assertEqual(html.count("<script"), 1)  # one inline script, nothing fetched
        # Queue waits, model and tool calls as segments, tokens and cost per row, round ticks,
        # an indented brief, and the totals per role.
        self.assertGreater(html.count('class="wait"'), 0)
        self.assertGreater(html.count('class="seg seg-model"'), 0)
        self.assertGreater(html.count('class="seg seg-tool"'), 0)
        self.assertEqual(len(re.findall(r'<span class="meta">[0-9.kM]+ tok · \$[0-9.]+</span>', html)), 8)
        ticks = re.findall(r'class="tick"[^>]*>([^<]*)<', html)
        self.assertEqual(ticks[0], "0")
        self.assertTrue(all(re.fullmatch(r"\d+(ms|s|m|h)|\d+m\d\ds|\d+h\d\dm", t) for t in ticks[1:]), ticks)
        self.assertIn('<pre>{\n  &quot;headers&quot;', html)
        self.assertIn('<table class="totals">', html)

        png = os.path.join(self.dir, "timeline.png")
        subprocess.run([chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                        "--window-size=1200,700", f"--screenshot={png}", "file://" + page],
                       check=True, capture_output=True, timeout=120)
        width, height, rows = decode_png(png)
        self.assertEqual((width, height), (1200, 700))
        pixels = [p for row in rows for p in row]
        background = max(set(pixels[::97]), key=pixels[::97].count)
        drawn = sum(1 for p in pixels if p != background)
        self.assertGreater(drawn / len(pixels), 0.02, "the page rendered (almost) blank")

        def near(colour):
            return sum(1 for p in pixels if all(abs(a - b) <= 8 for a, b in zip(p, colour)))

        # Bars in the state colours: succeeded green, failed red, running blue; call segments.
        for name, colour in (("succeeded", (0x27, 0xAE, 0x60)), ("failed", (0xEB, 0x57, 0x57)), ("running", (0x2F, 0x80, 0xED)),
                             ("model call", (0x1F, 0x3A, 0x5F)), ("tool call", (0xFF, 0x7A, 0xD9))):
            self.assertGreater(near(colour), 200, f"no {name} in the screenshot")
        # No empty half page: something is drawn in the lower half too (the totals per role).
        lower = [p for row in rows[height // 2:] for p in row]
        self.assertGreater(sum(1 for p in lower if p != background) / len(lower), 0.01, "the lower half is empty")


if __name__ == "__main__":
    unittest.main()
