import Foundation
import Testing
@testable import TraceStore

@Suite struct RenderingTests {
    /// A parent with two children (one of them failed), a running worker, and events.
    static let trace: SessionTrace = {
        let session = SessionRecord(id: "s_render", createdAt: Fixture.start, lastOpenedAt: Fixture.start,
                                    workspaceRoot: "/w", maxConcurrentWorkers: 3)
        var failed = Fixture.worker("w_child2", session: "s_render", state: "failed", parent: "w_parent", offset: 3, duration: 4)
        failed.errorJSON = #"{"code":"max_steps","message":"ran out of steps"}"#
        failed.task = "Read <script>alert(1)</script> & report"
        let workers = [
            Fixture.worker("w_parent", session: "s_render", state: "succeeded", duration: 10),
            Fixture.worker("w_child1", session: "s_render", state: "succeeded", parent: "w_parent", offset: 1, duration: 5),
            failed,
            Fixture.worker("w_running", session: "s_render", state: "running", offset: 6),
        ]
        let events = [
            Fixture.event("s_render", "w_parent", 1, kind: "started"),
            Fixture.event("s_render", "w_child1", 1, kind: "tool_call", at: 2, data: #"{"tool":"read_file"}"#),
            Fixture.event("s_render", "w_running", 1, kind: "text", at: 12),
            Fixture.event("s_render", "w_child2", 1, kind: "failed", at: 7, data: "not json"),
        ]
        return SessionTrace(session: session, workers: workers, events: events, readAt: Fixture.start.addingTimeInterval(12))
    }()

    @Test func htmlHasOneBarPerWorkerAndNothingExternal() {
        let html = HTMLTimelineRenderer.render(Self.trace)
        #expect(html.components(separatedBy: "class=\"bar state-").count - 1 == Self.trace.workers.count)
        for worker in Self.trace.workers {
            #expect(html.contains("id=\"\(worker.id)\""))
            #expect(html.contains("class=\"bar state-\(worker.state)\""))
        }
        // One inline script and nothing fetched: no address, no source, no import.
        for external in ["http://", "https://", "<link", "src=", "@import", "url(", "fetch(", "xmlhttprequest"] {
            #expect(!html.lowercased().contains(external), "page references \(external)")
        }
        #expect(html.components(separatedBy: "<script").count == 2 && html.contains("<script>(function () {"))
        #expect(html.contains("Read &lt;script&gt;alert(1)&lt;/script&gt; &amp; report"))
        #expect(html.contains("ran out of steps"))
        #expect(html.hasPrefix("<!doctype html>") && html.hasSuffix("</html>\n"))
    }

    @Test func htmlBarsSitOnTheTimeAxis() throws {
        let html = HTMLTimelineRenderer.render(Self.trace)
        // The session spans 0…12 s; the parent runs 0…10 s, so its bar starts at 0 and covers 10/12.
        #expect(html.contains("style=\"left:0.000%;width:83.333%\""))
        // The running worker lasts until the trace was read, the end of the session.
        #expect(html.contains("style=\"left:50.000%;width:50.000%\""))
    }

    @Test func otlpSpansFormOneTraceUnderTheSession() throws {
        let spans = try OTLPDocument(OTLPExporter.export(Self.trace)).spans
        // The root, a span per worker, and w_child1's tool call (cut off when it ended).
        #expect(spans.count == Self.trace.workers.count + 2)
        let traceIds = Set(spans.compactMap { $0["traceId"] as? String })
        #expect(traceIds.count == 1)
        #expect(traceIds.first.map { $0.count == 32 && $0.allSatisfy(\.isHexDigit) } == true)
        let ids = spans.compactMap { $0["spanId"] as? String }
        #expect(Set(ids).count == spans.count && ids.allSatisfy { $0.count == 16 && $0.allSatisfy(\.isHexDigit) })
        let root = spans[0]
        #expect(root["parentSpanId"] == nil)
        let byName = OTLPDocument.workerSpans(spans)
        #expect(byName["w_parent"]?["parentSpanId"] as? String == root["spanId"] as? String)
        #expect(byName["w_child1"]?["parentSpanId"] as? String == byName["w_parent"]?["spanId"] as? String)
        #expect((byName["w_child2"]?["status"] as? [String: Any])?["code"] as? Int == 2)
        #expect((byName["w_child2"]?["status"] as? [String: Any])?["message"] as? String == "ran out of steps")
        #expect((byName["w_parent"]?["status"] as? [String: Any])?["code"] as? Int == 1)
        let tool = try #require(spans.first { $0["name"] as? String == "execute_tool tool" })
        #expect(tool["parentSpanId"] as? String == byName["w_child1"]?["spanId"] as? String)
        #expect((tool["status"] as? [String: Any])?["code"] as? Int == 2)
        #expect((byName["w_running"]?["events"] as? [[String: Any]])?.first?["name"] as? String == "text")
        #expect(byName["w_parent"]?["startTimeUnixNano"] as? String == "1800000000000000000")
    }

    @Test func otlpNamesTheProvidersModelNotTheAlias() throws {
        var trace = Self.trace
        trace.events.append(Fixture.event("s_render", "w_parent", 2, kind: "model_call", at: 1,
                                          data: #"{"step":1,"model":"claude-haiku-4-5","provider":"work","providerAPI":"anthropic"}"#))
        let spans = try OTLPDocument(OTLPExporter.export(trace)).spans.filter { ($0["name"] as? String)?.hasPrefix("invoke_agent") == true }
        func attributes(_ span: [String: Any]) -> [String: String] {
            Dictionary(uniqueKeysWithValues: (span["attributes"] as? [[String: Any]] ?? []).compactMap { attribute in
                ((attribute["value"] as? [String: Any])?["stringValue"] as? String).map { (attribute["key"] as? String ?? "", $0) }
            })
        }
        let parent = try #require(spans.map(attributes).first { $0["bosun.worker.id"] == "w_parent" })
        #expect(parent["gen_ai.request.model"] == "claude-haiku-4-5")
        #expect(parent["bosun.model.alias"] == "fast")
        #expect(parent["gen_ai.provider.name"] == "anthropic" && parent["bosun.provider"] == "work")
        // A worker that never called a model keeps the alias, and names no provider.
        let child = try #require(spans.map(attributes).first { $0["bosun.worker.id"] == "w_child1" })
        #expect(child["gen_ai.request.model"] == "fast" && child["gen_ai.provider.name"] == nil)
    }

    @Test func jsonlIsOneValidObjectPerLine() throws {
        let lines = JSONLExporter.export(Self.trace).split(separator: "\n")
        #expect(lines.count == 1 + Self.trace.workers.count + Self.trace.events.count)
        let objects = try lines.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(objects.map { $0?["type"] as? String } == ["session"] + Array(repeating: "worker", count: 4) + Array(repeating: "event", count: 4))
        #expect((objects[1]?["brief"] as? [String: Any])?["task"] as? String == "Find facts for w_parent")
        #expect(objects.last??["data"] as? String == "not json")
    }

    @Test func treeNestsChildrenUnderTheirParent() {
        let tree = TraceTreeRenderer.sessionTree(Self.trace)
        let lines = tree.split(separator: "\n")
        #expect(lines.count == 5)
        #expect(lines[1].hasPrefix("├─ w_parent  succeeded"))
        #expect(lines[2].hasPrefix("│  ├─ w_child1"))
        #expect(lines[3].hasPrefix("│  └─ w_child2  failed"))
        #expect(lines[4].hasPrefix("└─ w_running  running"))
        #expect(lines[1].contains("3 steps  1500 tokens  $0.0123  10.0s"))
    }

    @Test func aRunningWorkerHasLastedUntilTheTraceWasRead() {
        var trace = Self.trace
        trace.readAt = Fixture.start.addingTimeInterval(60)
        let line = TraceTreeRenderer.sessionTree(trace).split(separator: "\n")[4]
        // Started at +6 s, last stored step at +12 s, read at +60 s.
        #expect(line.contains("54.0s"), "\(line)")
        #expect(trace.end == Fixture.start.addingTimeInterval(60))
    }
}
