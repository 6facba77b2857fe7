import BosunJSON
import Foundation
import Testing

@testable import JSONRPC

/// What MCP needs of the transport beyond bosun/1: requests of the server's own (answered
/// by the client), cancellation without an answer, and a front end's own unknown-method error.
@Suite struct ServerRequests {
    @Test func theServerAsksAndTheClientsAnswerComesBack() async throws {
        let registry = MethodRegistry()
        let box = Box()
        registry.register("askClient", NoParams.self) { [box] _, _ in
            let answer = try await box.connection!.request("roots/list")
            return answer["roots"]?.arrayValue?.first?["uri"] ?? .null
        }
        let peer = PipePeer(registry: registry)
        box.connection = peer.connection
        peer.send(#"{"jsonrpc":"2.0","id":1,"method":"askClient"}"# + "\n")
        let request = try await peer.receive()
        #expect(request["method"] == "roots/list")
        let id = try #require(request["id"]?.stringValue)
        peer.send(#"{"jsonrpc":"2.0","id":"\#(id)","result":{"roots":[{"uri":"file:///work"}]}}"# + "\n")
        let answer = try await peer.receive()
        #expect(answer["id"] == 1)
        #expect(answer["result"] == "file:///work")
    }

    @Test func aClientErrorIsThrownWithItsCode() async throws {
        let registry = MethodRegistry()
        let box = Box()
        registry.register("askClient", NoParams.self) { [box] _, _ -> String in
            do {
                _ = try await box.connection!.request("roots/list")
                return "answered"
            } catch let error as RPCError {
                return "\(error.code) \(error.message)"
            }
        }
        let peer = PipePeer(registry: registry)
        box.connection = peer.connection
        peer.send(#"{"jsonrpc":"2.0","id":1,"method":"askClient"}"# + "\n")
        let id = try #require(try await peer.receive()["id"]?.stringValue)
        peer.send(#"{"jsonrpc":"2.0","id":"\#(id)","error":{"code":-32601,"message":"no roots here"}}"# + "\n")
        #expect(try await peer.receive()["result"] == "-32601 no roots here")
    }

    @Test func aRequestCancelledWithoutAnswerGetsNone() async throws {
        let peer = PipePeer(registry: makeRegistry())
        peer.send(#"{"jsonrpc":"2.0","id":7,"method":"sleep"}"# + "\n")
        peer.send(#"{"jsonrpc":"2.0","id":8,"method":"ping"}"# + "\n")
        #expect(try await peer.receive()["id"] == 8)  // the sleep is running
        #expect(peer.connection.cancelWithoutAnswer(id: .number("7")))
        #expect(await peer.staysQuiet(for: .milliseconds(300)))
        #expect(peer.connection.requestsInFlight == 0)
        #expect(!peer.connection.cancelWithoutAnswer(id: .number("7")))
    }

    @Test func aFrontEndChoosesTheUnknownMethodError() async throws {
        let registry = makeRegistry()
        registry.answerUnknownMethods { RPCError(code: RPCError.methodNotFound, message: "call \($0) as a tool") }
        let peer = PipePeer(registry: registry)
        peer.send(#"{"jsonrpc":"2.0","id":1,"method":"spawn"}"# + "\n")
        let error = try await peer.receive()["error"]
        #expect(error?["code"] == -32601)
        #expect(error?["message"] == "call spawn as a tool")
    }
}

/// Hands the connection to a handler registered before the connection existed.
private final class Box: @unchecked Sendable {
    // Set once, before the first request is sent; handlers only read it afterwards.
    var connection: JSONRPCConnection?
}
