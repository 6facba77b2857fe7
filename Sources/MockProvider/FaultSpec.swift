import Foundation

/// A failure the mock provider injects, parsed from `--fault SPEC` or a script rule.
///
/// Grammar: `KIND[:PARAM[,PARAM]...]`
/// - KIND: an HTTP status 400...599 (`429`, `529`, `500`, ...), `reset`, `stall`,
///   `malformed-sse` or `midstream-error`.
/// - PARAM: `retry-after=SECONDS`, `retry-after-ms=MS`, `retry-after-date=SECONDS` (sent as an
///   HTTP date that many seconds ahead), `should-retry=true|false` (`x-should-retry`),
///   `type=ERROR_TYPE` (the body's `error.type`), `message=TEXT`, `count=N` (only the first N
///   matching requests), `probability=P` (each matching request with probability P, 0...1),
///   `model=ID` (only requests for this model), `after-tokens=N` (for `stall` and
///   `midstream-error`: stream N tokens first; default 3).
///
/// Without `count` or `probability` a fault applies to every matching request.
public struct FaultSpec: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        case status(Int)
        case reset
        case stall
        case malformedSSE
        case midstreamError
    }

    public var kind: Kind
    public var retryAfterSeconds: Double?
    public var retryAfterMs: Int?
    public var retryAfterDateSeconds: Int?
    public var shouldRetry: Bool?
    public var errorType: String?
    public var message: String?
    public var count: Int?
    public var probability: Double?
    public var model: String?
    public var afterTokens: Int
    /// The text it was parsed from, for logs and errors.
    public let spec: String

    public var description: String { spec }

    public init(parsing spec: String) throws {
        self.spec = spec
        let trimmed = spec.trimmingCharacters(in: .whitespaces)
        let (head, tail) = trimmed.firstIndex(of: ":").map { (String(trimmed[..<$0]), String(trimmed[trimmed.index(after: $0)...])) }
            ?? (trimmed, "")
        switch head.lowercased() {
        case "reset": kind = .reset
        case "stall": kind = .stall
        case "malformed-sse": kind = .malformedSSE
        case "midstream-error": kind = .midstreamError
        case let code where Int(code).map({ (400...599).contains($0) }) == true: kind = .status(Int(code)!)
        default:
            throw FaultSpecError(spec: spec, reason: "unknown fault kind \"\(head)\"; use an HTTP status 400-599, reset, stall, malformed-sse or midstream-error")
        }
        afterTokens = 3
        for param in tail.split(separator: ",", omittingEmptySubsequences: true) {
            let pair = param.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2, !pair[1].isEmpty else {
                throw FaultSpecError(spec: spec, reason: "parameter \"\(param)\" is not NAME=VALUE")
            }
            let (name, value) = (pair[0].lowercased(), pair[1])
            func number<T: LosslessStringConvertible>(_: T.Type) throws -> T {
                guard let v = T(value) else { throw FaultSpecError(spec: spec, reason: "\(name)=\(value) is not a number") }
                return v
            }
            switch name {
            case "retry-after": retryAfterSeconds = try number(Double.self)
            case "retry-after-ms": retryAfterMs = try number(Int.self)
            case "retry-after-date": retryAfterDateSeconds = try number(Int.self)
            case "should-retry":
                guard value == "true" || value == "false" else {
                    throw FaultSpecError(spec: spec, reason: "should-retry must be true or false")
                }
                shouldRetry = value == "true"
            case "type": errorType = value
            case "message": message = value
            case "count": count = try number(Int.self)
            case "probability":
                let p = try number(Double.self)
                guard (0...1).contains(p) else { throw FaultSpecError(spec: spec, reason: "probability must be in 0...1") }
                probability = p
            case "model": model = value
            case "after-tokens": afterTokens = max(0, try number(Int.self))
            default:
                throw FaultSpecError(spec: spec, reason: "unknown parameter \"\(name)\"; see docs/providers.md for the fault grammar")
            }
        }
    }

    /// The body's `error.type` for this fault, as Anthropic names it.
    var anthropicErrorType: String {
        if let errorType { return errorType }
        switch kind {
        case .status(400): return "invalid_request_error"
        case .status(401): return "authentication_error"
        case .status(403): return "permission_error"
        case .status(404): return "not_found_error"
        case .status(413): return "request_too_large"
        case .status(429): return "rate_limit_error"
        case .status(529), .midstreamError: return "overloaded_error"
        default: return "api_error"
        }
    }

    var defaultMessage: String {
        if let message { return message }
        switch kind {
        case .status(429): return "Mock rate limit: slow down (injected fault \(spec))"
        case .status(529), .midstreamError: return "Mock provider overloaded (injected fault \(spec))"
        case .status(let code): return "Mock HTTP \(code) (injected fault \(spec))"
        default: return "Injected fault \(spec)"
        }
    }
}

public struct FaultSpecError: Error, CustomStringConvertible, Sendable {
    public var spec: String
    public var reason: String
    public var description: String { "invalid fault \"\(spec)\": \(reason)" }
}
