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
}

@Suite struct JSONTextNonFiniteTests {
    @Test func aNonFiniteNumberBecomesNullInPlace() {
        #expect(JSONText.string(["a": .double(.nan), "b": [1, .double(-.infinity)], "c": "kept"]) == #"{"a":null,"b":[1,null],"c":"kept"}"#)
    }
}
