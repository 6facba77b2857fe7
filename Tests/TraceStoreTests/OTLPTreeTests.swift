import Foundation
import Testing
@testable import TraceStore

/// An OTLP/JSON document's spans, for tests.
struct OTLPDocument {
    let spans: [[String: Any]]

    init(_ text: String) throws {
        let json = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        let scope = ((json?["resourceSpans"] as? [[String: Any]])?.first?["scopeSpans"] as? [[String: Any]])?.first
        spans = try #require(scope?["spans"] as? [[String: Any]])
    }

    static func attributes(_ span: [String: Any]) -> [String: Any] {
        Dictionary(uniqueKeysWithValues: (span["attributes"] as? [[String: Any]] ?? []).compactMap { attribute in
            (attribute["value"] as? [String: Any])?.values.first.map { (attribute["key"] as? String ?? "", $0) }
        })
    }

    /// The workers' own spans by worker id.
    static func workerSpans(_ spans: [[String: Any]]) -> [String: [String: Any]] {
        Dictionary(uniqueKeysWithValues: spans.filter { ($0["name"] as? String)?.hasPrefix("invoke_agent ") == true }
            .compactMap { span in (attributes(span)["bosun.worker.id"] as? String).map { ($0, span) } })
    }
}

/// The export's tree: session → orchestration → worker → model call / tool call.
@Suite struct OTLPTreeTests {
    /// An orchestration whose planner made one model call (with its reply) and one tool call.
    static let trace: SessionTrace = {
        let session = SessionRecord(id: "s_tree", createdAt: Fixture.start, lastOpenedAt: Fixture.start, workspaceRoot: "/w",
                                    maxConcurrentWorkers: 2)
        let orchestration = OrchestrationRecord(id: "o_1", sessionId: "s_tree", goal: "Explain the code", state: "failed",
                                                ledgerJSON: "{}", createdAt: Fixture.start, endedAt: Fixture.start.addingTimeInterval(9))
        let planner = Fixture.worker("w_plan", session: "s_tree", state: "succeeded", parent: "o_1", offset: 1, duration: 6)
        let loose = Fixture.worker("w_loose", session: "s_tree", state: "succeeded", offset: 2, duration: 1)
        let events = [
            Fixture.event("s_tree", "w_plan", 1, kind: "started", at: 1),
            Fixture.event("s_tree", "w_plan", 2, kind: "model_call", at: 1,
                          data: #"{"step":1,"model":"claude-x","provider":"work","providerAPI":"anthropic"}"#),
            Fixture.event("s_tree", "w_plan", 3, kind: "retry", at: 2, data: #"{"attempt":1,"delaySeconds":1,"error":"529"}"#),
            Fixture.event("s_tree", "w_plan", 4, kind: "model_reply", at: 3,
                          data: #"{"step":1,"inputTokens":700,"outputTokens":40,"cacheReadTokens":100,"costUSD":0.0025}"#),
            Fixture.event("s_tree", "w_plan", 5, kind: "tool_call", at: 3,
                          data: #"{"id":"t1","name":"read_file","input":{"path":"README.md"}}"#),
            Fixture.event("s_tree", "w_plan", 6, kind: "tool_result", at: 4,
                          data: #"{"id":"t1","name":"read_file","isError":true,"text":"no such file"}"#),
            Fixture.event("s_tree", "w_plan", 7, kind: "succeeded", at: 7),
        ]
        return SessionTrace(session: session, workers: [planner, loose], events: events, orchestrations: [orchestration],
                            readAt: Fixture.start.addingTimeInterval(10))
    }()

    @Test func anOrchestrationHoldsItsWorkersAndEachWorkerItsCalls() throws {
        let spans = try OTLPDocument(OTLPExporter.export(Self.trace)).spans
        let root = try #require(spans.first { $0["parentSpanId"] == nil })
        let orchestration = try #require(spans.first { $0["name"] as? String == "invoke_agent orchestrate" })
        #expect(orchestration["parentSpanId"] as? String == root["spanId"] as? String)
        let attributes = OTLPDocument.attributes(orchestration)
        #expect(attributes["bosun.orchestration.id"] as? String == "o_1" && attributes["gen_ai.operation.name"] as? String == "invoke_agent")
        #expect((orchestration["status"] as? [String: Any])?["code"] as? Int == 2)
        #expect(orchestration["endTimeUnixNano"] as? String == "1800000009000000000")

        let workers = OTLPDocument.workerSpans(spans)
        #expect(workers["w_plan"]?["parentSpanId"] as? String == orchestration["spanId"] as? String)
        #expect(workers["w_loose"]?["parentSpanId"] as? String == root["spanId"] as? String)
        #expect(workers["w_plan"]?["name"] as? String == "invoke_agent researcher")
        // Calls are spans, not events; the retry inside the call stays an event of the worker.
        #expect((workers["w_plan"]?["events"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["started", "retry", "succeeded"])

        let chat = try #require(spans.first { $0["name"] as? String == "chat claude-x" })
        #expect(chat["parentSpanId"] as? String == workers["w_plan"]?["spanId"] as? String)
        #expect(chat["kind"] as? Int == 3)
        #expect(chat["startTimeUnixNano"] as? String == "1800000001000000000" && chat["endTimeUnixNano"] as? String == "1800000003000000000")
        let usage = OTLPDocument.attributes(chat)
        #expect(usage["gen_ai.operation.name"] as? String == "chat" && usage["gen_ai.request.model"] as? String == "claude-x")
        #expect(usage["gen_ai.provider.name"] as? String == "anthropic")
        #expect(usage["gen_ai.usage.input_tokens"] as? String == "700" && usage["gen_ai.usage.output_tokens"] as? String == "40")
        #expect(usage["bosun.usage.cost_usd"] as? Double == 0.0025 && usage["bosun.retries"] as? String == "1")

        let tool = try #require(spans.first { $0["name"] as? String == "execute_tool read_file" })
        #expect(tool["parentSpanId"] as? String == workers["w_plan"]?["spanId"] as? String)
        let toolAttributes = OTLPDocument.attributes(tool)
        #expect(toolAttributes["gen_ai.tool.name"] as? String == "read_file" && toolAttributes["gen_ai.tool.call.id"] as? String == "t1")
        #expect(toolAttributes["gen_ai.tool.call.arguments"] as? String == #"{"path":"README.md"}"#)
        #expect((tool["status"] as? [String: Any])?["message"] as? String == "no such file")
    }

    @Test func theLiveBodyHasTheExportsIds() throws {
        let body = OTLPExporter.requestBody(session: Self.trace.session,
                                            workers: Self.trace.workers.map { ($0, Self.trace.events(of: $0.id)) },
                                            orchestrations: Self.trace.orchestrations, root: nil)
        let live = try OTLPDocument(String(decoding: body, as: UTF8.self)).spans
        let exported = try OTLPDocument(OTLPExporter.export(Self.trace)).spans
        func shape(_ spans: [[String: Any]]) -> Set<String> {
            Set(spans.map { "\($0["spanId"] ?? "") < \($0["parentSpanId"] ?? "") \($0["name"] ?? "")" })
        }
        // Everything but the root, which the live export sends when the session ends.
        #expect(shape(live) == shape(exported.filter { $0["parentSpanId"] != nil }))
    }
}
