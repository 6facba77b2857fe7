import Foundation

// Interim declarations so Config builds before wt/providers lands; deleted on merge.

public enum ProviderKind: String, Sendable, Hashable, Codable, CaseIterable {
    case anthropic
    case openai
}

public struct RetryPolicy: Sendable, Hashable {
    public var maxAttempts: Int
    public var baseDelay: Double
    public var maxDelay: Double

    public init(maxAttempts: Int = 4, baseDelay: Double = 0.5, maxDelay: Double = 30) {
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }
}

public struct ProviderEndpoint: Sendable {
    public var name: String
    public var kind: ProviderKind
    public var baseURL: String
    public var apiKey: String?
    public var retry: RetryPolicy

    public init(name: String, kind: ProviderKind, baseURL: String, apiKey: String?, retry: RetryPolicy = RetryPolicy()) {
        self.name = name
        self.kind = kind
        self.baseURL = baseURL
        self.apiKey = apiKey
        self.retry = retry
    }
}
