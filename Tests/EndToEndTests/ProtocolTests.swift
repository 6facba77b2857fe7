import BosunJSON
import Foundation
import Testing

/// JSON-RPC behaviour of the real binary: errors, cancellation, garbage, batches, load.
@Suite(.serialized) struct WireProtocol {
    @Test(arguments: WireFraming.allCases)
    func unknownMethodsAndInvalidParams(framing: WireFraming) async throws {
        let bosun = try BosunProcess.launch(framing: framing)
        try await bosun.initialize()
        let unknown = try await bosun.request("frobnicate")
        #expect(unknown["error"]?["code"] == -32601)
        #expect(unknown["error"]?["message"]?.stringValue?.contains("frobnicate") == true)
        let invalid = try await bosun.request("status", ["workerId": 5])
        #expect(invalid["error"]?["code"] == -32602)
        #expect(invalid["error"]?["data"]?["field"] == "workerId")
        let unknownWorker = try await bosun.request("status", ["workerId": "w_nope"])
        #expect(unknownWorker["error"]?["code"] == -32010)
        let stringID = try await bosun.response(id: bosun.sendRequest("status", id: "my-id"))
        #expect(stringID["id"] == "my-id")
        #expect(try await bosun.shutdownAndExit() == 0)
    }

    /// A misspelt field is refused before anything runs, named with the field it resembles.
    @Test func misspeltParamsAreRefusedWithTheClosestField() async throws {
        let bosun = try BosunProcess.launch()
        try await bosun.initialize()
        let wait = try await bosun.request("spawn", ["task": "t", "wiat": true])
        #expect(wait["error"]?["code"] == -32602)
        #expect(wait["error"]?["message"] == "unknown field 'wiat' (did you mean 'wait'?)")
        #expect(wait["error"]?["data"]?["field"] == "wiat")
        let limits = try await bosun.request("spawn", ["task": "t", "limits": ["maxStep": 3]])
        #expect(limits["error"]?["message"] == "unknown field 'limits.maxStep' (did you mean 'limits.maxSteps'?)")
        let orchestrate = try await bosun.request("orchestrate", ["goal": "g", "limit": ["maxWorkers": 2]])
        #expect(orchestrate["error"]?["message"] == "unknown field 'limit' (did you mean 'limits'?)")
        let meta = try await bosun.request("status", ["_meta": ["trace": "x"]])
        #expect(meta["result"]?["workers"] == [])
        #expect(try await bosun.call("status")["workers"] == [])
        #expect(try await bosun.shutdownAndExit() == 0)
    }

    @Test(arguments: WireFraming.allCases)
    func cancellationAnswersMinus32800(framing: WireFraming) async throws {
        let bosun = try BosunProcess.launch(["serve", "--debug-methods"], framing: framing)
        try await bosun.initialize()
        let slow = bosun.sendRequest("debug/sleep", ["seconds": 60])
        #expect(try await bosun.call("status")["workers"] == [])  // not blocked by the sleeper
        bosun.notify("$/cancelRequest", ["id": slow])
        let response = try await bosun.response(id: slow)
        #expect(response["error"]?["code"] == -32800)
        #expect(try await bosun.call("debug/sleep", ["seconds": 0.01])["slept"] == 0.01)
        #expect(try await bosun.shutdownAndExit() == 0)
    }

    @Test(arguments: WireFraming.allCases)
    func garbageThenAValidRequestIsAnswered(framing: WireFraming) async throws {
        let bosun = try BosunProcess.launch(framing: framing)
        let first = #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}"#
        bosun.sendRaw(framing.frame(Data(first.utf8)))
        _ = try await bosun.response(id: 1)
        bosun.sendRaw("this is not a message at all\r\n\u{01}\u{02}\r\n\r\n")
        let parseError = try await bosun.response(id: .null)
        #expect(parseError["error"]?["code"] == -32700)
        #expect(try await bosun.call("status")["workers"] == [])
        #expect(try await bosun.shutdownAndExit() == 0)
    }

    @Test func oversizedMessagesAreRefusedAndTheConnectionSurvives() async throws {
        let bosun = try BosunProcess.launch(["serve", "--max-message-bytes", "2048"])
        try await bosun.initialize()
        bosun.sendRequest("status", ["padding": .string(String(repeating: "x", count: 5000))])
        let refused = try await bosun.response(id: .null)
        #expect(refused["error"]?["code"] == -32600)
        #expect(refused["error"]?["message"]?.stringValue?.contains("2048") == true)
        #expect(try await bosun.call("status")["workers"] == [])
        #expect(try await bosun.shutdownAndExit() == 0)
    }

    @Test func aBatchIsAnsweredWithOneArray() async throws {
        let bosun = try BosunProcess.launch(framing: .ndjson)
        try await bosun.initialize()
        bosun.sendRaw(#"[{"jsonrpc":"2.0","id":"a","method":"status"},{"jsonrpc":"2.0","method":"initialized"},{"jsonrpc":"2.0","id":"b","method":"nope"}]"# + "\n")
        #expect(try await bosun.response(id: "a")["result"] != nil)
        #expect(try await bosun.response(id: "b")["error"]?["code"] == -32601)
        #expect(bosun.batches.first?.arrayValue?.count == 2)
        #expect(try await bosun.shutdownAndExit() == 0)
    }

    @Test(arguments: WireFraming.allCases)
    func tenThousandPipelinedRequestsAreAllAnswered(framing: WireFraming) async throws {
        let bosun = try BosunProcess.launch(framing: framing)
        try await bosun.initialize()
        var batch = Data()
        for id in 1...10_000 {
            let message: JSONValue = ["jsonrpc": "2.0", "id": .int(Int64(id)), "method": "status"]
            batch.append(framing.frame(message.jsonData()))
        }
        bosun.sendRaw(batch)
        for id in 1...10_000 {
            let response = try await bosun.response(id: .int(Int64(id)), timeout: .seconds(60))
            #expect(response["result"]?["workers"] == [], "id \(id)")
        }
        #expect(try await bosun.shutdownAndExit() == 0)
        #expect(bosun.stdoutProblems.isEmpty)
    }
}
