import Foundation
import JSONRPC
import Logging
import Synchronization

/// Where log lines go besides stderr: to the client as `window/logMessage`, once it asked
/// for them with `initializationOptions.logLevel`.
public final class ClientLogForwarder: Sendable {
    private struct Target {
        var connection: JSONRPCConnection
        var level: Logger.Level
    }

    private let target = Mutex<Target?>(nil)

    public init() {}

    func forward(to connection: JSONRPCConnection, from level: Logger.Level) {
        target.withLock { $0 = Target(connection: connection, level: level) }
    }

    func stop() {
        target.withLock { $0 = nil }
    }

    fileprivate func send(_ level: Logger.Level, _ message: String) {
        guard let target = target.withLock({ $0 }), level >= target.level else { return }
        target.connection.post("window/logMessage", LogMessageParams(type: LogMessageParams.type(of: level), message: message))
    }
}

/// LSP's `window/logMessage` params: `type` 1 error, 2 warning, 3 info, 4 log.
struct LogMessageParams: Codable, Sendable {
    var type: Int
    var message: String

    static func type(of level: Logger.Level) -> Int {
        switch level {
        case .critical, .error: return 1
        case .warning: return 2
        case .notice, .info: return 3
        case .debug, .trace: return 4
        }
    }
}

/// Writes one line per record to stderr (`2026-01-02T03:04:05Z warning bosun.server: …`),
/// and hands it to the client forwarder.
public struct ServerLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    private let label: String
    private let forwarder: ClientLogForwarder

    public init(label: String, level: Logger.Level, forwarder: ClientLogForwarder) {
        self.label = label
        self.logLevel = level
        self.forwarder = forwarder
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var text = event.message.description
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        if !merged.isEmpty {
            text += " " + merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        }
        let stamp = Date().formatted(.iso8601)
        FileHandle.standardError.write(Data("\(stamp) \(event.level) \(label): \(text)\n".utf8))
        forwarder.send(event.level, text)
    }
}
