import BosunJSON
import Foundation
import Testing

@testable import JSONRPC

/// Params decoded with `rejectingUnknownFields`: a field the type does not have is -32602
/// naming it and the known field closest to it, at any depth.
@Suite struct UnknownFields {
    struct Limits: Decodable { var maxSteps: Int?; var timeoutSeconds: Double? }
    struct Check: Decodable { var kind: String; var argv: [String]? }
    struct Params: Decodable {
        var task: String
        var wait: Bool?
        var limits: Limits?
        var checks: [Check]?
        var metadata: [String: Int]?
        var schema: JSONValue?
    }

    private func decode(_ params: String, reject: Bool = true) throws(RPCError) -> Params {
        return try ParamsDecoding.decode(Params.self, params: Array(params.utf8)[...], rejectingUnknownFields: reject)
    }

    private func error(_ params: String) -> RPCError? {
        do {
            _ = try decode(params)
            return nil
        } catch {
            return error
        }
    }

    @Test func aMisspeltFieldIsNamedWithTheClosestKnownOne() throws {
        let refused = try #require(error(#"{"task":"t","wiat":true}"#))
        #expect(refused.code == RPCError.invalidParams)
        #expect(refused.message == "unknown field 'wiat' (did you mean 'wait'?)")
        #expect(refused.data?["field"] == "wiat")
    }

    @Test func nestedObjectsAndArrayItemsAreCheckedToo() throws {
        let outer = try #require(error(#"{"task":"t","limit":{"maxSteps":3}}"#))
        #expect(outer.message == "unknown field 'limit' (did you mean 'limits'?)")
        let inner = try #require(error(#"{"task":"t","limits":{"maxStep":3}}"#))
        #expect(inner.message == "unknown field 'limits.maxStep' (did you mean 'limits.maxSteps'?)")
        #expect(inner.data?["field"] == "limits.maxStep")
        let item = try #require(error(#"{"task":"t","checks":[{"kind":"x"},{"kind":"y","argvs":[]}]}"#))
        #expect(item.message == "unknown field 'checks[1].argvs' (did you mean 'checks[1].argv'?)")
    }

    @Test func everyUnknownFieldIsNamedAndAFarOneGetsTheList() throws {
        let refused = try #require(error(#"{"task":"t","wiat":true,"colour":"red"}"#))
        #expect(refused.message == """
            unknown fields 'colour' (the fields are checks, limits, metadata, schema, task, wait); 'wiat' (did you mean 'wait'?)
            """)
        #expect(refused.data?["field"] == "colour")
    }

    @Test func extensionKeysDictionariesAndOpenValuesTakeAnyKey() throws {
        let params = try decode(#"{"task":"t","_meta":{"x":1},"metadata":{"anything":1},"schema":{"type":"object","whatever":2},"limits":{"_note":"ok"}}"#)
        #expect(params.metadata == ["anything": 1])
        #expect(params.schema?["whatever"] == 2)
    }

    @Test func otherErrorsStillNameTheirField() throws {
        #expect(error(#"{"wait":true}"#)?.message == "missing required field 'task'")
        #expect(error(#"{"task":"t","limits":{"maxSteps":"3"}}"#)?.data?["field"] == "limits.maxSteps")
        #expect(error(#"{"task":"t","checks":[{"argv":[]}]}"#)?.message == "missing required field 'checks[0].kind'")
        #expect(error(#"{"task":"t","limits":null}"#) == nil)
    }

    @Test func withoutTheFlagUnknownFieldsAreIgnored() throws {
        #expect(try decode(#"{"task":"t","wiat":true}"#, reject: false).wait == nil)
    }
}
