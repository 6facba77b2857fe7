import BosunJSON
import Foundation
import MockProvider
@testable import Providers

/// Retries fast enough for tests.
let fastRetry = RetryPolicy(maxAttempts: 4, baseDelay: 0.02, maxDelay: 0.1, maxTotalSeconds: 10)

func endpoint(_ kind: ProviderKind, port: Int, apiKey: String? = "test-key", retry: RetryPolicy = fastRetry,
              idleTimeout: TimeInterval = 30) -> ProviderEndpoint {
    ProviderEndpoint(name: "mock-\(kind.rawValue)", kind: kind,
                     baseURL: kind == .anthropic ? "http://127.0.0.1:\(port)" : "http://127.0.0.1:\(port)/v1",
                     apiKey: apiKey, retry: retry, idleTimeout: idleTimeout)
}

let listFilesTool = ToolSpec(name: "list_files", description: "List files under a path",
                             inputSchema: ["type": "object", "properties": ["path": ["type": "string"]], "required": ["path"]])
let submitResultTool = ToolSpec(name: "submit_result", description: "Submit the result",
                                inputSchema: ["type": "object",
                                              "properties": ["answer": ["type": "string"], "score": ["type": "integer", "minimum": 3]],
                                              "required": ["answer", "score"]])

func request(model: String = "mock-model", stream: Bool, tools: [ToolSpec] = [], messages: [ChatMessage] = [.user("Hello")],
             system: String = "You are a test.") -> ModelRequest {
    ModelRequest(model: model, system: system, messages: messages, tools: tools, maxTokens: 256, stream: stream)
}

/// Collects progress events from a client callback.
final class ProgressLog: @unchecked Sendable {
    // Guarded by `lock`: callbacks arrive from the HTTP thread.
    private let lock = NSLock()
    private var events: [ModelCallProgress] = []

    func record(_ event: ModelCallProgress) { lock.withLock { events.append(event) } }

    var text: String {
        lock.withLock { events.compactMap { if case .textDelta(let t) = $0 { return t } else { return nil } }.joined() }
    }

    var retries: [(attempt: Int, delay: Double, error: ProviderError)] {
        lock.withLock {
            events.compactMap { if case .retrying(let a, let d, let e) = $0 { return (a, d, e) } else { return nil } }
        }
    }
}

extension ModelReply {
    var text: String { content.compactMap { if case .text(let t) = $0 { return t } else { return nil } }.joined() }
    var toolUses: [(id: String, name: String, input: JSONValue)] {
        content.compactMap { if case .toolUse(let i, let n, let input) = $0 { return (i, n, input) } else { return nil } }
    }
}
