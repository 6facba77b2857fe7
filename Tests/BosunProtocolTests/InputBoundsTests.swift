import BosunJSON
import BosunProtocol
import Foundation
import Testing

/// Every string and array a client sends is bounded: the limits are the schema's
/// `maxLength`/`maxItems`, the defaults cover what it leaves open, and a refusal names the
/// field and the limit.
@Suite struct InputBoundsTests {
    let spawn = InputBounds.of(definition: "spawn.params")

    func refusal(_ bounds: InputBounds, _ params: some Encodable) -> SessionError? {
        do {
            try bounds.check(params)
            return nil
        } catch {
            return error as? SessionError
        }
    }

    @Test func theLimitsAreTheSchemas() {
        #expect(spawn.maxLength(at: "task") == 65_536)
        #expect(spawn.maxItems(at: "inputs") == 32)
        #expect(spawn.maxLength(at: "inputs[]") == 65_536)
        #expect(spawn.maxLength(at: "doNot[]") == 4_096)
        #expect(spawn.maxLength(at: "output.format") == 16_384)
        #expect(spawn.maxLength(at: "after[]") == 64)
        let verify = InputBounds.of(definition: "verify.params")
        #expect(verify.maxItems(at: "checks") == 64)
        #expect(verify.maxItems(at: "checks[].command") == 256)
        #expect(verify.maxLength(at: "checks[].rubric") == 65_536)
        // What the schema leaves open gets the defaults.
        #expect(spawn.maxLength(at: "output.schema.description") == InputBounds.defaultMaxLength)
        #expect(spawn.maxItems(at: "output.schema.required") == InputBounds.defaultMaxItems)
    }

    @Test func eachFieldPastItsLimitIsNamedWithTheLimit() throws {
        let long = String(repeating: "a", count: 65_537)
        let cases: [(SpawnParams, field: String, says: String)] = [
            (SpawnParams(task: long), "task", "task is 65537 characters long; the limit is 65536"),
            (SpawnParams(task: "t", inputs: Array(repeating: "x", count: 33)), "inputs", "the limit is 32"),
            (SpawnParams(task: "t", inputs: ["a", "b", "c", long]), "inputs[3]", "the limit is 65536"),
            (SpawnParams(task: "t", doNot: [String(repeating: "d", count: 4_097)]), "doNot[0]", "the limit is 4096"),
            (SpawnParams(task: "t", scope: String(repeating: "s", count: 16_385)), "scope", "the limit is 16384"),
            (SpawnParams(task: "t", output: OutputSpec(schema: ["type": "object", "description": .string(long)])),
             "output.schema.description", "the limit is 65536"),
            (SpawnParams(task: "t", output: OutputSpec(schema: ["type": "object", "required": .array(Array(repeating: "p", count: 1_001))])),
             "output.schema.required", "the limit is 1000"),
            (SpawnParams(task: "t", after: [String(repeating: "w", count: 65)]), "after[0]", "the limit is 64"),
        ]
        for (params, field, says) in cases {
            let error = try #require(refusal(spawn, params), "\(field)")
            #expect(error.code == -32602)
            #expect(error.data?["field"] == .string(field))
            #expect(error.message.contains(says), "\(error.message)")
        }
    }

    @Test func fieldsAtTheirLimitPass() {
        let params = SpawnParams(task: String(repeating: "é", count: 65_536), // counted in characters, not bytes
                                 inputs: Array(repeating: String(repeating: "i", count: 65_536), count: 32),
                                 doNot: Array(repeating: String(repeating: "d", count: 4_096), count: 64))
        #expect(refusal(spawn, params) == nil)
    }

    @Test func theTextOfOneRequestIsBoundedInAll() throws {
        // 80 properties of 60,000 characters each: every string is legal, together they are not.
        let properties = JSONValue.object(Dictionary(uniqueKeysWithValues: (0..<80).map {
            ("p\($0)", JSONValue.object(["description": .string(String(repeating: "x", count: 60_000))]))
        }))
        let error = try #require(refusal(spawn, SpawnParams(task: "t", output: OutputSpec(schema: ["type": "object", "properties": properties]))))
        #expect(error.data?["field"] == "output")
        #expect(error.message.contains("more than \(InputBounds.maxTotalLength) characters"))
    }

    @Test func nestedChecksAreNamedByTheirPlace() throws {
        let verify = InputBounds.of(definition: "verify.params")
        let params = VerifyParams(workerId: "w_1", checks: [.command(CommandCheck(command: ["sh", "-c", String(repeating: "x", count: 70_000)]))])
        let error = try #require(refusal(verify, params))
        #expect(error.data?["field"] == "checks[0].command[2]")
    }

    @Test func summariesCutLongTasks() {
        #expect(Worker.summaryTask("short") == "short")
        let cut = Worker.summaryTask(String(repeating: "é", count: 10_000))
        #expect(cut.count == Worker.summaryTaskLength && cut.hasSuffix("…"))
    }
}
