import BosunJSON
import Foundation
import Testing

@Suite struct JSONValueTests {
    @Test(arguments: [
        ("null", JSONValue.null),
        ("true", .bool(true)),
        ("1", .int(1)),
        ("-9007199254740993", .int(-9_007_199_254_740_993)),
        ("1.5", .double(1.5)),
        ("\"x\"", .string("x")),
        ("[1,\"a\",null]", .array([1, "a", nil])),
        ("{\"a\":{\"b\":[false]}}", .object(["a": ["b": [false]]])),
    ])
    func parsesEveryKind(text: String, expected: JSONValue) throws {
        #expect(try JSONValue.parse(text) == expected)
    }

    @Test func roundTripsWithSortedKeys() throws {
        let value: JSONValue = ["b": 1, "a": [true, 2.5, "s"]]
        #expect(value.jsonString() == #"{"a":[true,2.5,"s"],"b":1}"#)
        #expect(try JSONValue.parse(value.jsonString()) == value)
    }

    @Test func rejectsNonJSON() {
        #expect(throws: (any Error).self) { try JSONValue.parse("{nope") }
    }

    @Test func convertsCodableValues() throws {
        struct Point: Codable, Equatable { var x: Int; var label: String }
        let value = try JSONValue(encoding: Point(x: 3, label: "p"))
        #expect(value == ["x": 3, "label": "p"])
        #expect(try value.decode(as: Point.self) == Point(x: 3, label: "p"))
    }
}
