/// One server-sent event.
public struct SSEEvent: Sendable, Hashable {
    /// The `event:` field; nil means the default type, "message".
    public var event: String?
    /// Every `data:` line of the event, joined with "\n".
    public var data: String
    /// The last `id:` seen on the stream, as the spec's "last event ID".
    public var id: String?

    public init(event: String? = nil, data: String, id: String? = nil) {
        self.event = event
        self.data = data
        self.id = id
    }
}

/// A byte-exact parser for `text/event-stream`, following the WHATWG algorithm.
///
/// Feed it chunks split anywhere (inside a line, a UTF-8 sequence, or a `\r\n` pair);
/// lines end with `\n`, `\r\n` or `\r`; `:` lines are comments; an event is dispatched at
/// a blank line and only when it carried data.
public struct SSEParser: Sendable {
    /// Bytes of the line being read; decoded only once the line is complete, so a UTF-8
    /// sequence split across chunks is never mangled.
    private var line: [UInt8] = []
    /// The previous chunk ended in `\r`: a `\n` that starts the next one belongs to it.
    private var pendingCR = false
    /// Whether the next byte is the first of the stream (a leading BOM is dropped).
    private var atStreamStart = true
    private var eventType: String?
    private var dataLines: [String] = []
    private var hasData = false
    private var lastEventId: String?

    public init() {}

    public mutating func feed(_ bytes: some Collection<UInt8>) -> [SSEEvent] {
        var events: [SSEEvent] = []
        var startIndex = bytes.startIndex
        if atStreamStart, !bytes.isEmpty {
            atStreamStart = false
            if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { startIndex = bytes.index(startIndex, offsetBy: 3) }
        }
        for byte in bytes[startIndex...] {
            if pendingCR {
                pendingCR = false
                if byte == 0x0A { continue }
            }
            switch byte {
            case 0x0A:
                endLine(into: &events)
            case 0x0D:
                pendingCR = true
                endLine(into: &events)
            default:
                line.append(byte)
            }
        }
        return events
    }

    /// Ends the stream: an event without its closing blank line is discarded, as the spec says.
    public mutating func finish() {
        line.removeAll()
        resetEvent()
    }

    private mutating func endLine(into events: inout [SSEEvent]) {
        defer { line.removeAll(keepingCapacity: true) }
        if line.isEmpty {
            if hasData {
                events.append(SSEEvent(event: eventType, data: dataLines.joined(separator: "\n"), id: lastEventId))
            }
            resetEvent()
            return
        }
        if line[0] == UInt8(ascii: ":") { return }
        let field: String
        let value: Substring
        if let colon = line.firstIndex(of: UInt8(ascii: ":")) {
            field = String(decoding: line[..<colon], as: UTF8.self)
            var valueStart = colon + 1
            if valueStart < line.count, line[valueStart] == UInt8(ascii: " ") { valueStart += 1 }
            value = Substring(String(decoding: line[valueStart...], as: UTF8.self))
        } else {
            field = String(decoding: line, as: UTF8.self)
            value = ""
        }
        switch field {
        case "data":
            dataLines.append(String(value))
            hasData = true
        case "event":
            eventType = String(value)
        case "id":
            if !value.contains("\0") { lastEventId = String(value) }
        default:
            break  // "retry" and unknown fields: nothing a one-shot API call uses.
        }
    }

    private mutating func resetEvent() {
        eventType = nil
        dataLines.removeAll(keepingCapacity: true)
        hasData = false
    }
}
