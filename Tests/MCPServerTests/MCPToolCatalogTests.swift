import BosunJSON
import BosunProtocol
import Testing

@testable import MCPServer

/// The pure parts of MCP mode: the tools made from the table, argument errors named by field,
/// version negotiation, and worker states as task statuses.
@Suite struct MCPToolCatalogTests {
    @Test func everyOperationIsATool() throws {
        let list = try JSONValue.parse(MCPToolCatalog.listResult.data)
        let names = list["tools"]?.arrayValue?.compactMap { $0["name"]?.stringValue }
        #expect(names == BosunOperations.all.map(\.info.name))
    }

    /// Model APIs take only a plain object schema at the top of a tool's input.
    @Test(arguments: BosunOperations.all.map(\.info.name))
    func inputSchemasArePlainObjectsThatRefuseUnknownFields(name: String) throws {
        let schema = try #require(MCPToolCatalog.inputSchemas[name]).schema
        #expect(schema["type"] == "object")
        #expect(schema["additionalProperties"] == false)
        for keyword in ["anyOf", "oneOf", "allOf"] { #expect(schema[keyword] == nil, "\(name) has \(keyword) at the top") }
        #expect(JSONSchemaValidator.problems(inSchema: schema).isEmpty)
    }

    @Test func alternativesAreMergedAndTheProgressTokenIsLeftToMeta() throws {
        let status = try #require(MCPToolCatalog.inputSchemas["status"]).schema
        #expect(status["properties"]?["workerId"] != nil)
        #expect(JSONSchemaValidator.validate([:], against: status).isEmpty)
        let spawn = try #require(MCPToolCatalog.inputSchemas["spawn"]).schema
        #expect(spawn["properties"]?["task"] != nil)
        #expect(spawn["properties"]?["workDoneToken"] == nil)
        #expect(spawn["required"] == ["task"])
    }

    @Test func onlyOperationsThatMakeWorkersRunAsTasks() throws {
        let list = try JSONValue.parse(MCPToolCatalog.listResult.data)
        let taskTools = list["tools"]?.arrayValue?.filter { $0["execution"]?["taskSupport"] == "optional" }
            .compactMap { $0["name"]?.stringValue }
        #expect(taskTools == ["spawn"])
    }

    @Test(arguments: [
        (SchemaViolation(path: "", message: "missing required property \"task\""), "task"),
        (SchemaViolation(path: "/limits/maxSteps", message: "expected integer, got string"), "limits.maxSteps"),
        (SchemaViolation(path: "/inputs/2", message: "expected string, got integer"), "inputs[2]"),
        (SchemaViolation(path: "/output", message: "missing required property \"schema\""), "output.schema"),
        (SchemaViolation(path: "", message: "expected object, got array"), "arguments"),
    ])
    func violationsNameTheField(violation: SchemaViolation, field: String) {
        #expect(MCPToolCall.fieldName(violation) == field)
    }

    @Test func theClientsVersionIsAnsweredWhenSupported() {
        #expect(MCPVersion.negotiate("2025-06-18") == "2025-06-18")
        #expect(MCPVersion.negotiate("2025-03-26") == "2025-03-26")
        #expect(MCPVersion.negotiate("2024-11-05") == "2025-11-25")
        #expect(MCPVersion.negotiate("2026-07-28") == "2025-11-25")
    }

    @Test(arguments: [
        (WorkerState.queued, "working"), (.running, "working"), (.succeeded, "completed"), (.cancelled, "cancelled"),
        (.failed, "failed"), (.timedOut, "failed"), (.interrupted, "failed"),
    ])
    func workerStatesAreTaskStatuses(state: WorkerState, status: String) {
        #expect(MCPTaskStatus.of(state) == status)
    }

    @Test func eachFailureCodeGetsItsOwnAdvice() {
        func advice(_ state: WorkerState, _ code: FailureCode) -> String {
            MCPWorkerAdvice.explain(Worker(id: "w_1", role: "worker", model: "fast", state: state, task: "t",
                                           createdAt: "2026-01-01T00:00:00.000Z", steps: 1, usage: WorkerUsage(),
                                           error: Worker.Failure(code: code, message: "m")))
        }
        #expect(advice(.timedOut, .timeout).contains("limits.timeoutSeconds"))
        #expect(advice(.failed, .maxSteps).contains("limits.maxSteps"))
        #expect(advice(.failed, .maxSteps).contains("(max_steps: m)"))
        #expect(advice(.failed, .dependencyFailed).contains("ran after"))
        #expect(advice(.failed, .stalled).contains("Read its trace"))
    }
}
