import Foundation
import HTTP

/// A failed attempt: the classified error plus the server's hint on when to try again.
struct AttemptFailure: Error {
    var error: ProviderError
    /// Seconds from `retry-after-ms` / `retry-after`, when the response carried one.
    var retryAfter: TimeInterval?
}

/// Turns HTTP statuses, error bodies, headers and transport failures into `ProviderError`s.
enum ProviderErrorClassifier {
    /// Statuses that are never retried, whatever the headers say.
    static let neverRetried: Set<Int> = [400, 401, 403, 404, 413]

    /// An error response (status outside 2xx) with its body.
    static func classify(status: Int, body: Data, headers: [HTTPHeader], provider: String) -> AttemptFailure {
        let parsed = ErrorBody.parse(body)
        let requestId = headers.value(for: "request-id") ?? headers.value(for: "x-request-id") ?? parsed.requestId
        var message = parsed.message ?? defaultMessage(status: status, body: body)
        var (kind, retryable) = kindFor(status: status, type: parsed.type ?? parsed.code, message: message)
        if let shouldRetry = headers.value(for: "x-should-retry")?.lowercased(), !neverRetried.contains(status),
           kind != .spendLimit {
            if shouldRetry == "true" { retryable = true }
            if shouldRetry == "false" { retryable = false }
        }
        if kind == .authentication { message += " — check the provider's API key in your config" }
        let error = ProviderError(kind: kind, provider: provider, status: status, type: parsed.type ?? parsed.code,
                                  message: message, requestId: requestId, retryable: retryable)
        return AttemptFailure(error: error, retryAfter: retryAfter(headers))
    }

    /// An error event inside a 200 stream (`event: error`, or an OpenAI `{"error": …}` chunk).
    static func classifyStreamError(data: String, provider: String, requestId: String?) -> AttemptFailure {
        let parsed = ErrorBody.parse(Data(data.utf8))
        let type = parsed.type ?? parsed.code
        let message = parsed.message ?? "error event in the response stream: \(data.prefix(300))"
        var (kind, retryable) = kindFor(status: nil, type: type, message: message)
        if type == nil {
            (kind, retryable) = (.server, true)
        }
        return AttemptFailure(error: ProviderError(kind: kind, provider: provider, type: type, message: message,
                                                   requestId: requestId ?? parsed.requestId, retryable: retryable))
    }

    static func transport(_ error: HTTPClientError, provider: String) -> AttemptFailure {
        let kind: ProviderError.Kind
        let retryable: Bool
        switch error {
        case .timedOut: (kind, retryable) = (.timeout, true)
        case .connectFailed, .connectionLost, .transport: (kind, retryable) = (.connection, true)
        case .responseTooLarge, .invalidRequest: (kind, retryable) = (.invalidRequest, false)
        // A missing libcurl stays missing: trying again only delays the message.
        case .unavailable: (kind, retryable) = (.connection, false)
        }
        return AttemptFailure(error: ProviderError(kind: kind, provider: provider, message: error.description,
                                                   retryable: retryable))
    }

    static func malformed(_ what: String, provider: String, requestId: String?) -> AttemptFailure {
        AttemptFailure(error: ProviderError(kind: .malformedResponse, provider: provider,
                                            message: "malformed response: \(what)", requestId: requestId,
                                            retryable: false))
    }

    private static func kindFor(status: Int?, type: String?, message: String) -> (ProviderError.Kind, Bool) {
        let lowered = message.lowercased()
        let spendLimit = type == "insufficient_quota" || type == "billing_error"
            || ["quota", "credit balance", "spend limit", "billing"].contains { lowered.contains($0) }
        switch (status, type) {
        case (_, "overloaded_error"), (529, _): return (.overloaded, true)
        case (429, _) where spendLimit, (402, _): return (.spendLimit, false)
        case (_, "insufficient_quota"), (_, "billing_error"): return (.spendLimit, false)
        case (429, _), (_, "rate_limit_error"): return (.rateLimited, true)
        case (401, _), (_, "authentication_error"): return (.authentication, false)
        case (403, _), (_, "permission_error"): return (.permission, false)
        case (404, _), (_, "not_found_error"): return (.notFound, false)
        case (413, _), (_, "request_too_large"): return (.tooLarge, false)
        case (400, _), (_, "invalid_request_error"): return (.invalidRequest, false)
        case (408, _), (_, "timeout_error"): return (.timeout, true)
        case (409, _): return (.server, true)
        case (let s?, _) where s >= 500: return (.server, true)
        case (_, "api_error"): return (.server, true)
        case (nil, _): return (.server, true)
        default: return (.invalidRequest, false)
        }
    }

    private static func defaultMessage(status: Int, body: Data) -> String {
        let text = String(decoding: body.prefix(300), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? "HTTP \(status) with an empty body" : "HTTP \(status): \(text)"
    }

    /// `retry-after-ms` (milliseconds), else `retry-after` in seconds or as an HTTP date.
    static func retryAfter(_ headers: [HTTPHeader], now: Date = Date()) -> TimeInterval? {
        if let ms = headers.value(for: "retry-after-ms").flatMap(Double.init), ms >= 0 { return ms / 1000 }
        guard let value = headers.value(for: "retry-after")?.trimmingCharacters(in: .whitespaces) else { return nil }
        if let seconds = Double(value), seconds >= 0 { return seconds }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: value) else { return nil }
        return max(0, date.timeIntervalSince(now))
    }
}

/// The error body shapes in the wild: Anthropic `{"type":"error","error":{"type","message"}}`,
/// OpenAI `{"error":{"message","type","code"}}`, and Ollama's `{"error":"text"}`.
private struct ErrorBody: Decodable {
    struct Detail: Decodable {
        var type: String?
        var message: String?
        var code: FlexibleString?
    }
    /// OpenAI sends `code` as a string or a number.
    struct FlexibleString: Decodable {
        var value: String
        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let s = try? c.decode(String.self) { value = s } else { value = String(try c.decode(Int.self)) }
        }
    }
    var error: Detail?
    var errorText: String?
    var request_id: String?

    var type: String? { error?.type }
    var code: String? { error?.code?.value }
    var message: String? { error?.message ?? errorText }
    var requestId: String? { request_id }

    private enum CodingKeys: String, CodingKey { case error, request_id }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if let detail = try? c.decode(Detail.self, forKey: .error) { error = detail } else {
            errorText = try? c.decode(String.self, forKey: .error)
        }
        request_id = try? c.decode(String.self, forKey: .request_id)
    }

    init() {}

    static func parse(_ body: Data) -> ErrorBody {
        (try? JSONDecoder().decode(ErrorBody.self, from: body)) ?? ErrorBody()
    }
}
