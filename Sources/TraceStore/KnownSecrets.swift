import Foundation
import Synchronization

/// The API keys this process has read from the environment for its configs, shared by
/// everything that writes out of the process: the connection to the client (every answer,
/// event and forwarded log line) and stderr. A provider that echoes a key back in an error
/// would otherwise hand it to the client, and in MCP mode to the calling model.
///
/// Sessions add the keys of their config as they open it; keys are never removed (one
/// that was in use stays secret).
public final class KnownSecrets: Sendable {
    private let state = Mutex<(values: Set<String>, redactor: Redactor)>(([], Redactor(secrets: [])))

    public init() {}

    public func add(_ secrets: [String]) {
        state.withLock { state in
            let before = state.values.count
            state.values.formUnion(secrets)
            if state.values.count != before { state.redactor = Redactor(secrets: Array(state.values)) }
        }
    }

    /// `bytes` with every known key replaced by `[REDACTED]`, in each form it takes in
    /// JSON text; the same bytes when none is there.
    public func redact(_ bytes: Data) -> Data {
        let current = state.withLock { $0.redactor }
        guard !current.knowsNoSecrets, let redacted = current.redactSecrets(in: Array(bytes)) else { return bytes }
        return Data(redacted)
    }

    public func redact(_ text: String) -> String {
        let current = state.withLock { $0.redactor }
        guard !current.knowsNoSecrets, let redacted = current.redactSecrets(in: Array(text.utf8)) else { return text }
        return String(decoding: redacted, as: UTF8.self)
    }
}
