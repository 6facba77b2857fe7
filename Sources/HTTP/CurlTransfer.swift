import CCurl
import Foundation

/// How a finished or failing transfer reports back to its awaiting caller.
enum TransferDelivery {
    /// `HTTPClient.send`: the whole response at the end.
    case whole(CheckedContinuation<HTTPResponse, Error>)
    /// `HTTPClient.stream`: the head as soon as it is known, then parsed events.
    case stream(head: CheckedContinuation<HTTPResponseHead, Error>, events: AsyncThrowingStream<SSEEvent, Error>.Continuation)
    /// `HTTPClient.streamEvents`: each event to `onEvent` on the loop thread, the head at the end.
    case callback(end: CheckedContinuation<HTTPResponseHead, Error>, onHead: (@Sendable (HTTPResponseHead) -> Void)?,
                  onEvent: @Sendable (SSEEvent) throws -> Void)
}

/// One libcurl easy handle and everything it points at.
///
/// `@unchecked Sendable`: after `CurlMultiLoop.submit` hands it over (under the loop's lock,
/// which orders the writes before it), every mutable property is read and written only on
/// the loop thread — libcurl calls the callbacks there, and completion runs there. The one
/// exceptions, `cancelRequested` and `submitted`, are only touched while holding the loop's lock.
final class CurlTransfer: @unchecked Sendable {
    let easy: UnsafeMutableRawPointer
    /// Header and connect-to lists must outlive the transfer; freed in `deinit`.
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private var resolveList: UnsafeMutablePointer<curl_slist>?
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private let maxResponseBytes: Int?
    private let url: String

    var delivery: TransferDelivery?
    /// Set (under the loop's lock) by a cancellation that may race with submission.
    var cancelRequested = false
    /// Set (under the loop's lock) once handed to the loop.
    var submitted = false

    private var status = 0
    private var headers: [HTTPHeader] = []
    /// `.stream` only: the head continuation was resumed.
    private var headDelivered = false
    /// A 2xx head arrived for a streaming delivery: body bytes are parsed as events.
    private var streamingBody = false
    /// What `onEvent` threw; it ends the transfer.
    private var handlerError: Error?
    private var body = Data()
    private var receivedBytes = 0
    private var exceededLimit = false
    private var parser = SSEParser()
    private var finished = false
    /// Seconds of silence allowed; checked by the loop against `lastActivity`.
    let idleTimeout: TimeInterval
    /// When bytes last arrived (or the transfer started). Loop thread only.
    var lastActivity = ContinuousClock.now

    init(_ request: HTTPRequest) throws {
        if let failure = CurlLibrary.failure { throw HTTPClientError.unavailable(failure) }
        guard let easy = curl_easy_init() else { throw HTTPClientError.transport(code: -1, message: "curl_easy_init failed") }
        self.easy = easy
        self.url = request.url
        self.maxResponseBytes = request.maxResponseBytes
        self.idleTimeout = max(0.05, request.idleTimeout)
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
        try configure(request)
    }

    deinit {
        curl_easy_cleanup(easy)
        curl_slist_free_all(headerList)
        curl_slist_free_all(resolveList)
        errorBuffer.deallocate()
    }

    private func configure(_ request: HTTPRequest) throws {
        func check(_ code: CURLcode, _ what: String) throws {
            if code != CURLE_OK {
                throw HTTPClientError.invalidRequest("\(what): \(String(cString: curl_easy_strerror(code)))")
            }
        }
        try check(bosun_easy_setopt_string(easy, CURLOPT_URL, request.url), "URL \(request.url)")
        try check(bosun_easy_setopt_string(easy, CURLOPT_PROTOCOLS_STR, "http,https"), "protocols")
        try check(bosun_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1), "NOSIGNAL")
        try check(bosun_easy_setopt_pointer(easy, CURLOPT_ERRORBUFFER, errorBuffer), "error buffer")
        let connectMs = max(1, Int(request.connectTimeout * 1000))
        try check(bosun_easy_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, connectMs), "connect timeout")
        try check(bosun_easy_setopt_long(easy, CURLOPT_LOW_SPEED_LIMIT, 1), "low speed limit")
        // The loop enforces the idle timeout to the second (`CurlMultiLoop.expireIdle`); libcurl's
        // own check averages speed over ~5 s, so it only backs it up.
        let idleSeconds = max(1, Int(request.idleTimeout.rounded(.up)))
        try check(bosun_easy_setopt_long(easy, CURLOPT_LOW_SPEED_TIME, idleSeconds), "idle timeout")
        try check(bosun_easy_setopt_long(easy, CURLOPT_TCP_KEEPALIVE, 1), "keepalive")
        try check(bosun_easy_setopt_string(easy, CURLOPT_ACCEPT_ENCODING, ""), "accept encoding")
        if request.followRedirects {
            try check(bosun_easy_setopt_long(easy, CURLOPT_FOLLOWLOCATION, 1), "follow redirects")
            try check(bosun_easy_setopt_long(easy, CURLOPT_MAXREDIRS, 10), "max redirects")
            try check(bosun_easy_setopt_string(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https"), "redirect protocols")
        }
        if let limit = request.maxResponseBytes {
            try check(bosun_easy_setopt_off_t(easy, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(limit)), "max size")
        }
        // Pins go in as CONNECT_TO, not CURLOPT_RESOLVE: RESOLVE entries land in the multi
        // handle's shared DNS cache and would outlive this transfer, steering later ones.
        // A pinned transfer also gets a connection of its own, never a reused one.
        for pin in request.resolve {
            let entry = try Self.connectTo(pin)
            guard let list = curl_slist_append(resolveList, entry) else { throw HTTPClientError.invalidRequest("resolve pin \(pin)") }
            resolveList = list
        }
        if resolveList != nil {
            try check(bosun_easy_setopt_slist(easy, CURLOPT_CONNECT_TO, resolveList), "resolve pins")
            try check(bosun_easy_setopt_long(easy, CURLOPT_FRESH_CONNECT, 1), "fresh connection")
            try check(bosun_easy_setopt_long(easy, CURLOPT_FORBID_REUSE, 1), "no reuse")
        }

        let method = request.method.uppercased()
        switch method {
        case "GET" where request.body == nil:
            try check(bosun_easy_setopt_long(easy, CURLOPT_HTTPGET, 1), "GET")
        case "HEAD":
            try check(bosun_easy_setopt_long(easy, CURLOPT_NOBODY, 1), "HEAD")
        default:
            if method != "POST" { try check(bosun_easy_setopt_string(easy, CURLOPT_CUSTOMREQUEST, method), "method") }
            let body = request.body ?? Data()
            try check(bosun_easy_setopt_off_t(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count)), "body size")
            // COPYPOSTFIELDS makes libcurl own a copy, so the body lives as long as the transfer.
            if body.isEmpty {
                try check(bosun_easy_setopt_string(easy, CURLOPT_COPYPOSTFIELDS, ""), "body")
            } else {
                try body.withUnsafeBytes { raw in
                    try check(bosun_easy_setopt_pointer(easy, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: raw.baseAddress!)), "body")
                }
            }
        }
        // "Expect:" off: waiting for 100-continue only adds a round trip.
        for line in request.headers.map({ "\($0.name): \($0.value)" }) + ["Expect:"] {
            guard let list = curl_slist_append(headerList, line) else { throw HTTPClientError.invalidRequest("header \(line)") }
            headerList = list
        }
        try check(bosun_easy_setopt_slist(easy, CURLOPT_HTTPHEADER, headerList), "headers")

        let me = Unmanaged.passUnretained(self).toOpaque()
        try check(bosun_easy_setopt_pointer(easy, CURLOPT_HEADERDATA, me), "header data")
        try check(bosun_easy_setopt_header_callback(easy, curlHeaderCallback), "header callback")
        try check(bosun_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, me), "write data")
        try check(bosun_easy_setopt_write_callback(easy, curlWriteCallback), "write callback")
    }

    /// `host:port:address` (a `CURLOPT_RESOLVE` pin; the first of a comma list) as a
    /// `CURLOPT_CONNECT_TO` entry, `host:port:address:port`, bracketing IPv6 addresses.
    static func connectTo(_ pin: String) throws -> String {
        let parts = pin.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, Int(parts[1]) != nil,
              var address = parts[2].split(separator: ",").first.map(String.init), !address.isEmpty else {
            throw HTTPClientError.invalidRequest("resolve pin \"\(pin)\" is not host:port:address")
        }
        if address.contains(":"), !address.hasPrefix("[") { address = "[\(address)]" }
        return "\(parts[0]):\(parts[1]):\(address):\(parts[1])"
    }

    // MARK: Callbacks (loop thread)

    fileprivate func receiveHeaderLine(_ bytes: UnsafeRawBufferPointer) {
        lastActivity = .now
        if let header = Self.asciiHeader(bytes) {
            headers.append(header)
            return
        }
        let line = String(decoding: bytes, as: UTF8.self).trimmingWhitespace(newlines: true)
        if line.hasPrefix("HTTP/") {
            // A new response (after a 1xx or a followed redirect) replaces the previous head.
            let parts = line.split(separator: " ", maxSplits: 2)
            status = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
            headers.removeAll()
            body.removeAll()
            receivedBytes = 0
        } else if line.isEmpty {
            guard isSuccess, !streamingBody else { return }
            switch delivery {
            case .stream(let head, _)?:
                streamingBody = true
                headDelivered = true
                head.resume(returning: HTTPResponseHead(status: status, headers: headers, primaryIP: primaryIP()))
            case .callback(_, let onHead, _)?:
                streamingBody = true
                onHead?(HTTPResponseHead(status: status, headers: headers, primaryIP: primaryIP()))
            case .whole?, nil:
                break
            }
        } else if let colon = line.firstIndex(of: ":") {
            headers.append(HTTPHeader(name: String(line[..<colon]),
                                      value: String(line[line.index(after: colon)...]).trimmingWhitespace()))
        }
    }

    /// An all-ASCII `Name: value` line split in place, as the String path below splits it
    /// (the line trimmed of spaces, tabs and line ends, the value of spaces and tabs): one
    /// String per part instead of four. nil for anything else (a status line, the blank
    /// line, no colon, a byte outside ASCII), which takes the String path.
    static func asciiHeader(_ bytes: UnsafeRawBufferPointer) -> HTTPHeader? {
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }
        func isSpaceOrLineEnd(_ byte: UInt8) -> Bool { isSpace(byte) || (0x0A...0x0D).contains(byte) }
        guard !bytes.contains(where: { $0 >= 0x80 }) else { return nil }
        var start = bytes.startIndex
        var end = bytes.endIndex
        while start < end, isSpaceOrLineEnd(bytes[start]) { start += 1 }
        while start < end, isSpaceOrLineEnd(bytes[end - 1]) { end -= 1 }
        let line = bytes[start..<end]
        guard !line.starts(with: "HTTP/".utf8), let colon = line.firstIndex(of: UInt8(ascii: ":")) else { return nil }
        var valueStart = colon + 1
        var valueEnd = end
        while valueStart < valueEnd, isSpace(bytes[valueStart]) { valueStart += 1 }
        while valueStart < valueEnd, isSpace(bytes[valueEnd - 1]) { valueEnd -= 1 }
        return HTTPHeader(name: String(decoding: bytes[start..<colon], as: UTF8.self),
                          value: String(decoding: bytes[valueStart..<valueEnd], as: UTF8.self))
    }

    /// Returns false to make libcurl abort the transfer (the size limit was passed, or the
    /// event handler threw).
    fileprivate func receiveBody(_ bytes: UnsafeRawBufferPointer) -> Bool {
        lastActivity = .now
        receivedBytes += bytes.count
        if let limit = maxResponseBytes, receivedBytes > limit {
            exceededLimit = true
            return false
        }
        guard streamingBody else {
            body.append(contentsOf: bytes)
            return true
        }
        switch delivery {
        case .stream(_, let events)?:
            for event in parser.feed(bytes) { events.yield(event) }
        case .callback(_, _, let onEvent)?:
            for event in parser.feed(bytes) {
                do { try onEvent(event) } catch {
                    handlerError = error
                    return false
                }
            }
        case .whole?, nil:
            break
        }
        return true
    }

    private var isSuccess: Bool { (200...299).contains(status) }

    private func primaryIP() -> String? {
        var pointer: UnsafeMutablePointer<CChar>?
        guard bosun_easy_getinfo_string(easy, CURLINFO_PRIMARY_IP, &pointer) == CURLE_OK, let pointer else { return nil }
        let ip = String(cString: pointer)
        return ip.isEmpty ? nil : ip
    }

    // MARK: Completion (loop thread)

    /// How a transfer ended, as the loop saw it.
    enum Ending {
        case curl(CURLcode)
        case cancelled
        /// No byte arrived for `idleTimeout` seconds.
        case idle
    }

    /// Reports the outcome exactly once.
    func complete(_ ending: Ending) {
        guard !finished, let delivery else { return }
        finished = true
        let outcome: Result<Void, Error>
        switch ending {
        case .curl where handlerError != nil: outcome = .failure(handlerError!)
        case .curl(let code): outcome = code == CURLE_OK ? .success(()) : .failure(error(for: code))
        case .cancelled: outcome = .failure(CancellationError())
        case .idle:
            outcome = .failure(HTTPClientError.timedOut("no data for \(idleTimeout) s, the idle timeout (\(url))"))
        }
        switch delivery {
        case .whole(let continuation):
            switch outcome {
            case .success:
                continuation.resume(returning: HTTPResponse(status: status, headers: headers, body: body, primaryIP: primaryIP()))
            case .failure(let error):
                continuation.resume(throwing: error)
            }
        case .stream(let head, let events):
            switch outcome {
            case .success:
                if !headDelivered {
                    headDelivered = true
                    head.resume(returning: HTTPResponseHead(status: status, headers: headers, primaryIP: primaryIP(),
                                                            errorBody: isSuccess ? nil : body))
                }
                parser.finish()
                events.finish()
            case .failure(let error):
                if headDelivered { events.finish(throwing: error) } else {
                    headDelivered = true
                    head.resume(throwing: error)
                    events.finish(throwing: error)
                }
            }
        case .callback(let end, _, _):
            switch outcome {
            case .success:
                end.resume(returning: HTTPResponseHead(status: status, headers: headers, primaryIP: primaryIP(),
                                                       errorBody: isSuccess ? nil : body))
            case .failure(let error):
                end.resume(throwing: error)
            }
        }
    }

    private func error(for code: CURLcode) -> HTTPClientError {
        let detail = errorBuffer.pointee != 0 ? String(cString: errorBuffer) : String(cString: curl_easy_strerror(code))
        let message = "\(detail) (\(url))"
        switch code {
        case CURLE_WRITE_ERROR where exceededLimit, CURLE_FILESIZE_EXCEEDED:
            return .responseTooLarge(limit: maxResponseBytes ?? 0)
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL:
            return .invalidRequest(message)
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_SSL_CONNECT_ERROR,
             CURLE_PEER_FAILED_VERIFICATION:
            return .connectFailed(message)
        case CURLE_OPERATION_TIMEDOUT:
            return .timedOut(message)
        case CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE, CURLE_HTTP2, CURLE_HTTP2_STREAM,
             CURLE_WEIRD_SERVER_REPLY:
            return .connectionLost(message)
        default:
            return .transport(code: Int(code.rawValue), message: message)
        }
    }
}

private let curlHeaderCallback: curl_write_callback = { buffer, size, count, userdata in
    guard let buffer, let userdata else { return 0 }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(userdata).takeUnretainedValue()
    transfer.receiveHeaderLine(UnsafeRawBufferPointer(start: buffer, count: size * count))
    return size * count
}

private let curlWriteCallback: curl_write_callback = { buffer, size, count, userdata in
    guard let buffer, let userdata else { return 0 }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(userdata).takeUnretainedValue()
    return transfer.receiveBody(UnsafeRawBufferPointer(start: buffer, count: size * count)) ? size * count : 0
}

/// libcurl, loaded and `curl_global_init`ed exactly once per process, before the first
/// handle: at the first transfer, so a process that never sends a request never loads libcurl
/// and its libraries, nor pays for OpenSSL's set-up (CCurl's shim.h).
enum CurlLibrary {
    /// Why libcurl cannot be used (what is missing, what to install), or nil once it is loaded.
    static let failure: String? = bosun_curl_load().map { String(cString: $0) }

    /// What `failure` would be if libcurl were the library `soname` (a name or path for
    /// `dlopen`), which is opened and closed again: nil if it has every function bosun calls.
    static func failure(loading soname: String) -> String? {
        guard let text = bosun_curl_probe(soname) else { return nil }
        defer { free(text) }
        return String(cString: text)
    }
}
