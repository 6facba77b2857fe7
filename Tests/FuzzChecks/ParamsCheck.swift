import BosunJSON
import BosunProtocol
import Foundation

// The transport's message classification, raw id and params reading are internal to it.
@testable import JSONRPC

/// Any message: classified without crashing; every request's params decode into each
/// session method's params type (also refusing unknown fields, as bosun/1 does) or fail with
/// -32602 naming a field; an id is echoed as valid
/// JSON; the raw text `RawJSONText` finds for `id` and `params` is the value the decoder reads;
/// and a message that names one of those members twice is refused.
enum ParamsCheck {
    static func check(_ bytes: [UInt8]) {
        checkRawMembers(bytes)
        checkScannerAgrees(bytes)
        check(IncomingMessage.parse(bytes))
    }

    /// What the one-pass scanner reads, the thorough way (`JSONDecoder`) reads the same: the
    /// same kind of message, id, method and params, the same members of a batch; and it never
    /// reads text that is not JSON.
    private static func checkScannerAgrees(_ bytes: [UInt8]) {
        if let elements = bytes.withUnsafeBufferPointer(MessageScanner.elements(of:)) {
            precondition((try? JSONValue.parse(Data(bytes))) != nil, "the scanner split a batch that is not JSON")
            precondition(elements == RawJSONText.elements(in: bytes), "the scanner split a batch elsewhere")
        }
        guard let fast = IncomingMessage.scanned(bytes) else { return }
        let thorough = IncomingMessage.parseSingle(bytes)
        precondition(summary(fast) == summary(thorough),
                     "the scanner read \(summary(fast)), the thorough way \(summary(thorough))")
        precondition((try? JSONValue.parse(Data(bytes))) != nil, "the scanner read text that is not JSON")
    }

    private static func summary(_ message: IncomingMessage) -> String {
        switch message {
        case .request(let id, let method, let message):
            return "request \(String(describing: id)) \(method) params \(String(describing: message.params))"
        case .notification(let method, let message):
            return "notification \(method) params \(String(describing: message.params))"
        case .response(let id, _): return "response \(String(describing: id))"
        case .invalid(let id, let error): return "invalid \(String(describing: id)) \(error.message)"
        case .batch: return "batch"
        }
    }

    private static func check(_ message: IncomingMessage) {
        switch message {
        case .request(let id, _, let message):
            decodeEveryParamsType(from: message)
            let response = MessageEncoding.errorResponse(id: id, error: .invalidParams("x", field: "params"))
            guard let echoed = try? JSONValue.parse(response) else {
                preconditionFailure("the answer to id \(String(describing: id)) is not JSON: \(String(decoding: response, as: UTF8.self))")
            }
            precondition(echoed["id"] != nil, "the answer has no id")
        case .notification(_, let message):
            decodeEveryParamsType(from: message)
        case .batch(let members):
            members.forEach(check)
        case .invalid(_, let error):
            precondition(error.code == RPCError.parseError || error.code == RPCError.invalidRequest, "unexpected code \(error.code)")
        case .response:
            break
        }
    }

    private static func decodeEveryParamsType(from data: ReceivedMessage) {
        decode(SpawnParams.self, data)
        decode(SteerParams.self, data)
        decode(CancelParams.self, data)
        decode(AwaitParams.self, data)
        decode(StatusParams.self, data)
        decode(TraceParams.self, data)
        decode(JSONValue.self, data)
    }

    /// Decoded as every other method decodes, and as bosun/1 does (unknown fields refused): a
    /// strict decode fails only where the lenient one does, or on a field it names as unknown.
    private static func decode<P: Decodable>(_ type: P.Type, _ data: ReceivedMessage) {
        let lenient = named(type, data, strict: false)
        let strict = named(type, data, strict: true)
        if lenient == nil, let strict {
            precondition(strict.message.hasPrefix("unknown field"), "a strict decode of \(type) failed alone: \(strict.message)")
        }
    }

    private static func named<P: Decodable>(_ type: P.Type, _ data: ReceivedMessage, strict: Bool) -> RPCError? {
        do {
            _ = try ParamsDecoding.decode(type, from: data, rejectingUnknownFields: strict)
            return nil
        } catch {
            precondition(error.code == RPCError.invalidParams, "decoding \(type) failed with code \(error.code)")
            guard case .string(let field)? = error.data?["field"], !field.isEmpty else {
                preconditionFailure("decoding \(type) failed without naming a field: \(error.message)")
            }
            return error
        }
    }

    /// For a JSON object, the raw text of `id` and `params` reads as the same value the whole
    /// text does, as long as the object names each member the transport reads once. One that
    /// repeats a name is refused with -32600 (the decoder keeps the first of a repeated name,
    /// the raw text the last); a repeat the scanner missed shows here as a disagreement.
    private static func checkRawMembers(_ bytes: [UInt8]) {
        guard case .object(let object)? = try? JSONValue.parse(Data(bytes)) else { return }
        let members = RawJSONText.envelope(in: bytes)
        if let repeated = members.repeated {
            guard case .invalid(_, let error) = IncomingMessage.parse(bytes), error.code == RPCError.invalidRequest else {
                preconditionFailure("a message that repeats '\(repeated)' was not refused with -32600")
            }
            return
        }
        for (name, range) in [("id", members.id), ("params", members.params)] {
            precondition(RawJSONText.member([name], in: bytes) == range, "the scanners disagree on where '\(name)' is")
            guard let expected = object[name] else {
                precondition(range == nil, "found a '\(name)' member the object does not have")
                continue
            }
            guard let range else { preconditionFailure("missed the '\(name)' member") }
            let raw = try? JSONValue.parse(Data(bytes[range]))
            precondition(raw == expected, "the raw text of '\(name)' reads as \(String(describing: raw)), not \(expected)")
        }
    }
}
