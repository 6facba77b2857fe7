import Foundation
import HTTP

/// The wire protocol a provider speaks.
public enum ProviderKind: String, Codable, Sendable, CaseIterable {
    /// Anthropic Messages (`POST {baseURL}/v1/messages`).
    case anthropic
    /// OpenAI-compatible Chat Completions (`POST {baseURL}/chat/completions`): OpenAI,
    /// Ollama, vLLM, llama.cpp server, LM Studio.
    case openai

    /// Where this kind of provider lives when config gives no `baseURL`.
    public var defaultBaseURL: String {
        switch self {
        case .anthropic: return "https://api.anthropic.com"
        case .openai: return "https://api.openai.com/v1"
        }
    }
}

/// How transient failures are retried. Delays grow as `baseDelay * 2^(attempt-1)`, capped
/// at `maxDelay`, less up to 25% jitter; a server's `retry-after-ms` / `retry-after`
/// replaces the computed delay. No retry starts if it would end later than
/// `maxTotalSeconds` after the first attempt began.
public struct RetryPolicy: Sendable, Hashable, Codable {
    /// Attempts in all, the first included (1 disables retries).
    public var maxAttempts: Int
    public var baseDelay: TimeInterval
    public var maxDelay: TimeInterval
    /// The bound on the whole call, retries and waits included.
    public var maxTotalSeconds: TimeInterval

    public init(maxAttempts: Int = 4, baseDelay: TimeInterval = 0.5, maxDelay: TimeInterval = 8,
                maxTotalSeconds: TimeInterval = 120) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = max(0, baseDelay)
        self.maxDelay = max(0, maxDelay)
        self.maxTotalSeconds = max(0, maxTotalSeconds)
    }

    public static let `default` = RetryPolicy()
    public static let none = RetryPolicy(maxAttempts: 1)

    /// The backoff before attempt `failedAttempt + 1`, jittered by `jitter` in 0...1.
    func backoff(afterAttempt failedAttempt: Int, jitter: Double) -> TimeInterval {
        let exponential = baseDelay * pow(2, Double(max(0, failedAttempt - 1)))
        return min(maxDelay, exponential) * (1 - 0.25 * jitter)
    }
}

/// One configured provider: where it is, how to authenticate, how to retry.
public struct ProviderEndpoint: Sendable {
    /// The config name, used in errors (`anthropic`, `local`, ...).
    public var name: String
    public var kind: ProviderKind
    /// For `anthropic`, the host root (`https://api.anthropic.com`; a trailing `/v1` is
    /// accepted). For `openai`, the API root including `/v1` (`http://127.0.0.1:11434/v1`).
    public var baseURL: String
    /// Sent as `x-api-key` (anthropic) or `Authorization: Bearer` (openai); nil sends none,
    /// which local OpenAI-compatible servers accept.
    public var apiKey: String?
    public var retry: RetryPolicy
    /// Added to every request (e.g. `anthropic-beta`, `OpenAI-Organization`).
    public var extraHeaders: [String: String]
    public var connectTimeout: TimeInterval
    /// Seconds of silence after which a call fails as a (retryable) timeout.
    public var idleTimeout: TimeInterval

    public init(name: String, kind: ProviderKind, baseURL: String? = nil, apiKey: String? = nil,
                retry: RetryPolicy = .default, extraHeaders: [String: String] = [:],
                connectTimeout: TimeInterval = 10, idleTimeout: TimeInterval = 120) {
        self.name = name
        self.kind = kind
        self.baseURL = baseURL ?? kind.defaultBaseURL
        self.apiKey = apiKey
        self.retry = retry
        self.extraHeaders = extraHeaders
        self.connectTimeout = connectTimeout
        self.idleTimeout = idleTimeout
    }

    /// `baseURL` joined with a path, without doubling slashes.
    func url(_ path: String) -> String {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        return base + path
    }
}

/// The client for an endpoint's kind.
public func makeModelClient(_ endpoint: ProviderEndpoint, http: HTTPClient = .shared) -> any ModelClient {
    switch endpoint.kind {
    case .anthropic: return AnthropicClient(endpoint: endpoint, http: http)
    case .openai: return OpenAIClient(endpoint: endpoint, http: http)
    }
}
