import BosunJSON
import BosunProtocol
import Foundation
import Testing

/// The repository's root, for checking its files against the table.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

func repositoryFile(_ path: String) throws -> String {
    try String(contentsOf: repositoryRoot.appendingPathComponent(path), encoding: .utf8)
}

/// The table of operations is the one description of them: the schema file, methods.json,
/// the spec page and the orchestration's code must agree with it.
@Suite struct OperationTable {
    let names = BosunOperations.all.map(\.info.name)

    @Test func namesAreUniqueAndFoundByName() {
        #expect(Set(names).count == names.count)
        for name in names { #expect(BosunOperations.named(name)?.info.name == name) }
        #expect(BosunOperations.named("no-such-operation") == nil)
    }

    @Test func theEmbeddedSchemaIsTheFileInProtocol() throws {
        let file = try JSONValue.parse(try repositoryFile("protocol/bosun-1.schema.json"))
        #expect(ProtocolSchema.shared.bundle == file)
        #expect(!ProtocolSchema.shared.definitions.isEmpty)
    }

    @Test func everyOperationHasSelfContainedSchemas() throws {
        let definitions = ProtocolSchema.shared.definitions
        for operation in BosunOperations.all {
            for (name, schema) in [(operation.info.paramsDefinition, operation.inputSchema),
                                   (operation.info.resultDefinition, operation.outputSchema)] {
                #expect(definitions[name] != nil, "protocol/bosun-1.schema.json has no $defs/\(name)")
                #expect(schema["$schema"] == "https://json-schema.org/draft/2020-12/schema", "\(name)")
                #expect(JSONSchemaValidator.problems(inSchema: schema).isEmpty, "\(name)")
                // Every reference resolves inside the schema itself.
                let text = schema.jsonString()
                let defined = Set(schema["$defs"]?.objectValue?.keys.map { $0 } ?? [])
                var rest = Substring(text)
                while let range = rest.range(of: "\"#/$defs/") {
                    let tail = rest[range.upperBound...]
                    let name = String(tail.prefix { $0 != "\"" })
                    #expect(defined.contains(name), "\(operation.info.name): #/$defs/\(name) does not resolve")
                    rest = tail
                }
            }
            #expect(operation.inputSchema["type"] == "object", "\(operation.info.name): params must be an object")
            #expect(operation.outputSchema["type"] == "object", "\(operation.info.name): a result must be an object")
        }
    }

    @Test func paramsThatMayBeAbsentBecomeTheirObjectForm() {
        #expect(BosunOperations.roles.inputSchema["type"] == "object")
        #expect(BosunOperations.status.inputSchema["properties"]?["workerId"] != nil)
        #expect(BosunOperations.status.outputSchema["oneOf"]?.arrayValue?.count == 2)
    }

    @Test func schemasAcceptRealValuesAndRejectWrongOnes() throws {
        let spawn = BosunOperations.spawn
        #expect(JSONSchemaValidator.validate(["task": "Summarise the README", "wait": true], against: spawn.inputSchema).isEmpty)
        #expect(!JSONSchemaValidator.validate(["inputs": ["a"]], against: spawn.inputSchema).isEmpty)
        let worker = try JSONValue(encoding: Worker(id: "w_1", role: "worker", model: "fast", state: .succeeded, task: "t",
                                                    createdAt: "2026-01-01T00:00:00.000Z", steps: 2, usage: WorkerUsage(),
                                                    result: Worker.Result(text: "done")))
        #expect(JSONSchemaValidator.validate(worker, against: spawn.outputSchema).isEmpty)
    }

    @Test func methodsJSONMarksExactlyTheTableImplemented() throws {
        let index = try JSONValue.parse(try repositoryFile("protocol/methods.json"))
        let entries = try #require(index["methods"]?.arrayValue)
        let lifecycle: Set<String> = ["initialize", "shutdown", "debug/sleep"]
        let implemented = entries.filter { $0["kind"] == "request" && $0["from"] == "client" && $0["implemented"] == true }
            .compactMap { $0["method"]?.stringValue }.filter { !lifecycle.contains($0) }
        #expect(Set(implemented) == Set(names))
        for operation in BosunOperations.all {
            let entry = try #require(entries.first { $0["method"]?.stringValue == operation.info.name })
            #expect(entry["summary"]?.stringValue == operation.info.summary, "\(operation.info.name)")
            #expect(entry["params"]?.stringValue == operation.info.paramsDefinition)
            #expect(entry["result"]?.stringValue == operation.info.resultDefinition)
        }
    }

    @Test func theSpecPageListsEveryOperationAsImplemented() throws {
        let page = try repositoryFile("protocol/README.md")
        for name in names {
            #expect(page.contains("| `\(name)` | **yes** |"), "protocol/README.md's method table must mark \(name) implemented")
        }
    }

    /// The orchestration knows no wire: no method or notification name appears in it as a
    /// string (the table and the front ends own them). A method name that is also the name
    /// of a field (`roles` of `orchestrate`, a plan's `answer`) may appear: errors name their
    /// field, and stored data has its fields.
    @Test func orchestrationSpellsNoWireName() throws {
        let directory = repositoryRoot.appendingPathComponent("Sources/Orchestration")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".swift") }
        #expect(!files.isEmpty)
        let fields = Set(ProtocolSchema.shared.definitions.values
            .flatMap { $0["properties"]?.objectValue?.keys.map { $0 } ?? [] })
        let quoted = (names.filter { !fields.contains($0) }
                      + [BosunNotification.workerEvent, BosunNotification.orchestrationEvent, BosunNotification.progress,
                         "window/logMessage", "initialize"])
            .map { "\"\($0)\"" } + ["\"notifications/", "\"tools/", "\"$/"]
        for file in files {
            let text = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            for name in quoted {
                #expect(!text.contains(name), "Sources/Orchestration/\(file) spells the wire name \(name)")
            }
        }
    }
}
