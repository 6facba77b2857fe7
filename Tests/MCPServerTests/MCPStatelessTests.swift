import BosunJSON
import Foundation
import JSONRPC
import Testing

@testable import MCPServer

/// MCP 2026-07-28's per-request checks and result shapes (the wire tests drive them end to end).
@Suite struct MCPStatelessTests {
    private func request(_ meta: JSONValue?) -> Data {
        var params: [String: JSONValue] = ["name": "roles"]
        if let meta { params["_meta"] = meta }
        return JSONValue.object(["jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": .object(params)]).jsonData()
    }

    @Test func theReaderTakesWhatBosunUsesInOnePass() throws {
        let text = #"""
            {"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"status","arguments":{"a":[1,{"b":"}"}]},
             "_meta":{"io.modelcontextprotocol/clientInfo":{"name":"x\\\"y"},"io.modelcontextprotocol/protocolVersion":"2026-07-28",
             "progressToken":7,"io.modelcontextprotocol/clientCapabilities":{}},"name":"second","unknown":[true,null]}}
            """#
        let reader = try #require(MCPRequestReader.read(Data(text.utf8)))
        #expect(reader["name"] == "status")  // a member named twice counts the first time
        #expect(reader["arguments"] == ["a": [1, ["b": "}"]]])
        #expect(reader.meta == [MCPStateless.versionKey: "2026-07-28", MCPStateless.capabilitiesKey: [:], "progressToken": 7])
        #expect(reader["unknown"] == nil && !reader.paramsNotAnObject)
        #expect(try #require(MCPRequestReader.read(Data(#"{"id":1,"params":[1]}"#.utf8))).paramsNotAnObject)
        #expect(try #require(MCPRequestReader.read(Data(#"{"id":1,"params":null}"#.utf8))).members.isEmpty)
        #expect(MCPRequestReader.read(Data(#"{"id":1,"params":{"name":"x""#.utf8)) == nil)
        let escaped = try #require(MCPRequestReader.read(Data(#"{"params":{"name":"a\u00e9\"b"}}"#.utf8)))
        #expect(escaped["name"] == "aé\"b")
    }

    @Test func resultTypeIsSplicedIntoEveryResult() throws {
        let empty = MCPStateless.complete(EncodedJSON(writtenJSON: Data("{}".utf8)))
        #expect(try JSONValue.parse(empty.data) == ["resultType": "complete"])
        let full = MCPStateless.complete(EncodedJSON(writtenJSON: Data(#"{"content":[],"isError":false}"#.utf8)))
        #expect(try JSONValue.parse(full.data) == ["resultType": "complete", "content": [], "isError": false])
    }

    @Test func theEnvelopeNamesWhatIsWrong() throws {
        let version = MCPStateless.versionKey, capabilities = MCPStateless.capabilitiesKey
        let ok = try MCPStateless.envelope(of: request([.init(stringLiteral: version): "2026-07-28",
                                                         .init(stringLiteral: capabilities): ["extensions": ["io.modelcontextprotocol/tasks": [:]]]]))
        #expect(ok.offersTasks)
        #expect(try !MCPStateless.envelope(of: request([.init(stringLiteral: version): "2026-07-28",
                                                         .init(stringLiteral: capabilities): [:]])).offersTasks)
        // The capabilities are required on every request, as an object.
        for missing: JSONValue in [[.init(stringLiteral: version): "2026-07-28"],
                                   [.init(stringLiteral: version): "2026-07-28", .init(stringLiteral: capabilities): "none"]] {
            do {
                _ = try MCPStateless.envelope(of: request(missing))
                Issue.record("expected an error")
            } catch {
                #expect(error.code == RPCError.invalidParams && error.data == ["field": .string("_meta.\(capabilities)")], "\(error)")
            }
        }
        do {
            _ = try MCPStateless.envelope(of: request([.init(stringLiteral: version): "2025-11-25"]))
            Issue.record("expected an error")
        } catch {
            #expect(error.code == -32022 && error.data?["supported"] == ["2026-07-28"] && error.data?["requested"] == "2025-11-25")
        }
        do {
            _ = try MCPStateless.envelope(of: request(nil))
            Issue.record("expected an error")
        } catch {
            #expect(error.code == RPCError.invalidParams && error.message.contains(version))
        }
    }

    @Test func theToolListIsCacheableAndInTheCatalogsOrder() throws {
        let list = try JSONValue.parse(MCPStateless.toolsListResult.data)
        let legacy = try JSONValue.parse(MCPToolCatalog.listResult.data)
        #expect(list["resultType"] == "complete" && list["cacheScope"] == "public" && list["ttlMs"] == .int(3_600_000))
        #expect(list["tools"] == legacy["tools"])
    }
}
