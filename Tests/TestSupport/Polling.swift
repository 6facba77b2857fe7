/// Waits until `condition` holds, checking it every `pace`, for a state that announces no
/// event (another process's file, a counter, a log line); false when `timeout` passed first.
/// The wait is for the state: `pace` only spaces the checks, and a test never depends on it.
@discardableResult
public func waitUntil(timeout: Duration = .seconds(30), pace: Duration = .milliseconds(5),
                      _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while try await !condition() {
        guard ContinuousClock.now < deadline else { return false }
        try await Task.sleep(for: pace) // paces the checks of the state, not a wait for the clock
    }
    return true
}
