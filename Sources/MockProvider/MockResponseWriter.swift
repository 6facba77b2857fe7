import BosunJSON
import Foundation

/// Writes one reply (or one fault) onto a connection, paced as the plan says.
struct MockResponseWriter {
    let connection: LoopbackConnection
    let wire: MockWireFormat
    let plan: MockReplyPlan
    let request: MockModelRequest
    /// The client did not ask to close after this reply.
    let keepAlive: Bool
    /// True once the server is stopping: stalls end.
    let isStopping: @Sendable () -> Bool
    /// Told each pause the plan's pacing takes (latency, token gaps), before it is taken.
    let notePause: @Sendable (Double) -> Void

    /// Returns whether the connection can serve another request.
    func write() -> Bool {
        if !pause(Double(plan.latencyMs) / 1000) { return false }
        switch plan.fault?.kind {
        case .reset?:
            connection.reset()
            return false
        case .status(let code)?:
            return writeStatusFault(code, plan.fault!)
        case .stall? where !request.stream:
            stall()
            return false
        case .midstreamError? where !request.stream:
            return writeStatusFault(529, plan.fault!)
        case .malformedSSE? where !request.stream:
            let body = "{\"id\": \"\(wire.messageId)\", \"content\": [{\"type\": \"text\", \"text\": \"cut off"
            return writeWhole(status: 200, contentType: "application/json", body: Data(body.utf8), extraHeaders: [])
        default:
            break
        }
        let pieces = tokens()
        let outputTokens = plan.outputTokens ?? max(1, pieces.count)
        if !request.stream {
            if let rate = plan.tokensPerSecond, !pause(Double(pieces.count) / rate) { return false }
            return writeWhole(status: 200, contentType: "application/json",
                              body: wire.completeBody(plan, outputTokens: outputTokens).jsonData(), extraHeaders: [])
        }
        return writeStream(pieces, outputTokens: outputTokens)
    }

    /// Waits `seconds` of the plan's pacing, noting it; false if the peer closed the connection first.
    private func pause(_ seconds: Double) -> Bool {
        if seconds > 0 { notePause(seconds) }
        return connection.waitWhileConnected(seconds)
    }

    /// A reply split into tokens: text words, then each tool call's JSON input in fragments.
    private struct Token {
        var block: Int
        var toolPosition: Int?
        var fragment: String
    }

    private func tokens() -> [Token] {
        var out: [Token] = []
        var block = 0
        if let text = plan.text {
            var word = ""
            for character in text {
                word.append(character)
                if character == " " {
                    out.append(Token(block: block, toolPosition: nil, fragment: word))
                    word = ""
                }
            }
            if !word.isEmpty || text.isEmpty { out.append(Token(block: block, toolPosition: nil, fragment: word)) }
            block += 1
        }
        for (position, call) in plan.toolCalls.enumerated() {
            let json = Array(call.input.jsonString())
            for start in stride(from: 0, to: json.count, by: 12) {
                out.append(Token(block: block, toolPosition: position, fragment: String(json[start..<min(start + 12, json.count)])))
            }
            block += 1
        }
        return out
    }

    private func writeStream(_ pieces: [Token], outputTokens: Int) -> Bool {
        let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream; charset=utf-8\r\ncache-control: no-cache\r\n"
            + "\(requestIdHeader)transfer-encoding: chunked\r\n\r\n"
        guard connection.write(head), sendEvents(wire.streamStart(plan)) else { return false }
        let interval = plan.tokensPerSecond.map { 1 / $0 } ?? 0
        var openBlock: Int?
        for (sent, token) in pieces.enumerated() {
            if let fault = plan.fault, sent == fault.afterTokens, let ended = injectStreamFault(fault) { return ended }
            if openBlock != token.block {
                if let openBlock, !sendEvents(wire.blockStop(index: openBlock)) { return false }
                let call = token.toolPosition.map { plan.toolCalls[$0] }
                guard sendEvents(wire.blockStart(index: wireIndex(token), toolCall: call)) else { return false }
                openBlock = token.block
            }
            if interval > 0, sent > 0, !pause(interval) { return false }
            guard sendEvents([wire.delta(index: wireIndex(token), fragment: token.fragment, isTool: token.toolPosition != nil)])
            else { return false }
        }
        if let fault = plan.fault, pieces.count <= fault.afterTokens, let ended = injectStreamFault(fault) { return ended }
        if let openBlock, !sendEvents(wire.blockStop(index: openBlock)) { return false }
        guard sendEvents(wire.streamEnd(plan, outputTokens: outputTokens, includeUsage: request.includeUsage)) else { return false }
        return connection.write("0\r\n\r\n") && keepAlive
    }

    /// Anthropic indexes content blocks; OpenAI indexes tool calls among themselves.
    private func wireIndex(_ token: Token) -> Int {
        wire.api == .openai ? (token.toolPosition ?? 0) : token.block
    }

    /// Injects a mid-stream fault; returns nil when the stream should simply go on.
    private func injectStreamFault(_ fault: FaultSpec) -> Bool? {
        switch fault.kind {
        case .stall:
            stall()
            return false
        case .midstreamError:
            _ = sendEvents([wire.streamError(fault)])
            _ = connection.write("0\r\n\r\n")
            return false
        case .malformedSSE:
            return sendEvents([wire.malformedEvent]) ? nil : false
        default:
            return nil
        }
    }

    /// Sends nothing more until the client gives up or the server stops.
    private func stall() {
        while !isStopping(), connection.waitWhileConnected(0.2) {}
    }

    /// Sends events as one HTTP chunk in one write, so each lands in one TCP segment as a
    /// real provider's would.
    private func sendEvents(_ events: [String]) -> Bool {
        guard !events.isEmpty else { return true }
        let payload = Data(events.joined().utf8)
        var chunk = Data(String(payload.count, radix: 16).utf8)
        chunk.append(contentsOf: [0x0D, 0x0A])
        chunk.append(payload)
        chunk.append(contentsOf: [0x0D, 0x0A])
        return connection.write(chunk)
    }

    private var requestIdHeader: String {
        wire.api == .anthropic ? "request-id: req_\(wire.messageId)\r\n" : "x-request-id: req_\(wire.messageId)\r\n"
    }

    private func writeStatusFault(_ code: Int, _ fault: FaultSpec) -> Bool {
        var headers: [String] = []
        if let seconds = fault.retryAfterSeconds {
            headers.append("retry-after: \(seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds))")
        }
        if let ms = fault.retryAfterMs { headers.append("retry-after-ms: \(ms)") }
        if let ahead = fault.retryAfterDateSeconds {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
            headers.append("retry-after: \(formatter.string(from: Date().addingTimeInterval(Double(ahead))))")
        }
        if let shouldRetry = fault.shouldRetry { headers.append("x-should-retry: \(shouldRetry)") }
        return writeWhole(status: code, contentType: "application/json", body: wire.errorBody(fault).jsonData(), extraHeaders: headers)
    }

    private func writeWhole(status: Int, contentType: String, body: Data, extraHeaders: [String]) -> Bool {
        connection.respond(status: status, contentType: contentType, body: body,
                           headers: [requestIdHeader.trimmingCharacters(in: .newlines)] + extraHeaders, keepAlive: keepAlive)
    }
}

extension LoopbackConnection {
    /// Writes a complete response with a `content-length`; returns whether the connection stays usable.
    func respond(status: Int, contentType: String, body: Data, headers: [String] = [], keepAlive: Bool) -> Bool {
        var head = "HTTP/1.1 \(status) \(Self.reason(status))\r\ncontent-type: \(contentType)\r\ncontent-length: \(body.count)\r\n"
        for header in headers { head += header + "\r\n" }
        if !keepAlive { head += "connection: close\r\n" }
        head += "\r\n"
        return write(head) && write(body) && keepAlive
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 302: return "Found"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 408: return "Request Timeout"
        case 409: return "Conflict"
        case 413: return "Payload Too Large"
        case 429: return "Too Many Requests"
        case 500: return "Internal Server Error"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        case 529: return "Overloaded"
        default: return "Status"
        }
    }
}
