import Foundation
import Glibc

/// A parsed HTTP/1.1 request.
struct MockHTTPRequest: Sendable {
    var method: String
    var path: String
    var headers: [(name: String, value: String)]
    var body: Data

    func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    /// HTTP/1.1 keeps the connection open unless the client says `Connection: close`.
    var keepAlive: Bool { header("connection")?.lowercased() != "close" }
}

/// Why a request could not be read.
enum ConnectionReadError: Error {
    case closed
    case malformed(String)
    case tooLarge
}

/// One accepted socket with blocking reads and writes, used by exactly one thread at a
/// time (its connection handler); `close`/`reset` may also come from `stop`, guarded by `lock`.
final class LoopbackConnection: @unchecked Sendable {
    private let fd: Int32
    private var buffer = Data()
    private let lock = NSLock()
    /// Guarded by `lock`: whether the descriptor was already closed.
    private var closed = false

    static let maxHeaderBytes = 64 * 1024
    static let maxBodyBytes = 64 * 1024 * 1024

    init(fd: Int32) {
        self.fd = fd
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    /// Reads one request (headers, then a `Content-Length` body).
    func readRequest() throws -> MockHTTPRequest {
        let separator = Data("\r\n\r\n".utf8)
        var headerEnd: Range<Data.Index>?
        while true {
            headerEnd = buffer.range(of: separator)
            if headerEnd != nil { break }
            if buffer.count > Self.maxHeaderBytes { throw ConnectionReadError.tooLarge }
            try fill()
        }
        let head = String(decoding: buffer[buffer.startIndex..<headerEnd!.lowerBound], as: UTF8.self)
        buffer.removeSubrange(buffer.startIndex..<headerEnd!.upperBound)
        var lines = head.components(separatedBy: "\r\n")
        let requestLine = lines.removeFirst().split(separator: " ")
        guard requestLine.count == 3, requestLine[2].hasPrefix("HTTP/1.") else {
            throw ConnectionReadError.malformed("bad request line")
        }
        let headers: [(name: String, value: String)] = lines.compactMap { line in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        var request = MockHTTPRequest(method: String(requestLine[0]), path: String(requestLine[1]), headers: headers, body: Data())
        if request.header("transfer-encoding") != nil {
            throw ConnectionReadError.malformed("chunked request bodies are not supported; send Content-Length")
        }
        let length = Int(request.header("content-length") ?? "0") ?? -1
        guard length >= 0 else { throw ConnectionReadError.malformed("bad Content-Length") }
        guard length <= Self.maxBodyBytes else { throw ConnectionReadError.tooLarge }
        // Clients such as curl's CLI ask before sending a large body; say yes at once.
        if request.header("expect")?.lowercased() == "100-continue", buffer.count < length {
            write("HTTP/1.1 100 Continue\r\n\r\n")
        }
        while buffer.count < length { try fill() }
        request.body = buffer.prefix(length)
        buffer.removeFirst(length)
        return request
    }

    private func fill() throws {
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n <= 0 { throw ConnectionReadError.closed }
        buffer.append(contentsOf: chunk[0..<n])
    }

    /// Writes everything or returns false (the peer went away).
    @discardableResult
    func write(_ data: Data) -> Bool {
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                if n < 0, errno == EINTR { continue }
                if n <= 0 { return false }
                offset += n
            }
            return true
        }
    }

    @discardableResult
    func write(_ text: String) -> Bool { write(Data(text.utf8)) }

    /// Sleeps up to `seconds`, returning false early if the peer closed the connection.
    /// `poll` counts whole milliseconds: it waits the whole ones (rounding up made every
    /// scripted latency up to a millisecond too long) and a sub-millisecond sleep ends it.
    func waitWhileConnected(_ seconds: Double) -> Bool {
        let deadline = ContinuousClock.now + .nanoseconds(Int64((seconds * 1e9).rounded()))
        while true {
            let remaining = ContinuousClock.now.duration(to: deadline)
            if remaining <= .zero { return true }
            let slice = min(remaining, .seconds(1)).components
            let wholeMilliseconds = Int32(slice.seconds * 1000 + slice.attoseconds / 1_000_000_000_000_000)
            if wholeMilliseconds == 0 {
                var rest = timespec(tv_sec: 0, tv_nsec: Int(slice.attoseconds / 1_000_000_000))
                nanosleep(&rest, nil)
                return true
            }
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pfd, 1, wholeMilliseconds)
            if ready > 0 {
                var byte: UInt8 = 0
                let n = recv(fd, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
                if n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) { return false }
                if n > 0 {  // pipelined bytes: keep pacing
                    usleep(useconds_t(min(remaining, .milliseconds(10)).components.attoseconds / 1_000_000_000_000))
                }
            } else if ready < 0, errno != EINTR {
                return false
            }
        }
    }

    /// Closes with `SO_LINGER` 0, so the peer sees a TCP reset instead of an orderly close.
    func reset() {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        close()
    }

    func close() {
        lock.withLock {
            guard !closed else { return }
            closed = true
            _ = Glibc.close(fd)
        }
    }

    /// Wakes a thread blocked on this socket (used by `stop`); the handler then closes it.
    func shutdownBoth() {
        lock.withLock {
            if !closed { _ = Glibc.shutdown(fd, Int32(SHUT_RDWR)) }
        }
    }
}
