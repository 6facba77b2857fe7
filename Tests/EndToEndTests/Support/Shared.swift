import Synchronization

/// A lock-protected value that closures on other threads can hold a reference to
/// (a `Mutex` itself cannot be captured: it is not copyable).
final class Shared<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) { mutex = Mutex(value) }

    func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        try mutex.withLock { try body(&$0) }
    }
}
