import BosunJSON
import Foundation

/// Builds outgoing JSON-RPC messages. Results are encoded once by the handler's task and
/// spliced into the envelope as bytes, so the writer never touches JSON.
enum MessageEncoding {
    static func encodeValue<T: Encodable>(_ value: T) throws -> Data {
        try EncodedJSON.encoder.encode(value)
    }

    static func idJSON(_ id: RequestID?) -> Data {
        Data(id?.jsonBytes ?? Array("null".utf8))
    }

    /// `{"jsonrpc":"2.0","id":…,"result":…}` with an already encoded result, written in one
    /// buffer of the right size and copied into its `Data` once (answers made at once come
    /// at this rate, and `Data`'s appends of a sequence look up its conformances every time).
    static func response(id: RequestID?, result: Data) -> Data {
        var out: [UInt8] = []
        out.reserveCapacity(48 + result.count)
        out.append(contentsOf: #"{"jsonrpc":"2.0","id":"#.utf8)
        if case .number(let text)? = id {
            out.append(contentsOf: text.utf8)
        } else {
            out.append(contentsOf: id?.jsonBytes ?? Array("null".utf8))
        }
        out.append(contentsOf: #","result":"#.utf8)
        out.append(bytesOf: result)
        out.append(UInt8(ascii: "}"))
        return Data(out)
    }

    /// `{"jsonrpc":"2.0","id":…,"error":{…}}`; the id is `null` when it could not be read.
    static func errorResponse(id: RequestID?, error: RPCError) -> Data {
        var out = Data(#"{"jsonrpc":"2.0","id":"#.utf8)
        out.append(idJSON(id))
        out.append(contentsOf: #","error":"#.utf8)
        out.append((try? encodeValue(error)) ?? Data(#"{"code":-32603,"message":"unencodable error"}"#.utf8))
        out.append(UInt8(ascii: "}"))
        return out
    }

    static func notification<T: Encodable>(method: String, params: T) throws -> Data {
        var out = Data(#"{"jsonrpc":"2.0","method":"#.utf8)
        out.append(contentsOf: JSONValue.string(method).jsonBytes())
        out.append(contentsOf: #","params":"#.utf8)
        // Worker events are JSONValues, one notification per event: BosunJSON's direct writer
        // skips JSONEncoder's Codable path. It writes `null` only for null or for what
        // JSONEncoder refuses, and the latter must still fail here.
        if let json = params as? JSONValue {
            let bytes = json.jsonBytes()
            if json != .null, bytes == Array("null".utf8) { _ = try encodeValue(params) }
            out.append(contentsOf: bytes)
        } else if let written = params as? EncodedJSON {
            // Params written already (a worker event around its stored data): as they are.
            out.append(written.data)
        } else {
            out.append(try encodeValue(params))
        }
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// `{"jsonrpc":"2.0","id":…,"method":…,"params":…}`: a request of the server's own.
    static func request(id: RequestID, method: String, params: JSONValue) -> Data {
        var out = Data(#"{"jsonrpc":"2.0","id":"#.utf8)
        out.append(idJSON(id))
        out.append(contentsOf: #","method":"#.utf8)
        out.append(contentsOf: JSONValue.string(method).jsonBytes())
        out.append(contentsOf: #","params":"#.utf8)
        out.append(contentsOf: params.jsonBytes())
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// A batch answer: the members' responses as one JSON array.
    static func batch(_ responses: [Data]) -> Data {
        var out = Data("[".utf8)
        for (index, response) in responses.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.append(response)
        }
        out.append(UInt8(ascii: "]"))
        return out
    }
}
