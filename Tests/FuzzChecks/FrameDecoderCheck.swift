import JSONRPC

/// Framing is split-independent: feeding a stream whole, byte by byte, or in pieces whose
/// sizes the input itself chooses gives the same events, and no message passes the limit.
enum FrameDecoderCheck {
    static func check(_ bytes: [UInt8]) {
        guard let control = bytes.first else { return }
        let stream = Array(bytes.dropFirst())
        // The first byte picks the limit (small, so the oversize paths are reached) and the framing.
        let limit = 16 + Int(control & 0x3F) * 4
        let framing: Framing? = [nil, .contentLength, .newlineDelimited][Int(control >> 6) % 3]

        let whole = decode(stream, limit: limit, framing: framing, pieces: [stream.count])
        let byByte = decode(stream, limit: limit, framing: framing, pieces: Array(repeating: 1, count: stream.count))
        let chosen = decode(stream, limit: limit, framing: framing, pieces: pieceSizes(for: stream))
        precondition(whole == byByte, "byte-by-byte reads gave other events than one read")
        precondition(whole == chosen, "reads split at chosen places gave other events than one read")
        for case .message(let message) in whole.events {
            precondition(message.count <= limit, "a message of \(message.count) bytes passed the limit of \(limit)")
        }
    }

    private struct Outcome: Equatable {
        var events: [FrameEvent] = []
        var leftover: String?
        var closed = false
        var framing: Framing?
    }

    private static func decode(_ stream: [UInt8], limit: Int, framing: Framing?, pieces: [Int]) -> Outcome {
        var decoder = FrameDecoder(maxMessageBytes: limit, framing: framing)
        var outcome = Outcome()
        var offset = 0
        for size in pieces where offset < stream.count {
            let end = min(stream.count, offset + max(size, 1))
            outcome.events += decoder.feed(stream[offset..<end])
            offset = end
        }
        if offset < stream.count { outcome.events += decoder.feed(stream[offset...]) }
        let (events, leftover) = decoder.finish()
        outcome.events += events
        outcome.leftover = leftover
        outcome.closed = decoder.isClosed
        outcome.framing = decoder.framing
        return outcome
    }

    /// Piece sizes from 1 to 16, read off the stream's own bytes.
    private static func pieceSizes(for stream: [UInt8]) -> [Int] {
        stream.map { Int($0 % 16) + 1 }
    }
}
