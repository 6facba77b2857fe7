import BosunJSON
import Foundation
import Synchronization
import Testing

@testable import JSONRPC

/// One read of each message: `MessageScanner` checks the text and finds the envelope in one
/// pass, and what it reads is what the thorough way (`JSONDecoder`) reads; what it will not
/// judge it leaves to the thorough way, so errors stay exactly what they were.
@Suite struct OnePassEnvelope {
    private func summary(_ message: IncomingMessage?) -> String? {
        switch message {
        case .request(let id, let method, let message)?:
            return "request \(String(describing: id)) \(method) \(String(describing: message.params))"
        case .notification(let method, let message)?:
            return "notification \(method) \(String(describing: message.params))"
        case .response(let id, _)?: return "response \(String(describing: id))"
        case .invalid(let id, let error)?: return "invalid \(String(describing: id)) \(error.message)"
        case .batch?: return "batch"
        case nil: return nil
        }
    }

    @Test(arguments: [
        #"{"jsonrpc":"2.0","id":1,"method":"status"}"#,
        #" { "method" : "status" , "id" : "a\"b" , "jsonrpc" : "2.0" } "#,
        #"{"jsonrpc":"2.0","id":null,"method":"m","params":null}"#,
        #"{"jsonrpc":"2.0","method":"note","params":[1,-2.5e+3,true,false,null,{"a":[]}]}"#,
        #"{"jsonrpc":"2.0","id":7,"method":"m","params":{"s":"\n\t\u00e9\/","deep":{"x":{"y":[{}]}}},"extra":0}"#,
        #"{"jsonrpc":"2.0","id":-0.5e7,"result":{"ok":true}}"#,
        #"{"jsonrpc":"2.0","id":"x","error":{"code":1,"message":"no"}}"#,
    ])
    func readsWhatTheThoroughWayReads(text: String) {
        let bytes = Array(text.utf8)
        let fast = IncomingMessage.scanned(bytes)
        #expect(fast != nil, "the scanner gave up on \(text)")
        #expect(summary(fast) == summary(IncomingMessage.parseSingle(bytes)))
    }

    @Test(arguments: [
        #"{"jsonrpc":"2.0","\u0069d":1,"method":"status"}"#,  // a name written with escapes
        #"{"jsonrpc":"2.0","id":1,"method":"st\u0061tus"}"#,  // a method written with escapes
        #"{"jsonrpc":"2.0","id":1,"method":"status","params":{"s":"é"}}"#,  // beyond ASCII
        #"{"jsonrpc":"2.0","id":1,"method":"m","params":{"s":"\ud800"}}"#,  // half a surrogate pair
        #"{"jsonrpc":"2.0","id":1,"method":"m","id":2}"#,  // a repeated member
        #"{"jsonrpc":"1.0","id":1,"method":"m"}"#,
        #"{"id":1,"method":"m"}"#,
        #"{"jsonrpc":"2.0","id":true,"method":"m"}"#,
        #"{"jsonrpc":"2.0","id":007,"method":"m"}"#,
        #"{"jsonrpc":"2.0","id":1,"method":"m","params":5}"#,
        #"{"jsonrpc":"2.0","id":1,"method":7}"#,
        #"{"jsonrpc":"2.0","id":1}"#,
        #"{"jsonrpc":"2.0","id":1,"method":"m"} x"#,
        #"{"jsonrpc":"2.0","id":1,"method":"m","params":{"a":01}}"#,
        #"{"jsonrpc":"2.0","id":1,"method":"m","params":{"a":"\x"}}"#,
        #"{"jsonrpc":"2.0","id":1,"method":"m","params":{"a":[1,]}}"#,
        #"[{"jsonrpc":"2.0","id":1,"method":"m"}]"#,
    ])
    func leavesWhatItWillNotJudgeToTheThoroughWay(text: String) {
        #expect(IncomingMessage.scanned(Array(text.utf8)) == nil, "the scanner read \(text)")
    }

    @Test(arguments: [
        #"[]"#,
        #" [ {"jsonrpc":"2.0","id":1,"method":"a"} , 5 , "x" , [ ] ] "#,
        #"[{"jsonrpc":"2.0","id":1,"method":"a"},{"jsonrpc":"2.0","method":"n","params":{"k":[1,2]}}]"#,
    ])
    func splitsABatchWhereTheThoroughWaySplitsIt(text: String) {
        let bytes = Array(text.utf8)
        let ranges = bytes.withUnsafeBufferPointer(MessageScanner.elements(of:))
        #expect(ranges != nil, "the scanner gave up on \(text)")
        #expect(ranges == RawJSONText.elements(in: bytes))
    }

    @Test(arguments: [#"[1,]"#, #"[1 2]"#, #"[{"a":"é"}]"#, #"[1] x"#, #"[{"a":}]"#, #"[""#])
    func leavesABatchItWillNotJudgeToTheThoroughWay(text: String) {
        #expect(Array(text.utf8).withUnsafeBufferPointer(MessageScanner.elements(of:)) == nil, "the scanner split \(text)")
    }

    @Test func deepNestingIsLeftToTheThoroughWay() {
        let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(IncomingMessage.scanned(Array(#"{"jsonrpc":"2.0","id":1,"method":"m","params":\#(deep)}"#.utf8)) == nil)
    }
}

/// A method with an answer ready is answered by the reader thread, many answers of one read
/// leaving together, and however the reads split the messages.
@Suite struct AnswersAtOnce {
    struct Probe: Decodable, Sendable { var x: Int? }

    final class Count: Sendable {
        private let value = Mutex(0)
        func add() { value.withLock { $0 += 1 } }
        var now: Int { value.withLock { $0 } }
    }

    /// `cached` answers at once with `{"cached":true}` and counts the requests its handler ran.
    private func registry(handled: Count) -> MethodRegistry {
        let registry = makeRegistry()
        let ready = EncodedJSON(writtenJSON: Data(#"{"cached":true}"#.utf8))
        registry.register("cached", Probe.self, atOnce: { _ in ready }) { _, _ in
            handled.add()
            return EncodedJSON(writtenJSON: Data(#"{"cached":false}"#.utf8))
        }
        return registry
    }

    @Test func manyRequestsInOneReadAreAllAnsweredWithoutTheirHandler() async throws {
        let handled = Count()
        let peer = PipePeer(registry: registry(handled: handled))
        let count = 500
        // One write of every request: the reader takes them in one read (or a few) and answers
        // each from what `atOnce` has ready; an `echo` among them still runs on its task.
        var text = (1...count).map { #"{"jsonrpc":"2.0","id":\#($0),"method":"cached"}"# + "\n" }.joined()
        text += #"{"jsonrpc":"2.0","id":"e","method":"echo","params":{"text":"still here"}}"# + "\n"
        peer.send(text)
        var ids = Set<Int64>()
        var echoed = false
        for _ in 0...count {
            let answer = try await peer.receive()
            if answer["id"] == "e" {
                echoed = answer["result"] == "still here"
            } else {
                #expect(answer["result"] == ["cached": true])
                if let id = answer["id"]?.intValue { ids.insert(id) }
            }
        }
        #expect(ids == Set((1...Int64(count)).map { $0 }))
        #expect(echoed)
        #expect(handled.now == 0)
    }

    @Test func paramsThatAreNotEmptyGoToTheHandler() async throws {
        let handled = Count()
        let peer = PipePeer(registry: registry(handled: handled))
        peer.send(#"{"jsonrpc":"2.0","id":1,"method":"cached","params":{}}"# + "\n")
        #expect(try await peer.receive()["result"] == ["cached": true])
        #expect(handled.now == 0)
        peer.send(#"{"jsonrpc":"2.0","id":2,"method":"cached","params":{"x":1}}"# + "\n")
        let answer = try await peer.receive()
        #expect(answer["id"] == 2)
        #expect(answer["result"] == ["cached": false])
        #expect(handled.now == 1)
    }

    @Test func aRawMethodIsAskedWithTheWholeMessageAndMayDecline() async throws {
        let handled = Count()
        let registry = makeRegistry()
        // Ready only for a message that says "ready" somewhere in its params.
        registry.registerRaw("raw", atOnce: { message in
            String(decoding: message, as: UTF8.self).contains("ready") ? EncodedJSON(writtenJSON: Data(#"{"atOnce":true}"#.utf8)) : nil
        }) { _, _ in
            handled.add()
            return EncodedJSON(writtenJSON: Data(#"{"atOnce":false}"#.utf8))
        }
        let peer = PipePeer(registry: registry)
        peer.send(#"{"jsonrpc":"2.0","id":1,"method":"raw","params":{"name":"ready","x":[1]}}"# + "\n")
        #expect(try await peer.receive()["result"] == ["atOnce": true])
        #expect(handled.now == 0)
        peer.send(#"{"jsonrpc":"2.0","id":2,"method":"raw","params":{"name":"later"}}"# + "\n")
        #expect(try await peer.receive()["result"] == ["atOnce": false])
        #expect(handled.now == 1)
    }

    @Test(arguments: [Framing.newlineDelimited, .contentLength])
    func aMessageSplitOverReadsIsAnsweredOnce(framing: Framing) async throws {
        let handled = Count()
        let peer = PipePeer(registry: registry(handled: handled))
        var first: [UInt8] = []
        var second: [UInt8] = []
        framing.frame(Data(#"{"jsonrpc":"2.0","id":1,"method":"cached"}"#.utf8), into: &first)
        framing.frame(Data(#"{"jsonrpc":"2.0","id":2,"method":"cached"}"#.utf8), into: &second)
        let cut = second.count / 2
        // One write (far below the pipe's atomic size) holds the first message and half the
        // second: once the first is answered, the reader has read that half.
        peer.send(first + second[..<cut])
        #expect(try await peer.receive()["id"] == 1)
        peer.send(Array(second[cut...]))
        let answer = try await peer.receive()
        #expect(answer["id"] == 2)
        #expect(answer["result"] == ["cached": true])
        #expect(await peer.staysQuiet())
    }
}
