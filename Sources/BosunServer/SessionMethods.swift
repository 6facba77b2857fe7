import BosunJSON
import Foundation
import JSONRPC
import Orchestration

/// The server's view of an orchestration `Session`: registers the session methods and maps
/// the session's refusals to JSON-RPC errors, once, here at the edge.
public struct OrchestrationSessionHandle: SessionHandle {
    public let info: SessionInfo
    let session: Session
    /// Runs when the session has closed (closes the store it owns).
    let onClose: @Sendable () async -> Void

    public init(info: SessionInfo, session: Session, onClose: @escaping @Sendable () async -> Void) {
        self.info = info
        self.session = session
        self.onClose = onClose
    }

    public func register(on registry: MethodRegistry) {
        let session = self.session
        registry.register("spawn", SpawnParams.self) { params, _ in
            try await Self.answer { try await session.spawn(params) }
        }
        registry.register("steer", SteerParams.self) { params, _ in
            try await Self.answer { try await session.steer(params) }
        }
        registry.register("cancel", CancelParams.self) { params, _ in
            try await Self.answer { try await session.cancel(params) }
        }
        registry.register("await", AwaitParams.self) { params, _ in
            try await Self.answer { try await session.awaitWorkers(params) }
        }
        registry.register("status", Orchestration.StatusParams.self) { params, _ in
            try await Self.answer { try await session.statusJSON(params) }
        }
        registry.register("trace", TraceParams.self) { params, _ in
            try await Self.answer { try await session.trace(params) }
        }
        registry.register("verify", VerifyParams.self) { params, _ in
            try await Self.answer { try await session.verify(params) }
        }
        registry.register("synthesize", SynthesizeParams.self) { params, _ in
            try await Self.answer { try await session.synthesize(params) }
        }
        registry.register("roles", EmptyParams.self) { _, _ in
            await session.roles()
        }
    }

    public func close() async {
        await session.close()
        await onClose()
    }

    /// Runs a session call, turning a `SessionError` into the `RPCError` it stands for.
    /// Cancellation passes through for the connection to answer -32800.
    static func answer<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as SessionError {
            throw RPCError(code: error.code, message: error.message, data: error.data)
        }
    }
}
