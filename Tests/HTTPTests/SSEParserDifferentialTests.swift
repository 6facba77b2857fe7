import Testing
import TestSupport
@testable import HTTP

/// `SSEParser` scans for line ends a run at a time and reads whole lines in place; this
/// compares it with the byte-at-a-time parser it replaced, on random streams split at random.
@Suite struct SSEParserDifferentialTests {
    private static let pieces: [[UInt8]] = [
        Array("data: ".utf8), Array("data:".utf8), Array("data".utf8), Array("event: ".utf8), Array("id: ".utf8),
        Array("id: 1\0 2".utf8), Array("retry: 5".utf8), Array(": comment".utf8), Array("x:".utf8), Array("dat".utf8),
        Array("{\"a\":1}".utf8), Array("é漢🙂".utf8), [0xFF], [0xE6, 0xBC], [0xEF, 0xBB, 0xBF], Array(" ".utf8),
        [0x0A], [0x0A], [0x0A, 0x0A], [0x0D], [0x0D, 0x0A], Array("\r\n\r\n".utf8),
    ]

    @Test func randomStreamsAndSplitsMatchTheReference() {
        var generator = SeededGenerator(seed: 11)
        for round in 0..<400 {
            var bytes: [UInt8] = round % 7 == 0 ? [0xEF, 0xBB, 0xBF] : []
            for _ in 0..<Int.random(in: 0...40, using: &generator) { bytes += Self.pieces.randomElement(using: &generator)! }
            var cuts = (0..<Int.random(in: 0...5, using: &generator)).map { _ in Int.random(in: 0...bytes.count, using: &generator) }
            cuts.sort()
            var mine = SSEParser()
            var reference = ReferenceSSEParser()
            var start = 0
            for end in cuts + [bytes.count] {
                let chunk = bytes[start..<end]
                #expect(mine.feed(chunk) == reference.feed(chunk), "round \(round), chunk \(start)..<\(end) of \(bytes)")
                start = end
            }
            // The other way in: a collection without contiguous storage.
            var mineSplit = SSEParser()
            var referenceSplit = ReferenceSSEParser()
            #expect(mineSplit.feed(bytes.lazy.map { $0 }) == referenceSplit.feed(bytes), "round \(round) as a lazy collection")
        }
    }
}

/// The parser as it was before the run-at-a-time scan: the reference for the test above.
private struct ReferenceSSEParser {
    private var line: [UInt8] = []
    private var pendingCR = false
    private var atStreamStart = true
    private var eventType: String?
    private var dataLines: [String] = []
    private var hasData = false
    private var lastEventId: String?

    mutating func feed(_ bytes: some Collection<UInt8>) -> [SSEEvent] {
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
            case 0x0A: endLine(into: &events)
            case 0x0D:
                pendingCR = true
                endLine(into: &events)
            default: line.append(byte)
            }
        }
        return events
    }

    private mutating func endLine(into events: inout [SSEEvent]) {
        defer { line.removeAll(keepingCapacity: true) }
        if line.isEmpty {
            if hasData { events.append(SSEEvent(event: eventType, data: dataLines.joined(separator: "\n"), id: lastEventId)) }
            eventType = nil
            dataLines.removeAll(keepingCapacity: true)
            hasData = false
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
        case "event": eventType = String(value)
        case "id": if !value.contains("\0") { lastEventId = String(value) }
        default: break
        }
    }
}
