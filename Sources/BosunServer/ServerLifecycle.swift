import JSONRPC
import Synchronization

/// LSP's lifecycle as a gate in front of every method: nothing but `initialize` before
/// it, nothing but `exit` after `shutdown`. Decisions are taken in arrival order on the
/// reader thread, so a request pipelined right behind `initialize` waits for it instead
/// of being refused, and an `exit` written right behind `shutdown` waits for it (`exitCode`).
final class ServerLifecycle: RequestGate {
    enum Phase {
        case uninitialized
        case initializing(RequestOutcome)
        case running
        case shuttingDown
        case exiting
    }

    private let phase = Mutex(Phase.uninitialized)
    /// Given a first method other than `initialize`, how to start the protocol it opens
    /// (nil: refuse it as not initialized). Set once, before the connection starts.
    /// The first request, when it was not `initialize` (a stateless protocol started with it).
    private let startedBy = Mutex<String?>(nil)
    let statelessStart = Mutex<(@Sendable (String) -> (@Sendable () async -> RPCError?)?)?>(nil)
    /// The outcome of the `initialize` in progress, kept apart from `phase` so it is
    /// resolved even when the server starts exiting while `initialize` runs.
    private let pendingInitialization = Mutex<RequestOutcome?>(nil)
    /// The outcome of a `shutdown` admitted while `initialize` still ran: it waits for
    /// `initialize`, and an `exit` that arrived after it waits for it in turn.
    private let pendingShutdown = Mutex<RequestOutcome?>(nil)

    func admit(method: String, isNotification: Bool) -> Admission {
        phase.withLock { phase in
            if isNotification {
                switch (method, phase) {
                case ("exit", _): return .proceed
                case (_, .initializing), (_, .running): return .proceed
                default: return .reject(Self.notInitialized)
                }
            }
            switch phase {
            case .uninitialized:
                if method != "initialize", let start = statelessStart.withLock({ $0 }), let begin = start(method) {
                    // A protocol without `initialize` (MCP 2026-07-28): its first request
                    // starts it, and requests behind it wait as they would for `initialize`.
                    let outcome = RequestOutcome()
                    pendingInitialization.withLock { $0 = outcome }
                    phase = .initializing(outcome)
                    startedBy.withLock { $0 = method }
                    return .proceedAfter { [self] in
                        let error = await begin()
                        initializeFinished(succeeded: error == nil)
                        return error
                    }
                }
                guard method == "initialize" else { return .reject(Self.notInitialized) }
                let outcome = RequestOutcome()
                pendingInitialization.withLock { $0 = outcome }
                phase = .initializing(outcome)
                return .proceed
            case .initializing(let outcome):
                if method == "initialize" { return .reject(alreadyStarted) }
                if method == "shutdown" { pendingShutdown.withLock { $0 = $0 ?? RequestOutcome() } }
                return .proceedAfter { await outcome.succeeded() ? nil : Self.notInitialized }
            case .running:
                if method == "initialize" { return .reject(alreadyStarted) }
                if method == "shutdown" { phase = .shuttingDown }
                return .proceed
            case .shuttingDown, .exiting:
                return .reject(Self.shuttingDown)
            }
        }
    }

    /// An admitted `initialize` ends the `initializing` phase however it ended, also when its
    /// params did not decode and its handler never ran.
    func answered(method: String, succeeded: Bool) {
        if method == "initialize" { initializeFinished(succeeded: succeeded) }
        if method == "shutdown" { pendingShutdown.withLock { $0 }?.resolve(succeeded) }
    }

    /// Ends the `initializing` phase: on failure a new `initialize` may be sent.
    private func initializeFinished(succeeded: Bool) {
        phase.withLock { phase in
            if case .initializing = phase { phase = succeeded ? .running : .uninitialized }
        }
        pendingInitialization.withLock { outcome in
            defer { outcome = nil }
            return outcome
        }?.resolve(succeeded)
    }

    /// Records a `shutdown` that was admitted while `initialize` was still running (the
    /// gate records the usual case itself, in arrival order).
    func shutdownAccepted() {
        phase.withLock { phase in
            if case .running = phase { phase = .shuttingDown }
        }
    }

    /// True once `shutdown` was accepted: `exit` then ends with code 0.
    var shutdownReceived: Bool {
        phase.withLock { phase in
            if case .shuttingDown = phase { return true }
            return false
        }
    }

    /// What `exit` ends with: 0 when a `shutdown` was accepted before it, else 1. A `shutdown`
    /// that arrived before the `exit` but still waits for `initialize` is waited for, so
    /// messages written together take effect in the order they were written.
    func exitCode() async -> Int32 {
        if shutdownReceived { return 0 }
        guard let pending = pendingShutdown.withLock({ $0 }) else { return 1 }
        return await pending.succeeded() ? 0 : 1
    }

    /// From now on every request is refused.
    func beginExit() {
        phase.withLock { $0 = .exiting }
    }

    static let notInitialized = RPCError(
        code: RPCError.serverNotInitialized, message: "the server is not initialized: send initialize first")
    /// A second `initialize`, or one on a connection a stateless protocol started.
    private var alreadyStarted: RPCError {
        guard let first = startedBy.withLock({ $0 }) else { return Self.alreadyInitialized }
        return RPCError(code: RPCError.invalidRequest, message: """
            this connection speaks MCP 2026-07-28, which has no initialize (its first request was \(first)); \
            send _meta with each request, or start a new connection with initialize for an earlier version
            """)
    }

    static let alreadyInitialized = RPCError(
        code: RPCError.invalidRequest, message: "initialize was already sent on this connection; it may be sent only once")
    static let shuttingDown = RPCError(
        code: RPCError.invalidRequest, message: "the server is shutting down (shutdown was received); only exit is accepted now")
}

/// Whether a request in progress succeeded, awaited by the messages queued behind it (the
/// requests behind `initialize`, the `exit` behind `shutdown`).
final class RequestOutcome: Sendable {
    private struct State {
        var result: Bool?
        var waiters: [CheckedContinuation<Bool, Never>] = []
    }

    private let state = Mutex(State())

    func succeeded() async -> Bool {
        await withCheckedContinuation { continuation in
            let known: Bool? = state.withLock { state in
                if let result = state.result { return result }
                state.waiters.append(continuation)
                return nil
            }
            if let known { continuation.resume(returning: known) }
        }
    }

    func resolve(_ succeeded: Bool) {
        let waiters = state.withLock { state in
            state.result = succeeded
            defer { state.waiters = [] }
            return state.waiters
        }
        waiters.forEach { $0.resume(returning: succeeded) }
    }
}
