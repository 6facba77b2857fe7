import Foundation
import Logging
import Synchronization

/// Where log lines go besides stderr: to the client, once it asked for them (bosun/1's
/// `initializationOptions.logLevel`). Each front end says how a line reaches its wire.
public final class ClientLogForwarder: Sendable {
    private struct Target {
        var level: Logger.Level
        var send: @Sendable (Logger.Level, String) -> Void
    }

    private let target = Mutex<Target?>(nil)

    public init() {}

    /// From now on, lines at `level` or above also go to `send`, which must only queue them
    /// (droppable: a client that stops reading must not pile up log lines, which stderr has too).
    public func forward(from level: Logger.Level, to send: @escaping @Sendable (Logger.Level, String) -> Void) {
        target.withLock { $0 = Target(level: level, send: send) }
    }

    func stop() {
        target.withLock { $0 = nil }
    }

    /// The lowest level the client asked for, if it asked.
    fileprivate var clientLevel: Logger.Level? {
        target.withLock { $0?.level }
    }

    fileprivate func send(_ level: Logger.Level, _ message: String) {
        guard let target = target.withLock({ $0 }), level >= target.level else { return }
        target.send(level, message)
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

/// Writes one line per record at or above `--log-level` to stderr
/// (`2026-01-02T03:04:05Z warning bosun.server: …`), and hands every record to the client
/// forwarder, which may want a lower level than stderr does.
public struct ServerLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    /// The level for stderr.
    private var stderrLevel: Logger.Level
    private let label: String
    private let forwarder: ClientLogForwarder
    /// Applied to every line, for stderr and the client alike (the API keys removed).
    private let redact: @Sendable (String) -> String

    public init(label: String, level: Logger.Level, forwarder: ClientLogForwarder,
                redact: @escaping @Sendable (String) -> String = { $0 }) {
        self.redact = redact
        self.label = label
        self.stderrLevel = level
        self.forwarder = forwarder
    }

    /// The lower of the stderr level and the level a client asked for, so neither misses
    /// records the other filtered out.
    public var logLevel: Logger.Level {
        get { min(stderrLevel, forwarder.clientLevel ?? stderrLevel) }
        set { stderrLevel = newValue }
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
        text = redact(text)
        if event.level >= stderrLevel {
            let stamp = Date().formatted(.iso8601)
            FileHandle.standardError.write(Data("\(stamp) \(event.level) \(label): \(text)\n".utf8))
        }
        forwarder.send(event.level, text)
    }
}
