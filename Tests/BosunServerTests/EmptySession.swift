import BosunServer
import Foundation
import JSONRPC
import Orchestration

/// A session with no workers and no store behind it: enough to exercise the server's
/// lifecycle without the orchestration (it answers `status` with the DESIGN §3 summary).
struct EmptySession: SessionHandle {
    let info: SessionInfo

    /// The session cap when the client sets none (DESIGN §2).
    static let defaultMaxConcurrentWorkers = 5

    /// Opens a fresh session; there is nothing to resume without a trace store.
    static let opener: SessionOpener = { request in
        if let resume = request.resumeSessionId {
            throw RPCError.invalidParams(
                "session '\(resume)' cannot be resumed: this server keeps no sessions; leave out initializationOptions.session to start a new one",
                field: "initializationOptions.session")
        }
        return EmptySession(info: SessionInfo(
            id: newSessionID(), resumed: false,
            maxConcurrentWorkers: request.maxConcurrentWorkers ?? defaultMaxConcurrentWorkers))
    }

    /// `s_` and 16 random hex digits.
    static func newSessionID() -> String {
        "s_" + String(UInt64.random(in: 0...UInt64.max), radix: 16).leftPadded(to: 16)
    }

    func register(on registry: MethodRegistry) {
        let info = self.info
        registry.register("status", StatusParams.self) { params, _ in
            if let workerId = params.workerId {
                throw RPCError(
                    code: SessionError.unknownWorkerCode,
                    message: "unknown worker '\(workerId)': this session has no workers; call status without workerId to list them",
                    data: ["field": "workerId"])
            }
            return SessionStatus(
                session: .init(id: info.id, maxConcurrentWorkers: info.maxConcurrentWorkers, counts: .zero),
                usage: .zero, workers: [])
        }
    }

    func close() async {}
}

struct StatusParams: Decodable, Sendable {
    var workerId: String?
}

/// `status` without a worker id: the session summary of DESIGN §3.
struct SessionStatus: Encodable, Sendable {
    struct Session: Encodable, Sendable {
        var id: String
        var maxConcurrentWorkers: Int
        var counts: Counts
    }

    /// Workers per state; every state is present, zero or not.
    struct Counts: Encodable, Sendable {
        var queued = 0, running = 0, succeeded = 0, failed = 0, cancelled = 0, timed_out = 0, interrupted = 0
        static let zero = Counts()
    }

    struct Usage: Encodable, Sendable {
        var inputTokens = 0, outputTokens = 0, cacheReadTokens = 0
        var costUSD = 0.0
        static let zero = Usage()
    }

    /// Always empty here; the type only fixes the JSON shape.
    struct WorkerSummary: Encodable, Sendable {}

    var session: Session
    var usage: Usage
    var workers: [WorkerSummary]
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
