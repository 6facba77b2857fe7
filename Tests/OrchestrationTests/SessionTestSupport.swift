import BosunJSON
import BosunProtocol
import Config
import Foundation
import Logging
import Orchestration
import Providers
import Synchronization
import TestSupport
import TraceStore
import Workers

/// A model that answers from a closure, for unit tests only (end-to-end tests use the real
/// mock provider over HTTP). It counts how many calls are in flight at once.
final class FakeModelClient: ModelClient {
    typealias Behaviour = @Sendable (ModelRequest) async throws -> ModelReply

    let providerName = "fake"
    private let behaviour: Behaviour
    private let counters = Mutex((inFlight: 0, peak: 0, calls: 0))
    private let requests = Mutex([ModelRequest]())

    init(_ behaviour: @escaping Behaviour) { self.behaviour = behaviour }

    var peakInFlight: Int { counters.withLock { $0.peak } }
    var calls: Int { counters.withLock { $0.calls } }
    var recordedRequests: [ModelRequest] { requests.withLock { $0 } }

    func complete(_ request: ModelRequest, progress: (@Sendable (ModelCallProgress) -> Void)?) async throws -> ModelReply {
        counters.withLock {
            $0.inFlight += 1
            $0.calls += 1
            $0.peak = max($0.peak, $0.inFlight)
        }
        requests.withLock { $0.append(request) }
        defer { counters.withLock { $0.inFlight -= 1 } }
        return try await behaviour(request)
    }

    /// `toolSteps` calls of the `echo` tool, then `submit_result` with `{text}`; each call
    /// takes `latency` and costs 100 input and 20 output tokens.
    static func synthetic(toolSteps: Int, latency: Duration = .milliseconds(10), text: String = "done") -> FakeModelClient {
        FakeModelClient { request in
            try await Task.sleep(for: latency) // the model's latency
            let made = request.messages.filter { $0.role == .assistant }.count
            let usage = Usage(inputTokens: 100, outputTokens: 20)
            if made < toolSteps {
                return ModelReply(content: [.toolUse(id: "call_\(made)", name: "echo", input: ["say": .string("step \(made)")])],
                                  stopReason: .toolUse, usage: usage)
            }
            return ModelReply(content: [.toolUse(id: "call_\(made)", name: "submit_result", input: ["text": .string(text)])],
                              stopReason: .toolUse, usage: usage)
        }
    }
}

/// A tool that answers with what it was given.
struct EchoTool: WorkerTool {
    var spec: ToolSpec {
        ToolSpec(name: "echo", description: "Echoes its input.",
                 inputSchema: ["type": "object", "properties": ["say": ["type": "string"]]])
    }

    func run(_ input: JSONValue, context: ToolContext) async throws -> ToolOutput {
        ToolOutput(text: input["say"]?.stringValue ?? "")
    }
}

/// Notifications a session sent, in order.
final class NotificationLog: Sendable {
    typealias Entry = (method: String, params: JSONValue, droppable: Bool, written: EncodedJSON?)
    private let entries = Mutex([Entry]())

    /// `written`: the params as the front end sends them when they were written already.
    func append(_ method: String, _ params: JSONValue, droppable: Bool = false, written: EncodedJSON? = nil) {
        entries.withLock { $0.append((method, params, droppable, written)) }
    }
    var all: [Entry] { entries.withLock { $0 } }

    func events(of workerId: String) -> [String] {
        all.filter { $0.method == "worker/event" && $0.params["workerId"]?.stringValue == workerId }
            .compactMap { $0.params["kind"]?.stringValue }
    }
}

/// A temporary trace store and a way to open sessions on it.
struct SessionHarness {
    let directory = TemporaryDirectory(prefix: "bosun-orch")
    let store: TraceStore

    init() throws {
        store = try TraceStore(path: directory.file("trace.sqlite"))
    }

    func open(_ client: FakeModelClient, cap: Int? = nil, resume: String? = nil, log: NotificationLog = NotificationLog(),
              configure: (inout BosunConfig) -> Void = { _ in }, store: TraceStore? = nil, workerEvents: EventDelivery = .all,
              tools: @escaping @Sendable (RoleConfig, [String]?) throws -> [any WorkerTool] = { _, _ in [EchoTool()] })
        async throws -> Session {
        var config = BosunConfig.builtIn
        configure(&config)
        var environment = SessionEnvironment(
            config: config, store: store ?? self.store, workspaceRoot: directory.path,
            clientForProvider: { _ in client }, toolsForRole: tools,
            events: { event in
                // As bosun/1 sends them: the tests read the wire's notifications.
                guard let notification = BosunNotification(event, delivery: .all) else { return }
                log.append(notification.method, notification.params, droppable: notification.droppable,
                           written: notification.writtenParams)
            }, logger: Logger(label: "test"))
        environment.workerEvents = workerEvents
        return try await Session.open(environment, resumeId: resume, maxConcurrentWorkers: cap)
    }

    func cleanUp() async {
        await store.close()
        directory.remove()
    }
}

extension Session {
    func worker(_ id: String) async throws -> Worker {
        guard case .worker(let worker) = try status(StatusParams(workerId: id)) else { fatalError("status gave no worker") }
        return worker
    }

    func awaitAll(_ ids: [String]? = nil, timeout: Double = 30) async throws -> AwaitResult {
        try await awaitWorkers(AwaitParams(workers: ids, mode: .all, timeoutSeconds: timeout))
    }
}
