import BosunJSON
import Foundation
import Testing

@Suite struct JSONSchemaValidatorTests {
    struct Case: CustomStringConvertible, Sendable {
        var name: String
        var schema: JSONValue
        var value: JSONValue
        /// Paths of the expected violations; empty when the value must pass.
        var failures: [String]
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(name: "type ok", schema: ["type": "string"], value: "x", failures: []),
        Case(name: "type wrong", schema: ["type": "string"], value: 1, failures: [""]),
        Case(name: "integer accepts 2.0", schema: ["type": "integer"], value: .double(2.0), failures: []),
        Case(name: "integer refuses 2.5", schema: ["type": "integer"], value: 2.5, failures: [""]),
        Case(name: "number accepts integer", schema: ["type": "number"], value: 2, failures: []),
        Case(name: "type list", schema: ["type": ["string", "null"]], value: nil, failures: []),
        Case(name: "required missing", schema: ["type": "object", "required": ["text"]], value: [:], failures: [""]),
        Case(name: "nested property", schema: ["properties": ["a": ["properties": ["b": ["type": "boolean"]]]]],
             value: ["a": ["b": "no"]], failures: ["/a/b"]),
        Case(name: "additionalProperties false", schema: ["properties": ["a": true], "additionalProperties": false],
             value: ["a": 1, "z": 2], failures: ["/z"]),
        Case(name: "additionalProperties schema", schema: ["additionalProperties": ["type": "integer"]],
             value: ["k": "v"], failures: ["/k"]),
        Case(name: "patternProperties", schema: ["patternProperties": ["^n_": ["type": "number"]]],
             value: ["n_a": "x", "other": "y"], failures: ["/n_a"]),
        Case(name: "items", schema: ["items": ["type": "string"]], value: ["a", 1, "c"], failures: ["/1"]),
        Case(name: "prefixItems then items", schema: ["prefixItems": [["type": "integer"]], "items": ["type": "string"]],
             value: [1, "a", 2], failures: ["/2"]),
        Case(name: "minItems", schema: ["minItems": 2], value: [1], failures: [""]),
        Case(name: "uniqueItems", schema: ["uniqueItems": true], value: [1, 2, 1.0], failures: ["/2"]),
        Case(name: "contains", schema: ["contains": ["const": "x"]], value: ["a", "b"], failures: [""]),
        Case(name: "enum", schema: ["enum": ["low", "high"]], value: "mid", failures: [""]),
        Case(name: "const", schema: ["const": ["a": 1]], value: ["a": 1.0], failures: []),
        Case(name: "string length counts scalars", schema: ["maxLength": 2], value: "é€", failures: []),
        Case(name: "pattern", schema: ["pattern": "^[a-z]+$"], value: "abc1", failures: [""]),
        Case(name: "minimum", schema: ["minimum": 0], value: -1, failures: [""]),
        Case(name: "exclusiveMaximum", schema: ["exclusiveMaximum": 1], value: 1, failures: [""]),
        Case(name: "multipleOf", schema: ["multipleOf": 0.1], value: 0.3, failures: []),
        Case(name: "anyOf", schema: ["anyOf": [["type": "string"], ["type": "integer"]]], value: true, failures: [""]),
        Case(name: "oneOf two match", schema: ["oneOf": [["type": "number"], ["type": "integer"]]], value: 1, failures: [""]),
        Case(name: "not", schema: ["not": ["type": "null"]], value: nil, failures: [""]),
        Case(name: "if then", schema: ["if": ["properties": ["kind": ["const": "a"]]], "then": ["required": ["x"]]],
             value: ["kind": "a"], failures: [""]),
        Case(name: "local ref", schema: ["$defs": ["id": ["type": "string"]], "properties": ["id": ["$ref": "#/$defs/id"]]],
             value: ["id": 7], failures: ["/id"]),
        Case(name: "false schema", schema: false, value: 1, failures: [""]),
        Case(name: "escaped path", schema: ["properties": ["a/b": ["type": "string"]]], value: ["a/b": 1], failures: ["/a~1b"]),
        Case(name: "escaped tilde", schema: ["properties": ["a~b/c": ["type": "string"]]], value: ["a~b/c": 1], failures: ["/a~0b~1c"]),
    ]

    @Test(arguments: cases)
    func validates(_ c: Case) {
        let violations = JSONSchemaValidator.validate(c.value, against: c.schema)
        #expect(violations.map(\.path) == c.failures, "\(violations)")
    }

    @Test func messagesSayWhatIsWrong() {
        let violations = JSONSchemaValidator.validate(["n": "x"], against: ["required": ["text"], "properties": ["n": ["type": "integer"]]])
        #expect(violations.map(\.description).sorted() == ["/n: expected integer, got string", "missing required property \"text\""])
    }

    @Test func lintsBadSchemas() {
        #expect(JSONSchemaValidator.problems(inSchema: ["type": "object", "properties": ["a": ["type": "strin"]]]).map(\.path) == ["/properties/a/type"])
        #expect(JSONSchemaValidator.problems(inSchema: ["$ref": "#/$defs/missing"]).count == 1)
        #expect(JSONSchemaValidator.problems(inSchema: ["pattern": "("]).count == 1)
        #expect(JSONSchemaValidator.problems(inSchema: "string").count == 1)
        #expect(JSONSchemaValidator.problems(inSchema: ["type": "object", "required": ["text"], "properties": ["text": ["type": "string"]]]).isEmpty)
    }
}
