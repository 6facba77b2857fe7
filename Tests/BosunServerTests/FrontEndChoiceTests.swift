import BosunJSON
import BosunServer
import Testing

/// The first `initialize` picks the protocol: a string `protocolVersion` is MCP, an integer
/// one ACP's agent mode, anything else bosun/1; `serve --mode` fixes it. A protocol this
/// build does not speak is refused with -32601, and the client may initialize again.
@Suite(.serialized, .timeLimit(.minutes(1))) struct FrontEndChoice {
    @Test func initializeParamsSelectTheProtocol() {
        #expect(FrontEndKind.requested(by: ["protocolVersion": "2025-11-25", "capabilities": [:]]) == .mcp)
        #expect(FrontEndKind.requested(by: ["protocolVersion": 1]) == .acp)
        #expect(FrontEndKind.requested(by: ["processId": nil, "rootUri": nil]) == .bosun)
        #expect(FrontEndKind.requested(by: .null) == .bosun)
        #expect(FrontEndKind.requested(by: ["protocolVersion": nil]) == .bosun)
    }

    @Test func unavailableProtocolsAreRefusedAndBosunOneStillWorks() async throws {
        let server = ServerOnPipes(opener: EmptySession.opener)
        server.send(
            #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":1,"clientCapabilities":{}}}"#)
        let acp = try await server.answer(1)
        #expect(acp["error"]?["code"] == -32601)
        let acpMessage = try #require(acp["error"]?["message"]?.stringValue)
        #expect(acpMessage.contains("does not speak ACP agent mode"), "\(acpMessage)")
        #expect(acpMessage.contains("bosun/1"), "\(acpMessage)")
        server.send(#"{"jsonrpc":"2.0","id":2,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"c","version":"1"}}}"#)
        let mcp = try await server.answer(2)
        #expect(mcp["error"]?["code"] == -32601)
        #expect(mcp["error"]?["message"]?.stringValue?.contains("MCP") == true)
        server.send(#"{"jsonrpc":"2.0","id":3,"method":"initialize","params":{}}"#, #"{"jsonrpc":"2.0","id":4,"method":"status"}"#)
        #expect(try await server.answer(3)["result"]?["capabilities"]?["protocol"] == "bosun/1")
        #expect(try await server.answer(4)["result"]?["session"] != nil)
        server.closeInput()
        #expect(await server.exitCode.value == 0)
    }

    @Test func modeBosunIgnoresProtocolVersion() async throws {
        let server = ServerOnPipes(opener: EmptySession.opener, mode: .bosun)
        server.send(#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25"}}"#)
        #expect(try await server.answer(1)["result"]?["capabilities"]?["protocol"] == "bosun/1")
        server.closeInput()
        #expect(await server.exitCode.value == 0)
    }

    @Test func modeMCPRefusesBosunOneWhileThereIsNoMCPFrontEnd() async throws {
        let server = ServerOnPipes(opener: EmptySession.opener, mode: .mcp)
        server.send(#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}"#)
        let answer = try await server.answer(1)
        #expect(answer["error"]?["code"] == -32601)
        #expect(answer["error"]?["message"]?.stringValue?.contains("MCP") == true)
        server.closeInput()
        _ = await server.exitCode.value
    }
}
