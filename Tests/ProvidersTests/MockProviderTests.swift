import BosunJSON
import Foundation
import HTTP
import MockProvider
import Testing
import TestSupport
@testable import Providers

/// The mock's own behaviour: scripts, fault grammar, schema examples.
@Suite struct MockProviderTests {
    @Test func scriptRulesMatchOnModelSystemMessageAndTurn() async throws {
        let script = try MockScript(yaml: """
            rules:
              - match: { model: "stall" }
                fault: "stall"
              - match: { lastMessage: "STEER: stop" }
                reply: { text: "Stopping as steered." }
              - match: { lastMessageRegex: "^ticket-[0-9]+$" }
                reply: { text: "A ticket." }
              - match: { system: "reviewer", turn: 0 }
                reply: { text: "Reviewing." }
                times: 1
              - match: { system: "reviewer" }
                reply: { text: "Reviewed again." }
            """)
        try await withMock(MockProviderOptions(script: script)) { _, port in
            let client = makeModelClient(endpoint(.anthropic, port: port, retry: .none, idleTimeout: 1))
            func ask(_ model: String = "m", system: String = "", messages: [ChatMessage]) async throws -> String {
                try await client.complete(request(model: model, stream: true, messages: messages, system: system), progress: nil).text
            }
            #expect(try await ask(messages: [.user("work"), .assistant("ok"), .user("STEER: stop now")]) == "Stopping as steered.")
            #expect(try await ask(messages: [.user("ticket-42")]) == "A ticket.")
            #expect(try await ask(messages: [.user("ticket-42 please")]) == MockReplyPlannerText.expected(words: 20))
            #expect(try await ask(system: "You are a reviewer.", messages: [.user("x")]) == "Reviewing.")
            #expect(try await ask(system: "You are a reviewer.", messages: [.user("x")]) == "Reviewed again.")
            let error = try await #require(throws: ProviderError.self) { try await ask("stall", messages: [.user("x")]) }
            #expect(error.kind == .timeout)
        }
    }

    /// A rule's latency and rate pace the replies it matches, and only those: the mock notes
    /// each pause it takes, so the pacing is read, not timed.
    @Test func scriptRuleLatencyAndRate() async throws {
        let script = try MockScript(yaml: """
            rules:
              - match: { model: "slow" }
                reply: { text: "one two three four five" }
                latencyMs: 300
                tokensPerSecond: 10
            """)
        try await withMock(MockProviderOptions(script: script)) { server, port in
            let client = makeModelClient(endpoint(.openai, port: port))
            let started = ContinuousClock.now
            let reply = try await client.complete(request(model: "slow", stream: true), progress: nil)
            let took = ContinuousClock.now - started
            #expect(reply.text == "one two three four five")
            _ = try await client.complete(request(model: "fast", stream: true), progress: nil)
            // 300 ms latency, then 4 gaps of 100 ms between 5 tokens; nothing for the other model.
            let paced = server.pacedReplies()
            #expect(paced.map(\.model) == ["slow", "fast"])
            #expect(paced.first?.pauses == [0.3, 0.1, 0.1, 0.1, 0.1], "\(paced)")
            #expect(paced.last?.pauses == [], "\(paced)")
            // The pauses were taken, not only noted. A lower bound: a busy machine only adds to it.
            #expect(took >= .milliseconds(650), "\(took)")
        }
    }

    /// A `hold` rule keeps its requests waiting until a release, over HTTP or the API; a
    /// request no such rule matches is answered meanwhile, and a client that gives up on a
    /// held request is no longer counted.
    @Test func heldRequestsWaitForTheRelease() async throws {
        let script = try MockScript(yaml: """
            rules:
              - match: { model: "held" }
                hold: true
            """)
        try await withMock(MockProviderOptions(script: script)) { server, port in
            let client = makeModelClient(endpoint(.openai, port: port))
            func route(_ method: String, _ path: String) async throws -> JSONValue {
                let response = try await HTTPClient.shared.send(HTTPRequest(method: method, url: "http://127.0.0.1:\(port)\(path)"))
                #expect(response.status == 200)
                return try JSONValue.parse(response.body)
            }
            let first = Task { try await client.complete(request(model: "held", stream: true), progress: nil).text }
            let second = Task { try await client.complete(request(model: "held", stream: false), progress: nil).text }
            #expect(try await waitUntil { server.heldRequests() == 2 }, "both held")
            let free = try await client.complete(request(model: "free", stream: true), progress: nil)
            #expect(free.text == MockReplyPlannerText.expected(words: 20))
            #expect(try await route("GET", "/holds") == ["held": 2])
            #expect(try await route("POST", "/holds/release") == ["released": 2])
            #expect(try await first.value == MockReplyPlannerText.expected(words: 20))
            #expect(try await second.value == MockReplyPlannerText.expected(words: 20))
            #expect(try await route("GET", "/holds") == ["held": 0])

            // A later request waits for the next release; one whose client gives up is let go.
            let abandoned = Task { try await client.complete(request(model: "held", stream: true), progress: nil) }
            #expect(try await waitUntil { server.heldRequests() == 1 }, "held again")
            abandoned.cancel()
            #expect(try await waitUntil { server.heldRequests() == 0 }, "let go once its client closed the connection")
            #expect(server.releaseHeld() == 0)
        }
    }

    @Test func faultsCanBeScopedToAModelAndCounted() async throws {
        let options = MockProviderOptions(faults: [try FaultSpec(parsing: "500:model=flaky,count=1")])
        try await withMock(options) { server, port in
            let client = makeModelClient(endpoint(.anthropic, port: port))
            let solid = try await client.complete(request(model: "solid", stream: false), progress: nil)
            let flaky = try await client.complete(request(model: "flaky", stream: false), progress: nil)
            let flakyAgain = try await client.complete(request(model: "flaky", stream: false), progress: nil)
            #expect([solid.attempts, flaky.attempts, flakyAgain.attempts] == [1, 2, 1] as [Int])
            #expect(server.stats().faultsInjected == 1)
        }
    }

    @Test func probabilityZeroNeverFiresAndOneAlwaysDoes() async throws {
        let options = MockProviderOptions(faults: [try FaultSpec(parsing: "500:probability=0"),
                                                   try FaultSpec(parsing: "401:probability=1,model=locked")])
        try await withMock(options) { _, port in
            let client = makeModelClient(endpoint(.openai, port: port))
            let reply = try await client.complete(request(stream: true), progress: nil)
            #expect(reply.attempts == 1)
            await #expect(throws: ProviderError.self) { try await client.complete(request(model: "locked", stream: true), progress: nil) }
        }
    }

    @Test(arguments: [
        ("429:retry-after=1,count=2", true),
        ("529", true),
        ("reset:probability=0.5", true),
        ("midstream-error:type=api_error,after-tokens=0", true),
        ("stall:after-tokens=10", true),
        ("malformed-sse", true),
        ("600", false),
        ("teapot", false),
        ("429:retry-after", false),
        ("429:retry-after=soon", false),
        ("500:probability=2", false),
        ("500:colour=red", false),
        ("500:should-retry=maybe", false),
    ])
    func faultGrammar(spec: String, valid: Bool) {
        if valid {
            #expect(throws: Never.self) { try FaultSpec(parsing: spec) }
        } else {
            let error = #expect(throws: FaultSpecError.self) { try FaultSpec(parsing: spec) }
            #expect(error?.description.contains(spec) == true)
        }
    }

    @Test func scriptErrorsNameTheRule() {
        let badRegex = #expect(throws: MockScriptError.self) {
            try MockScript(yaml: "rules:\n  - match: { lastMessageRegex: \"([\" }\n")
        }
        #expect(badRegex?.description.contains("rule 1") == true)
        let badFault = #expect(throws: MockScriptError.self) {
            try MockScript(yaml: "rules:\n  - reply: { text: hi }\n  - fault: \"explode\"\n")
        }
        #expect(badFault?.description.contains("rule 2") == true)
        #expect(throws: MockScriptError.self) { try MockScript(yaml: "rules: 5") }
        let typo = #expect(throws: MockScriptError.self) { try MockScript(yaml: "rules:\n  - match: { lastmessage: x }\n") }
        #expect(typo?.description.contains("lastmessage") == true)
    }

    @Test func badRequestsGetClearErrors() async throws {
        try await withMock { _, port in
            let notJSON = try await HTTPClient.shared.send(HTTPRequest(method: "POST", url: "http://127.0.0.1:\(port)/v1/messages",
                                                                       body: Data("{nope".utf8)))
            #expect(notJSON.status == 400)
            #expect(String(decoding: notJSON.body, as: UTF8.self).contains("not a JSON object"))
            let noModel = try await HTTPClient.shared.send(HTTPRequest(method: "POST", url: "http://127.0.0.1:\(port)/v1/chat/completions",
                                                                       body: Data(#"{"messages":[]}"#.utf8)))
            #expect(noModel.status == 400)
            #expect(String(decoding: noModel.body, as: UTF8.self).contains("model"))
            let unknown = try await HTTPClient.shared.send(HTTPRequest(url: "http://127.0.0.1:\(port)/v2/nothing"))
            #expect(unknown.status == 404)
        }
    }

    @Test func portInUseIsAClearError() async throws {
        try await withMock { _, port in
            let second = MockProviderServer(options: MockProviderOptions(port: port))
            let error = await #expect(throws: MockServerError.self) { try await second.start() }
            #expect(error?.description.contains("\(port)") == true)
        }
    }

    static let typedSchemas: [(JSONValue, String)] = [
        (["type": "string"], "string"),
        (["type": "integer", "minimum": 5], "integer"),
        (["type": "number", "exclusiveMinimum": 0, "maximum": 1], "number"),
        (["type": "boolean"], "boolean"),
        (["type": ["null", "string"]], "string"),
        (["enum": ["a", "b"]], "string"),
        (["type": "array", "items": ["type": "integer"], "minItems": 3], "array"),
        (["type": "object", "properties": ["when": ["type": "string", "format": "date-time"]], "required": ["when", "extra"]], "object"),
    ]

    @Test func schemaExamplesHaveTheRightType() {
        for (schema, type) in Self.typedSchemas {
            #expect(SchemaExampleGenerator.example(for: schema).typeName == type, "\(schema)")
        }
    }

    @Test func schemaExamplesSatisfyConstraints() {
        let schema: JSONValue = [
            "$defs": ["Finding": ["type": "object", "properties": ["severity": ["enum": ["low", "high"]], "line": ["type": "integer", "minimum": 1]],
                                  "required": ["severity", "line"]]],
            "type": "object",
            "properties": [
                "findings": ["type": "array", "items": ["$ref": "#/$defs/Finding"], "minItems": 2],
                "summary": ["type": "string", "minLength": 40],
                "score": ["type": "number", "minimum": 0.5, "maximum": 0.9],
                "tag": ["const": "v1"],
                "both": ["allOf": [["properties": ["a": ["type": "string"]], "required": ["a"]],
                                   ["properties": ["b": ["type": "integer"]], "required": ["b"]]]],
            ],
            "required": ["findings", "summary", "score", "tag", "both"],
        ]
        let value = SchemaExampleGenerator.example(for: schema)
        #expect(value["findings"]?.arrayValue?.count == 2)
        #expect(value["findings"]?.arrayValue?.first == ["severity": "low", "line": 1])
        #expect((value["summary"]?.stringValue?.count ?? 0) >= 40)
        #expect((0.5...0.9).contains(value["score"]?.doubleValue ?? -1))
        #expect(value["tag"] == "v1")
        #expect(value["both"]?["a"]?.stringValue != nil && value["both"]?["b"]?.intValue != nil)
    }
}
