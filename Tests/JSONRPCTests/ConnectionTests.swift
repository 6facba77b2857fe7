import BosunJSON
import Foundation
import Synchronization
import Testing

@testable import JSONRPC

struct EchoParams: Codable, Sendable {
    struct Limits: Codable, Sendable { var maxSteps: Int }
    var text: String
    var limits: Limits?
}

struct Unencodable: Encodable, Sendable {
    func encode(to encoder: Encoder) throws {
        throw EncodingError.invalidValue(Double.nan, .init(codingPath: [], debugDescription: "not a number"))
    }
}

struct Boom: Error, CustomStringConvertible { var description: String { "the disk is on fire" } }

/// A registry with a method for every path through the dispatcher.
func makeRegistry() -> MethodRegistry {
    let registry = MethodRegistry()
    registry.register("echo", EchoParams.self) { params, _ in params.text }
    registry.register("ping", NoParams.self) { _, _ in "pong" }
    registry.register("id", NoParams.self) { _, context in context.id.map { JSONValue(stringLiteral: "\($0)") } ?? .null }
    registry.register("sleep", NoParams.self) { _, _ in
        try await Task.sleep(for: .seconds(30)) // stands for a long method, which tests cancel
        return "woke up"
    }
    registry.register("fail", NoParams.self) { _, _ -> String in throw Boom() }
    registry.register("refuse", NoParams.self) { _, _ -> String in
        throw RPCError(code: -32010, message: "unknown worker 'w_1'", data: ["field": "workerId"])
    }
    registry.register("unencodable", NoParams.self) { _, _ in Unencodable() }
    registry.register("notifyMe", NoParams.self) { _, context in
        context.notifier.notify("note", ["hello": "there"] as [String: String])
        return true
    }
    return registry
}

private func errorCode(_ response: JSONValue) -> Int64? { response["error"]?["code"]?.intValue }

@Suite struct Dispatch {
    /// The id comes back as the exact text the client wrote: `1.0` is not `1`, and integers
    /// past 64 bits keep every digit.
    @Test(arguments: [
        #"1"#, #"0"#, #"-7"#, #"1.0"#, #"1e3"#, #"-0"#, #"9007199254740993"#, #"18446744073709551616123"#,
        #""abc""#, #""1""#, #""é \"q\" \n""#,
    ])
    func idsAreEchoedAsWritten(idJSON: String) async throws {
        let peer = PipePeer(registry: makeRegistry())
        peer.send(lspFrame(#"{"jsonrpc":"2.0","id":\#(idJSON),"method":"ping"}"#))
        #expect(try await peer.receiveText() == #"{"jsonrpc":"2.0","id":\#(idJSON),"result":"pong"}"#)
    }

    /// `JSONDecoder` reads `007` as a number; echoed as written it would not be JSON, so such
    /// an id is refused (found by the params fuzz target).
    @Test func anIdThatIsNoJSONNumberIsRefused() async throws {
        let peer = PipePeer(registry: makeRegistry())
        peer.send(#"{"jsonrpc":"2.0","id":007,"method":"ping"}"# + "\n")
        let response = try await peer.receive()
        #expect(response["id"] == .null)
        #expect(errorCode(response) == Int64(RPCError.invalidRequest))
    }

    /// The envelope is decoded (the first of a repeated name wins) while the id and params
    /// are read from the text (which saw the last), so a message naming one of them twice was
    /// answered under the second id, or with the first params (found by the params fuzz
    /// target). Such a message is refused, under its id when that one is not the repeated name.
    @Test(arguments: [
        (#"{"jsonrpc":"2.0","id":1,"method":"ping","id":2}"#, nil as Int64?, "id"),
        (#"{"jsonrpc":"2.0","id":null,"method":"ping","\u0069d":2}"#, nil, "id"),
        (#"{"jsonrpc":"2.0","id":3,"method":"echo","params":{"text":"a"},"params":{"text":"b"}}"#, 3, "params"),
        (#"{"jsonrpc":"2.0","id":4,"method":"ping","method":"echo"}"#, 4, "method"),
        (#"[{"jsonrpc":"2.0","jsonrpc":"2.0","id":5,"method":"ping"}]"#, 5, "jsonrpc"),
    ])
    func aMessageThatRepeatsAMemberIsRefused(message: String, id: Int64?, name: String) async throws {
        let peer = PipePeer(registry: makeRegistry())
        peer.send(message + "\n")
        var response = try await peer.receive()
        if case .array(let members) = response, members.count == 1 { response = members[0] }
        #expect(response["id"] == (id.map { JSONValue.int($0) } ?? .null), "\(response.jsonString())")
        #expect(errorCode(response) == Int64(RPCError.invalidRequest), "\(response.jsonString())")
        #expect(response["error"]?["message"]?.stringValue?.contains(#""\#(name)" appears more than once"#) == true)
        peer.send(#"{"jsonrpc":"2.0","id":6,"method":"ping"}"# + "\n")
        #expect(try await peer.receive()["result"] == "pong")
    }

    @Test func idsThatDifferOnlyInHowTheNumberIsWrittenAreTwoRequests() async throws {
        let peer = PipePeer(registry: makeRegistry())
        peer.send(#"[{"jsonrpc":"2.0","id":1.0,"method":"id"},{"jsonrpc":"2.0","id":1,"method":"id"}]"# + "\n")
        #expect(try await peer.receiveText() == #"[{"jsonrpc":"2.0","id":1.0,"result":"1.0"},{"jsonrpc":"2.0","id":1,"result":"1"}]"#)
    }

    @Test func cancelMatchesTheIdsExactText() async throws {
        let peer = PipePeer(registry: makeRegistry())
        peer.send(#"{"jsonrpc":"2.0","id":2.50,"method":"sleep"}"# + "\n")
        peer.send(#"{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":2.5}}"# + "\n")
        #expect(await peer.staysQuiet(for: .milliseconds(200)))
        peer.send(#"{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":2.50}}"# + "\n")
        let response = try await peer.receiveText()
        #expect(response.hasPrefix(#"{"jsonrpc":"2.0","id":2.50,"error":"#), "\(response)")
        #expect(errorCode(try JSONValue.parse(response)) == Int64(RPCError.requestCancelled))
    }

    /// A key that is not valid Unicode is a problem with the params' content, not their shape.
    @Test func aLoneSurrogateKeyInParamsIsNamedAsSuch() async throws {
        let peer = PipePeer(registry: makeRegistry())
        peer.send(#"{"jsonrpc":"2.0","id":1,"method":"echo","params":{"\ud800":1,"text":"x"}}"# + "\n")
        let response = try await peer.receive()
        #expect(errorCode(response) == Int64(RPCError.invalidParams))
        let message = response["error"]?["message"]?.stringValue ?? ""
        #expect(!message.contains("must be an object or an array"), "\(message)")
        #expect(message.contains("surrogate"), "\(message)")
    }

    @Test func theResponseFollowsTheClientsFraming() async throws {
        let peer = PipePeer(registry: makeRegistry())
        peer.send(#"{"jsonrpc":"2.0","id":1,"method":"ping"}"# + "\n")
        #expect(try await peer.receive()["result"] == "pong")
    }

    @Test func errorCodes() async throws {
        let peer = PipePeer(registry: makeRegistry())
        let cases: [(String, Int, String?)] = [
            (#"{"jsonrpc":"2.0","id":1,"method":"ping""#, RPCError.parseError, nil),
            (#"{"jsonrpc":"2.0","id":2}"#, RPCError.invalidRequest, nil),
            (#"{"id":3,"method":"ping"}"#, RPCError.invalidRequest, nil),
            (#"{"jsonrpc":"2.0","id":{"x":1},"method":"ping"}"#, RPCError.invalidRequest, nil),
            (#"{"jsonrpc":"2.0","id":5,"method":"ping","params":3}"#, RPCError.invalidRequest, nil),
            (#"{"jsonrpc":"2.0","id":6,"method":7}"#, RPCError.invalidRequest, nil),
            (#""just a string""#, RPCError.invalidRequest, nil),
            (#"{"jsonrpc":"2.0","id":8,"method":"nope"}"#, RPCError.methodNotFound, nil),
            (#"{"jsonrpc":"2.0","id":9,"method":"$/unknown"}"#, RPCError.methodNotFound, nil),
            (#"{"jsonrpc":"2.0","id":10,"method":"echo","params":{}}"#, RPCError.invalidParams, "text"),
            (#"{"jsonrpc":"2.0","id":11,"method":"echo","params":{"text":5}}"#, RPCError.invalidParams, "text"),
            (#"{"jsonrpc":"2.0","id":12,"method":"echo","params":{"text":"x","limits":{"maxSteps":"many"}}}"#,
             RPCError.invalidParams, "limits.maxSteps"),
            (#"{"jsonrpc":"2.0","id":13,"method":"echo","params":{"text":null}}"#, RPCError.invalidParams, "text"),
            (#"{"jsonrpc":"2.0","id":14,"method":"echo","params":[1]}"#, RPCError.invalidParams, "params"),
            (#"{"jsonrpc":"2.0","id":15,"method":"unencodable"}"#, RPCError.internalError, nil),
            (#"{"jsonrpc":"2.0","id":16,"method":"fail"}"#, RPCError.requestFailed, nil),
            (#"{"jsonrpc":"2.0","id":17,"method":"refuse"}"#, -32010, "workerId"),
        ]
        for (json, code, field) in cases {
            peer.send(json + "\n")
            let response = try await peer.receive()
            #expect(errorCode(response) == Int64(code), "\(json) → \(response.jsonString())")
            #expect(response["error"]?["message"]?.stringValue?.isEmpty == false)
            if let field {
                #expect(response["error"]?["data"]?["field"] == .string(field), "\(json)")
                #expect(response["error"]?["message"]?.stringValue?.contains(field) == true || field == "workerId")
            }
        }
        #expect(await peer.staysQuiet())
    }

    @Test func handlerErrorsExplainThemselves() async throws {
        let peer = PipePeer(registry: makeRegistry())
        peer.send(#"{"jsonrpc":"2.0","id":1,"method":"fail"}"# + "\n")
        #expect(try await peer.receive()["error"]?["message"] == "'fail' failed: the disk is on fire")
    }

    @Test func emptyParamsAcceptEveryEmptyShape() async throws {
        let peer = PipePeer(registry: makeRegistry())
        for params in ["", #","params":null"#, #","params":{}"#, #","params":[]"#, #","params":{"extra":1}"#] {
            peer.send(#"{"jsonrpc":"2.0","id":1,"method":"ping"\#(params)}"# + "\n")
            #expect(try await peer.receive()["result"] == "pong", "params \(params)")
        }
    }

    @Test func notificationsAreNeverAnswered() async throws {
        let peer = PipePeer(registry: makeRegistry())
        peer.send(#"{"jsonrpc":"2.0","method":"ping"}"# + "\n")
        peer.send(#"{"jsonrpc":"2.0","method":"nope"}"# + "\n")
        peer.send(#"{"jsonrpc":"2.0","method":"$/setTrace","params":{"value":"off"}}"# + "\n")
        peer.send(#"{"jsonrpc":"2.0","id":1,"result":null}"# + "\n")
        #expect(await peer.staysQuiet(for: .milliseconds(300)))
    }

    @Test func handlersCanNotify() async throws {
        let peer = PipePeer(registry: makeRegistry())
        peer.send(#"{"jsonrpc":"2.0","id":1,"method":"notifyMe"}"# + "\n")
        let note = try await peer.receive()
        #expect(note["method"] == "note")
        #expect(note["params"]?["hello"] == "there")
        #expect(note["id"] == nil)
        #expect(try await peer.receive()["result"] == true)
    }

    @Test func cancellationAnswersWithRequestCancelled() async throws {
        let peer = PipePeer(registry: makeRegistry())
        peer.send(lspFrame(#"{"jsonrpc":"2.0","id":"slow","method":"sleep"}"#))
        peer.send(lspFrame(#"{"jsonrpc":"2.0","id":2,"method":"ping"}"#))
        #expect(try await peer.receive()["id"] == 2)  // requests run concurrently
        peer.send(lspFrame(#"{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":"slow"}}"#))
        let response = try await peer.receive()
        #expect(response["id"] == "slow")
        #expect(errorCode(response) == Int64(RPCError.requestCancelled))
    }

    @Test func oversizedMessagesGetAnErrorAndTheConnectionSurvives() async throws {
        let peer = PipePeer(registry: makeRegistry(), maxMessageBytes: 1024)
        let big = #"{"jsonrpc":"2.0","id":1,"method":"echo","params":{"text":""# + String(repeating: "z", count: 5000) + #""}}"#
        peer.send(lspFrame(big))
        peer.send(lspFrame(#"{"jsonrpc":"2.0","id":2,"method":"ping"}"#))
        let error = try await peer.receive()
        #expect(error["id"] == .null)
        #expect(errorCode(error) == Int64(RPCError.invalidRequest))
        #expect(error["error"]?["message"]?.stringValue?.contains("--max-message-bytes") == true)
        #expect(try await peer.receive()["id"] == 2)
    }

    @Test func garbageGetsAParseErrorAndTheNextRequestIsAnswered() async throws {
        let peer = PipePeer(registry: makeRegistry())
        peer.send("Content-Length: 5\r\n\r\nhello")
        peer.send("total garbage\r\n\r\n" + lspFrame(#"{"jsonrpc":"2.0","id":7,"method":"ping"}"#))
        #expect(errorCode(try await peer.receive()) == Int64(RPCError.parseError))
        #expect(errorCode(try await peer.receive()) == Int64(RPCError.parseError))
        #expect(try await peer.receive()["id"] == 7)
    }

    /// What the reader answers itself (here: bodies that are not JSON) leaves before the
    /// answers of the requests that arrived after it, even when those are quick.
    @Test func theReadersOwnAnswersAreNotPassedByLaterRequests() async throws {
        let peer = PipePeer(registry: makeRegistry())
        let pairs = 200
        peer.send((0..<pairs).map { "Content-Length: 5\r\n\r\nhello" + lspFrame(#"{"jsonrpc":"2.0","id":\#($0),"method":"ping"}"#) }.joined())
        var errorsSeen = 0
        var pingsPassingAnError: [Int64] = []
        for _ in 0..<(2 * pairs) {
            let message = try await peer.receive()
            if let id = message["id"]?.intValue {
                if id >= errorsSeen { pingsPassingAnError.append(id) }
            } else {
                #expect(errorCode(message) == Int64(RPCError.parseError))
                errorsSeen += 1
            }
        }
        #expect(errorsSeen == pairs)
        #expect(pingsPassingAnError.isEmpty, "pings answered before the parse error of a message sent before them: \(pingsPassingAnError.prefix(10))")
    }
}

@Suite struct Batches {
    @Test func aBatchIsAnsweredWithOneArrayInAnyOrder() async throws {
        let peer = PipePeer(registry: makeRegistry())
        peer.send(#"[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","method":"ping"},{"jsonrpc":"2.0","id":"b","method":"nope"},42,{"jsonrpc":"2.0","id":3,"method":"echo","params":{"text":"hi"}}]"# + "\n")
        guard let answers = try await peer.receive().arrayValue else {
            Issue.record("a batch is answered with an array")
            return
        }
        #expect(answers.count == 4)
        let byID = Dictionary(answers.map { ($0["id"]?.jsonString() ?? "", $0) }, uniquingKeysWith: { a, _ in a })
        #expect(byID["1"]?["result"] == "pong")
        #expect(errorCode(byID["\"b\""] ?? .null) == Int64(RPCError.methodNotFound))
        #expect(errorCode(byID["null"] ?? .null) == Int64(RPCError.invalidRequest))
        #expect(byID["3"]?["result"] == "hi")
    }

    @Test func anEmptyBatchGetsOneInvalidRequest() async throws {
        let peer = PipePeer(registry: makeRegistry())
        peer.send("[]\n")
        let response = try await peer.receive()
        #expect(response.objectValue != nil)
        #expect(errorCode(response) == Int64(RPCError.invalidRequest))
    }

    @Test func aBatchOfNotificationsGetsNothing() async throws {
        let peer = PipePeer(registry: makeRegistry())
        peer.send(#"[{"jsonrpc":"2.0","method":"ping"},{"jsonrpc":"2.0","method":"nope"}]"# + "\n")
        #expect(await peer.staysQuiet(for: .milliseconds(300)))
    }

    @Test func anInvalidBatchIsAParseError() async throws {
        let peer = PipePeer(registry: makeRegistry())
        peer.send(#"[{"jsonrpc":"2.0","method":"ping"},"# + "\n")
        #expect(errorCode(try await peer.receive()) == Int64(RPCError.parseError))
    }
}

@Suite struct Gate {
    /// Refuses `ping`, and records how each admitted request ended.
    final class Refusing: RequestGate {
        let outcomes = Mutex<[String]>([])

        func admit(method: String, isNotification: Bool) -> Admission {
            method == "ping" ? .reject(RPCError(code: RPCError.serverNotInitialized, message: "not yet")) : .proceed
        }

        func answered(method: String, succeeded: Bool) {
            outcomes.withLock { $0.append("\(method) \(succeeded)") }
        }
    }

    @Test func theGateDecidesBeforeDispatch() async throws {
        let peer = PipePeer(registry: makeRegistry(), gate: Refusing())
        peer.send(#"{"jsonrpc":"2.0","id":1,"method":"ping"}"# + "\n")
        #expect(errorCode(try await peer.receive()) == Int64(RPCError.serverNotInitialized))
        peer.send(#"{"jsonrpc":"2.0","id":2,"method":"echo","params":{"text":"ok"}}"# + "\n")
        #expect(try await peer.receive()["result"] == "ok")
    }

    /// However a request ends, also with params that never reached its handler, the gate
    /// hears of it before the answer leaves; a refused one it decided itself.
    @Test func theGateHearsHowEveryAdmittedRequestEnded() async throws {
        let gate = Refusing()
        let peer = PipePeer(registry: makeRegistry(), gate: gate)
        for request in [
            #"{"jsonrpc":"2.0","id":1,"method":"echo","params":{"text":"\ud800"}}"#,
            #"{"jsonrpc":"2.0","id":2,"method":"echo","params":{"text":1}}"#,
            #"{"jsonrpc":"2.0","id":3,"method":"fail"}"#,
            #"{"jsonrpc":"2.0","id":4,"method":"ping"}"#,
            #"{"jsonrpc":"2.0","id":5,"method":"echo","params":{"text":"ok"}}"#,
        ] {
            peer.send(request + "\n")
            _ = try await peer.receive()
        }
        #expect(gate.outcomes.withLock { $0 } == ["echo false", "echo false", "fail false", "echo true"])
    }
}

@Suite struct ParamsErrors {
    @Test func fieldPathsNameNestedAndIndexedFields() {
        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int?
            init(_ s: String) { stringValue = s }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { stringValue = String(intValue); self.intValue = intValue }
        }
        #expect(ParamsDecoding.fieldPath([Key("params"), Key("limits"), Key("maxSteps")]) == "limits.maxSteps")
        #expect(ParamsDecoding.fieldPath([Key("params"), Key("inputs"), Key(intValue: 2)!]) == "inputs[2]")
        #expect(ParamsDecoding.fieldPath([Key("params")]) == "params")
        #expect(ParamsDecoding.fieldPath([]) == "params")
    }
}

/// Where a lone surrogate sits, as the -32602 answer names it; valid pairs are not flagged.
@Suite struct LoneSurrogateLocation {
    @Test(arguments: [
        (#"{"a":"\ud800"}"#, "a", #"\ud800"#, false),
        (#"{"a":{"b":["ok","x\udc00"]}}"#, "a.b[1]", #"\udc00"#, false),
        (#"{"\ud83dx":1}"#, "params", #"\ud83d"#, true),
        (#"{"c":{"\udbff":1}}"#, "c", #"\udbff"#, true),
        (#"[1,{"t":"\ud800\u0041"}]"#, "params[1].t", #"\ud800"#, false),
        (#"{"ok":"\ud83d\ude00 \\ud800","n":[1.5e3,true,null]}"#, nil, nil, false),
    ] as [(String, String?, String?, Bool)])
    func namesTheFieldAndTheEscape(json: String, field: String?, escape: String?, inKey: Bool) {
        let found = LoneSurrogates.first(in: Array(json.utf8)[...])
        #expect(found?.field == field)
        #expect(found?.escape == escape)
        if found != nil { #expect(found?.inKey == inKey) }
    }
}

/// Params are decoded from their own bytes, found by the one read of the envelope, in
/// whichever way the message was read (the scanner's, or the thorough one's).
@Suite struct ParamsFromTheirBytes {
    private func received(_ text: String) throws -> ReceivedMessage {
        switch IncomingMessage.parse(Array(text.utf8)) {
        case .request(_, _, let message), .notification(_, let message): return message
        default: throw RPCError(code: 0, message: "not a request: \(text)")
        }
    }

    private func text(_ message: String) throws -> String {
        try ParamsDecoding.decode(EchoParams.self, from: try received(message), rejectingUnknownFields: false).text
    }

    @Test func absentParamsStillNameAMissingRequiredField() throws {
        let message = try received(#"{"jsonrpc":"2.0","id":1,"method":"echo"}"#)
        #expect(message.hasEmptyParams)
        do {
            _ = try ParamsDecoding.decode(EchoParams.self, from: message, rejectingUnknownFields: false)
            Issue.record("absent params decoded into a type with a required field")
        } catch {
            #expect(error.message.contains("'text'"), "\(error.message)")
        }
    }

    @Test(arguments: [
        // Escapes inside the params: their bytes are decoded as they are, escapes and all.
        (#"{"jsonrpc":"2.0","id":1,"method":"echo","params":{"text":"a\"b\\c\u00e9\n"}}"#, "a\"b\\c\u{e9}\n"),
        // Non-ASCII text (read the thorough way) and a key written with escapes.
        (#"{"jsonrpc":"2.0","id":1,"method":"echo","params":{"text":"Grüße"}}"#, "Grüße"),
        (#"{"jsonrpc":"2.0","id":1,"method":"echo","\u0070arams":{"text":"hi"}}"#, "hi"),
        (#"{"params":{"text":"first"},"jsonrpc":"2.0","id":1,"method":"echo"}"#, "first"),
        (#"{"jsonrpc":"2.0","id":1,"method":"echo","params":{"other":{"text":"no"},"text":"yes"}}"#, "yes"),
    ])
    func paramsAreDecodedFromTheirOwnBytes(message: String, expected: String) throws {
        #expect(try text(message) == expected)
    }

    @Test func emptyParamsAreTheSameHoweverWritten() throws {
        for params in ["", #","params":null"#, #","params":{}"#, #","params":{ }"#] {
            #expect(try received(#"{"jsonrpc":"2.0","id":1,"method":"status"\#(params)}"#).hasEmptyParams, "\(params)")
        }
        #expect(try !received(#"{"jsonrpc":"2.0","id":1,"method":"status","params":{"a":1}}"#).hasEmptyParams)
        #expect(try !received(#"{"jsonrpc":"2.0","id":1,"method":"status","params":[]}"#).hasEmptyParams)
    }
}

/// Params written already go into the notification as they are: the same bytes as writing
/// the value they were written from.
@Suite struct WrittenNotificationParamsTests {
    @Test func writtenParamsAreSplicedByteForByte() throws {
        let value: JSONValue = ["workerId": "w_1", "seq": 4, "kind": "failed", "at": "2026-01-01T00:00:00.000Z",
                                "data": ["error": ["code": "max_steps", "message": "Used \"all\"/3\n"], "costUSD": 0.125]]
        let typed = try MessageEncoding.notification(method: "worker/event", params: value)
        let spliced = try MessageEncoding.notification(method: "worker/event",
                                                       params: EncodedJSON(writtenJSON: Data(value.jsonBytes())))
        #expect(spliced == typed, "\(String(decoding: spliced, as: UTF8.self))")
    }
}
