import BosunJSON
import Providers
import Testing
import Workers
@testable import Orchestration

@Suite struct JSONTextTests {
    @Test(arguments: [
        JSONValue.null, true, 0, -42, 3.25, 1e-7, 12.0, "",
        "quote \" backslash \\ newline \n tab \t bell \u{07} nul \u{0} é 😀 </script>",
        ["nested": ["list": [1, "two", nil, ["deep": false]]], "": "empty key"],
    ])
    func writesJSONThatParsesBackToTheSameValue(_ value: JSONValue) throws {
        let text = JSONText.string(value)
        let parsed = try JSONValue.parse(text)
        #expect(parsed == value || (parsed.doubleValue != nil && parsed.doubleValue == value.doubleValue), "\(text)")
    }

    @Test func contentBlocksMatchTheirCodableForm() throws {
        let content: [ContentBlock] = [
            .text("hi"), .toolUse(id: "c1", name: "read_file", input: ["path": "a\nb"]),
            .toolResult(toolUseId: "c1", content: "line\u{1}", isError: true),
        ]
        let decoded = try JSONValue.parse(JSONText.string(content)).decode(as: [ContentBlock].self)
        #expect(decoded == content)
    }

    @Test(arguments: [
        WorkerResult(text: "done"),
        WorkerResult(text: "with \"all\"", structured: ["answer": 42, "list": [1, nil]], sources: ["a.swift", "https://x/y"]),
        WorkerResult(text: "", structured: nil, sources: []),
    ])
    func resultsMatchTheirCodableForm(_ result: WorkerResult) throws {
        let text = JSONText.string(result)
        #expect(try JSONValue.parse(text) == JSONValue(encoding: result), "\(text)")
        #expect(try JSONValue.parse(text).decode(as: WorkerResult.self) == result)
    }

    @Test func failuresMatchTheirCodableForm() throws {
        let failure = WorkerFailure(code: .maxSteps, message: "Used all 3 steps.\nRaise limits.maxSteps.")
        #expect(try JSONValue.parse(JSONText.string(failure)) == JSONValue(encoding: failure))
    }
}

@Suite struct JSONTextNonFiniteTests {
    @Test func aNonFiniteNumberBecomesNullInPlace() {
        #expect(JSONText.string(["a": .double(.nan), "b": [1, .double(-.infinity)], "c": "kept"]) == #"{"a":null,"b":[1,null],"c":"kept"}"#)
    }
}
