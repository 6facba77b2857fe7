import BosunServer
import Logging
import Synchronization
import Testing

/// Log lines pass the redaction before they go anywhere: the client (forwarded log
/// messages) and stderr get the same, redacted text, metadata included.
@Suite struct LogRedactionTests {
    @Test func aLogLineIsRedactedBeforeItIsForwardedOrWritten() {
        let forwarder = ClientLogForwarder()
        let forwarded = Mutex<[String]>([])
        forwarder.forward(from: .debug) { _, message in forwarded.withLock { $0.append(message) } }
        let logger = Logger(label: "test") { label in
            ServerLogHandler(label: label, level: .critical, forwarder: forwarder,
                             redact: { $0.replacingOccurrences(of: "sk-live-123456", with: "[REDACTED]") })
        }
        logger.warning("the provider answered: bad key sk-live-123456", metadata: ["body": "sk-live-123456"])
        #expect(forwarded.withLock { $0 } == ["the provider answered: bad key [REDACTED] body=[REDACTED]"])
    }
}
