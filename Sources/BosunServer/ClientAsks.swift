import BosunJSON
import BosunProtocol
import JSONRPC
import Logging
import Synchronization

/// Sends the session's asks that go to the client as requests of the client's own protocol,
/// and answers each with the client's result through `answer`: bosun/1's `worker/ask`, MCP's
/// `elicitation/create`, ACP's `session/request_permission` (a `Channel` each). An answer
/// that does not fit the ask is refused with a log line and the ask stays pending, for
/// `answer` or `maxWaitSeconds`. A request still open when the ask is answered otherwise is
/// dropped.
public final class ClientAsks: Sendable {
    /// How asks reach one kind of client.
    public struct Channel: Sendable {
        /// The request's method.
        public var method: String
        /// The request's params for an ask; nil when this client cannot be asked it (it then
        /// waits for `answer` from elsewhere, or for `maxWaitSeconds`).
        public var params: @Sendable (Ask) -> JSONValue?
        /// `answer`'s params for the client's result; throws when the result answers nothing.
        public var answer: @Sendable (Ask, JSONValue) throws -> AnswerParams

        public init(method: String, params: @escaping @Sendable (Ask) -> JSONValue?,
                    answer: @escaping @Sendable (Ask, JSONValue) throws -> AnswerParams) {
            self.method = method
            self.params = params
            self.answer = answer
        }
    }

    /// bosun/1's: `worker/ask` with the ask as params, answered with `{decision?, text?}`.
    static let workerAsk = Channel(method: "worker/ask", params: { $0.json }, answer: { ask, result in
        let reply = try result.decode(as: AskRequestResult.self)
        return AnswerParams(askId: ask.askId, decision: reply.decision, text: reply.text)
    })

    private struct State {
        /// Set once the session is open; asks announced before (a resumed session asking
        /// again) wait in `early`.
        var operations: (any SessionOperations)?
        var early: [Ask] = []
        /// The request in flight for each ask.
        var requests: [String: Task<Void, Never>] = [:]
    }

    private let connection: JSONRPCConnection
    private let channel: Channel
    private let logger: Logger
    private let state = Mutex(State())

    public init(connection: JSONRPCConnection, channel: Channel, logger: Logger) {
        self.connection = connection
        self.channel = channel
        self.logger = logger
    }

    /// Whether bosun/1's `initialize` capabilities ask for `worker/ask` requests.
    static func requested(by capabilities: JSONValue?) -> Bool {
        capabilities?["bosun"]?["asks"]?.boolValue == true
    }

    /// Sees every session event: sends the client's asks, forgets answered ones.
    public func observe(_ event: SessionEvent) {
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
    public func start(_ operations: any SessionOperations) {
        let early = state.withLock { state in
            state.operations = operations
            defer { state.early = [] }
            return state.early
        }
        for ask in early { send(ask, to: operations) }
    }

    private func send(_ ask: Ask, to operations: any SessionOperations) {
        guard let params = channel.params(ask) else { return }
        let task = Task { [connection, channel, logger] in
            let result: JSONValue
            do {
                result = try await connection.request(channel.method, params: params)
            } catch is CancellationError {
                return
            } catch {
                logger.warning("the client answered \(channel.method) for \(ask.askId) with an error (\(error)); the ask stays pending")
                return
            }
            do {
                _ = try await operations.answer(try channel.answer(ask, result))
            } catch let error as SessionError {
                logger.warning("the client's answer to \(channel.method) for \(ask.askId) was refused: \(error.message) The ask stays pending.")
            } catch {
                logger.warning("""
                    the client's answer to \(channel.method) for \(ask.askId) answers nothing: \(error). The ask stays pending.
                    """)
            }
        }
        state.withLock { $0.requests[ask.askId] = task }
    }
}
