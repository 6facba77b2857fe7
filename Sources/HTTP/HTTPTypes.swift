import Foundation

/// One header line. Names compare case-insensitively (`HTTPHeaders.value(for:)`).
public struct HTTPHeader: Sendable, Hashable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

extension Array where Element == HTTPHeader {
    /// The first header with this name, compared case-insensitively.
    public func value(for name: String) -> String? {
        first { HTTPHeader.namesMatch($0.name, name) }?.value
    }
}

extension HTTPHeader {
    /// `a.caseInsensitiveCompare(b) == .orderedSame`, decided byte by byte when both are
    /// ASCII (header names are, in practice): Foundation's compare bridges through NSString,
    /// and every call looks up its request id among the headers twice. Anything else still
    /// goes to Foundation, whose Unicode case folding is the reference.
    static func namesMatch(_ a: String, _ b: String) -> Bool {
        let x = a.utf8
        let y = b.utf8
        guard x.allSatisfy({ $0 < 0x80 }), y.allSatisfy({ $0 < 0x80 }) else {
            return a.caseInsensitiveCompare(b) == .orderedSame
        }
        func folded(_ byte: UInt8) -> UInt8 { (0x41...0x5A).contains(byte) ? byte | 0x20 : byte }
        return x.count == y.count && x.elementsEqual(y) { folded($0) == folded($1) }
    }
}

/// A request for `HTTPClient`. Timeouts are about silence, not total time, so a long
/// stream that keeps sending is never cut off.
public struct HTTPRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: [HTTPHeader]
    public var body: Data?
    /// Seconds allowed to establish the connection (TCP and TLS).
    public var connectTimeout: TimeInterval
    /// Seconds without a single received byte after which the transfer fails
    /// (`CURLOPT_LOW_SPEED_TIME` with `LOW_SPEED_LIMIT` 1; whole seconds, at least 1).
    public var idleTimeout: TimeInterval
    /// A response body larger than this fails with `HTTPClientError.responseTooLarge`.
    public var maxResponseBytes: Int?
    /// Address pins in `CURLOPT_RESOLVE` syntax, `"host:port:address"` (IPv6 bare or in
    /// brackets): connect to exactly this address, so a caller that vetted an address is
    /// sure it is the one used. Applied per transfer (as `CURLOPT_CONNECT_TO`, on a fresh
    /// connection that is not reused), so a pin never leaks into another request.
    public var resolve: [String]
    /// Off by default: a caller that checks addresses must see every redirect itself.
    public var followRedirects: Bool

    public init(method: String = "GET", url: String, headers: [HTTPHeader] = [], body: Data? = nil,
                connectTimeout: TimeInterval = 10, idleTimeout: TimeInterval = 60, maxResponseBytes: Int? = nil,
                resolve: [String] = [], followRedirects: Bool = false) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.connectTimeout = connectTimeout
        self.idleTimeout = idleTimeout
        self.maxResponseBytes = maxResponseBytes
        self.resolve = resolve
        self.followRedirects = followRedirects
    }
}

/// The status line and headers of a response, known before its body.
public struct HTTPResponseHead: Sendable {
    public var status: Int
    public var headers: [HTTPHeader]
    /// The IP address actually connected to.
    public var primaryIP: String?
    /// For a streamed request answered with a status outside 200...299: the whole body,
    /// read before `HTTPClient.stream` returns, so the caller can classify the error.
    /// The event stream is then empty.
    public var errorBody: Data?

    public init(status: Int, headers: [HTTPHeader], primaryIP: String? = nil, errorBody: Data? = nil) {
        self.status = status
        self.headers = headers
        self.primaryIP = primaryIP
        self.errorBody = errorBody
    }
}

public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [HTTPHeader]
    public var body: Data
    public var primaryIP: String?

    public init(status: Int, headers: [HTTPHeader], body: Data, primaryIP: String? = nil) {
        self.status = status
        self.headers = headers
        self.body = body
        self.primaryIP = primaryIP
    }

    /// A header's value, the name compared case-insensitively.
    public func header(_ name: String) -> String? { headers.value(for: name) }
}

/// Why a transfer failed before a complete response arrived.
public enum HTTPClientError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The URL or an option was rejected before anything was sent.
    case invalidRequest(String)
    /// No connection could be made (refused, unreachable, DNS, TLS handshake).
    case connectFailed(String)
    /// The connect timeout or the idle timeout expired.
    case timedOut(String)
    /// The connection broke mid-transfer (reset, closed early, bad framing).
    case connectionLost(String)
    /// The body went past `HTTPRequest.maxResponseBytes`.
    case responseTooLarge(limit: Int)
    /// Any other libcurl failure, with its code and message.
    case transport(code: Int, message: String)
    /// libcurl could not be loaded or initialised: why, and what to install. Nothing was sent.
    case unavailable(String)

    public var description: String {
        switch self {
        case .invalidRequest(let m): return "invalid HTTP request: \(m)"
        case .connectFailed(let m): return "could not connect: \(m)"
        case .timedOut(let m): return "timed out: \(m)"
        case .connectionLost(let m): return "connection lost: \(m)"
        case .responseTooLarge(let limit): return "response larger than \(limit) bytes"
        case .transport(let code, let m): return "transfer failed (curl \(code)): \(m)"
        case .unavailable(let m): return "HTTP is unavailable: \(m)"
        }
    }
}
