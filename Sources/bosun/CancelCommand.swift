import ArgumentParser
import Foundation
import TraceStore

/// `bosun cancel WORKER`: cancels a worker of a session another process serves, through the
/// store's control table, and waits for that process to say what it did.
struct CancelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel",
        abstract: "Cancel a worker of a running `bosun serve` from another terminal.",
        discussion: """
            Writes a cancel request to the trace store; the `bosun serve` that owns the worker's session \
            reads it within a second, cancels the worker and records the outcome. Exits 0 once the worker \
            is cancelled, 1 if it had already ended, is unknown, or no running bosun serve took the request \
            within --wait seconds (the request is then withdrawn, so it never fires later).
            """)

    @OptionGroup var store: StoreOptions
    @Argument(help: ArgumentHelp("The worker id (w_…).", valueName: "WORKER")) var worker: String
    @Option(help: ArgumentHelp("Why, recorded in the worker's error message.", valueName: "TEXT")) var reason: String?
    @Option(help: ArgumentHelp("How long to wait for the owning bosun serve to answer.", valueName: "SECONDS"))
    var wait: Double = 5

    func validate() throws {
        guard wait > 0 else { throw ValidationError("--wait must be a positive number of seconds; got \(wait).") }
    }

    func run() async throws {
        try await store.withStore { store in
            let outcome = try await RemoteCancel.request(worker, reason: reason ?? "from bosun cancel", in: store, wait: wait)
            switch outcome {
            case .cancelled:
                try emit("cancelled \(worker)\n", to: nil)
            case .refused(let message):
                FileHandle.standardError.write(Data("bosun: \(worker) was not cancelled: \(message)\n".utf8))
                throw ExitCode.failure
            case .unanswered:
                FileHandle.standardError.write(Data("""
                    bosun: no running bosun serve answered within \(wait)s: the session that owns \(worker) is not open \
                    in any process using \(store.path). The request is withdrawn.\n
                    """.utf8))
                throw ExitCode.failure
            }
        }
    }
}

/// Cancelling a worker owned by another process, as `bosun cancel` and `bosun top` do it.
enum RemoteCancel {
    enum Outcome: Equatable {
        case cancelled
        /// The owner answered without cancelling, with its reason.
        case refused(String)
        /// Nobody answered in time; the request was withdrawn.
        case unanswered
    }

    /// Refuses a worker that has already ended without writing anything, else writes the
    /// request and waits for the owner's answer.
    static func request(_ workerId: String, reason: String, in store: TraceStore, wait: Double) async throws -> Outcome {
        guard let worker = try await store.worker(id: workerId) else { throw TraceStoreError.unknownId(id: workerId) }
        if worker.isTerminal { return .refused("it has already ended (\(worker.state)).") }
        let request = try await store.requestControl(workerId: workerId, action: .cancel, reason: reason)
        guard let outcome = try await RemoteControl.outcome(of: request, in: store, wait: wait) else { return .unanswered }
        return outcome == "cancelled" ? .cancelled : .refused(outcome)
    }
}

/// Waiting for the session that owns a control request to handle it.
enum RemoteControl {
    /// Polls the request's status every 50 ms until its owner records an outcome, or `wait`
    /// seconds pass; then withdraws it (so it never fires later) and returns nil, unless the
    /// owner was quicker.
    static func outcome(of request: ControlRequest, in store: TraceStore, wait: Double) async throws -> String? {
        let deadline = ContinuousClock.now + .milliseconds(Int(wait * 1000))
        while ContinuousClock.now < deadline {
            if case .handled(let outcome) = try await store.controlStatus(id: request.id) { return outcome }
            try await Task.sleep(for: .milliseconds(50))
        }
        switch try await store.withdrawControl(id: request.id) {
        case .handled(let outcome): return outcome
        case .pending, .missing: return nil
        }
    }
}
