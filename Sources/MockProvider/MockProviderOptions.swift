import Foundation

/// How a `MockProviderServer` behaves.
public struct MockProviderOptions: Sendable {
    /// IPv4 address to listen on; loopback by default.
    public var host: String
    /// 0 picks a free port; `start()` returns the one bound.
    public var port: Int
    /// Delay before the first byte of every reply (time to first token).
    public var latencyMs: Int
    /// Streaming pace; nil sends every token at once. Non-streaming replies wait as long
    /// as streaming them would have taken.
    public var tokensPerSecond: Double?
    public var script: MockScript?
    /// Synthetic mode: tool calls before `submit_result` (one per model call).
    public var syntheticToolSteps: Int
    /// Synthetic mode: words in a plain-text reply (when the request offers no tools).
    public var syntheticTextTokens: Int
    /// Faults applied to every matching request, before script rules.
    public var faults: [FaultSpec]

    public init(host: String = "127.0.0.1", port: Int = 0, latencyMs: Int = 0, tokensPerSecond: Double? = nil,
                script: MockScript? = nil, syntheticToolSteps: Int = 2, syntheticTextTokens: Int = 20,
                faults: [FaultSpec] = []) {
        self.host = host
        self.port = port
        self.latencyMs = max(0, latencyMs)
        self.tokensPerSecond = tokensPerSecond
        self.script = script
        self.syntheticToolSteps = max(0, syntheticToolSteps)
        self.syntheticTextTokens = max(1, syntheticTextTokens)
        self.faults = faults
    }
}

/// Counters for tests and benchmarks.
public struct MockProviderStats: Sendable {
    /// Requests read (every path, faults included).
    public var requests: Int
    /// Replies being written right now (streams in progress, stalls included).
    public var activeResponses: Int
    /// TCP connections open right now.
    public var openConnections: Int
    /// TCP connections accepted since the server started (a client that keeps its
    /// connections alive opens each only once).
    public var acceptedConnections: Int
    public var faultsInjected: Int
}

/// The pacing of one model reply: the pauses the mock took writing it, as its plan (options
/// or a script rule) asked: the latency first, then the gap before each token after the
/// first (or, unstreamed, one pause for all the tokens). A pause of nothing is not listed.
public struct MockPacedReply: Sendable {
    public var model: String
    public var pauses: [Double]
}

/// One request as the mock received it.
public struct MockRecordedRequest: Sendable {
    public var path: String
    public var headers: [String: String]
    public var body: Data
}
