import BosunJSON
import BosunProtocol
import JSONRPC
import Logging
import Synchronization

/// bosun/1's `worker/ask`: for a client that set `capabilities.bosun.asks: true` in
/// `initialize`, each ask that goes to the client is also sent as a request, and the
/// client's result (`{decision?, text?}`) answers it through `answer`. An answer that does
/// not fit the ask is refused with a log line and the ask stays pending, for `answer` or
/// `maxWaitSeconds`. A request still open when the ask is answered otherwise is dropped.
final class ClientAsks: Sendable {
    static let method = "worker/ask"

    private struct State {
        /// Set once the session is open; asks announced before (a resumed session asking
        /// again) wait in `early`.
        var operations: (any SessionOperations)?
        var early: [Ask] = []
        /// The request in flight for each ask.
        var requests: [String: Task<Void, Never>] = [:]
    }

    private let connection: JSONRPCConnection
    private let logger: Logger
    private let state = Mutex(State())

    init(connection: JSONRPCConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    /// Whether `initialize`'s capabilities ask for `worker/ask` requests.
    static func requested(by capabilities: JSONValue?) -> Bool {
        capabilities?["bosun"]?["asks"]?.boolValue == true
    }

    /// Sees every session event: sends the client's asks, forgets answered ones.
    func observe(_ event: SessionEvent) {
        if let (ask, route) = event.ask, route == .client {
            let operations: (any SessionOperations)? = state.withLock { state in
                if state.operations == nil { state.early.append(ask) }
                return state.operations
            }
            if let operations { send(ask, to: operations) }
        } else if let answer = event.answer {
            state.withLock { $0.requests.removeValue(forKey: answer.askId) }?.cancel()
        }
    }

    /// The session is open: asks from now on go out at once, and those announced while it opened go now.
    func start(_ operations: any SessionOperations) {
        let early = state.withLock { state in
            state.operations = operations
            defer { state.early = [] }
            return state.early
        }
        for ask in early { send(ask, to: operations) }
    }

    private func send(_ ask: Ask, to operations: any SessionOperations) {
        let task = Task { [connection, logger] in
            let result: JSONValue
            do {
                result = try await connection.request(Self.method, params: ask.json)
            } catch is CancellationError {
                return
            } catch {
                logger.warning("the client answered worker/ask for \(ask.askId) with an error (\(error)); the ask stays pending")
                return
            }
            do {
                let reply = try result.decode(as: AskRequestResult.self)
                _ = try await operations.answer(AnswerParams(askId: ask.askId, decision: reply.decision, text: reply.text))
            } catch let error as SessionError {
                logger.warning("the client's answer to worker/ask for \(ask.askId) was refused: \(error.message) The ask stays pending.")
            } catch {
                logger.warning("""
                    the client's answer to worker/ask for \(ask.askId) is not {decision?, text?}: \(error). The ask stays pending.
                    """)
            }
        }
        state.withLock { $0.requests[ask.askId] = task }
    }
}
