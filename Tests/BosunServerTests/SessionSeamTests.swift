import BosunJSON
import BosunProtocol
import BosunServer
import Foundation
import JSONRPC
import Logging
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A session that records what the server asked of it, standing in for the
/// orchestration's session to pin down the seam's contract. `roles` sends two events
/// through the request's sink: a non-terminal one and a terminal one.
final class RecordingSession: SessionHandle, SessionOperations {
    let info: SessionInfo
    let request: SessionOpenRequest
    private let closeCount = Mutex(0)

    init(request: SessionOpenRequest) {
        self.request = request
        info = SessionInfo(id: "s_recorded", resumed: request.resumeSessionId != nil, maxConcurrentWorkers: request.maxConcurrentWorkers ?? 5)
    }

    var timesClosed: Int { closeCount.withLock { $0 } }

    var operations: any SessionOperations { self }

    func roles() async -> RolesResult {
        let ended = WorkerEventData.ended(.init(state: .succeeded, steps: 1, costUSD: 0, result: nil, error: nil))
        for (seq, data) in [(1, WorkerEventData.started(run: 1, resumed: false)), (2, ended)] {
            request.events(.worker(WorkerEvent(workerId: "w_1", seq: seq, at: "2026-01-01T00:00:00.000Z", data: data)))
        }
        return RolesResult(roles: [])
    }

    func spawn(_ params: SpawnParams) async throws -> Worker { throw Self.refused }
    func steer(_ params: SteerParams) async throws -> SteerResult { throw Self.refused }
    func cancel(_ params: CancelParams) async throws -> CancelResult { throw Self.refused }
    func awaitWorkers(_ params: AwaitParams) async throws -> AwaitResult { throw Self.refused }
    func status(_ params: StatusParams) async throws -> StatusResult { throw Self.refused }
    func trace(_ params: TraceParams) async throws -> TraceResult { throw Self.refused }
    func verify(_ params: VerifyParams) async throws -> VerifyResult { throw Self.refused }
    func synthesize(_ params: SynthesizeParams) async throws -> SynthesizeResult { throw Self.refused }
    func orchestrate(_ params: OrchestrateParams) async throws -> OrchestrateResult { throw Self.refused }
    func changes(_ params: ChangesParams) async throws -> ChangesResult { throw Self.refused }
    func apply(_ params: ApplyParams) async throws -> ApplyResult { throw Self.refused }
    func discard(_ params: DiscardParams) async throws -> DiscardResult { throw Self.refused }
    func answer(_ params: AnswerParams) async throws -> AnswerResult { throw Self.refused }

    static let refused = SessionError(code: SessionError.invalidStateCode, message: "recorded")

    func close() async { closeCount.withLock { $0 += 1 } }
}

/// Opens `RecordingSession`s and keeps the last one.
final class RecordingOpener: Sendable {
    private let last = Mutex<RecordingSession?>(nil)
    private let failures = Mutex<[any Error]>([])

    var session: RecordingSession? { last.withLock { $0 } }

    /// The next opens throw these errors, in order.
    func failNext(with errors: [any Error]) { failures.withLock { $0 = errors } }

    var opener: SessionOpener {
        { [self] request in
            if let error = failures.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) { throw error }
            let session = RecordingSession(request: request)
            last.withLock { $0 = session }
            return session
        }
    }
}

/// A `BosunServer` in this process, on real pipes. A thread of its own reads the answers,
/// so waiting for them never blocks the tasks that produce them.
final class ServerOnPipes: Sendable {
    let exitCode: Task<Int32, Never>
    private let toServer: Int32
    private let messages: AsyncStream<JSONValue>
    private let received = Mutex<[JSONValue]>([])
    private let receivedLines = Lines()

    /// Every line the server wrote so far, as it wrote it (`answer` and `allMessages` read them).
    var lines: [String] { receivedLines.all.withLock { $0 } }

    private final class Lines: Sendable {
        let all = Mutex<[String]>([])
    }

    init(opener: @escaping SessionOpener, mode: FrontEndKind? = nil) {
        var input: [Int32] = [0, 0]
        var output: [Int32] = [0, 0]
        precondition(pipe(&input) == 0 && pipe(&output) == 0)
        signal(SIGPIPE, SIG_IGN)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let server = BosunServer(
            options: ServerOptions(version: "test", gracePeriod: .milliseconds(200), drainTimeout: .seconds(2), mode: mode),
            openSession: opener, logger: logger)
        let serverEnds = (input[0], output[1])
        exitCode = Task.detached {
            let code = await server.run(input: serverEnds.0, output: serverEnds.1)
            close(serverEnds.1)
            return code
        }
        toServer = input[1]
        let (stream, continuation) = AsyncStream.makeStream(of: JSONValue.self)
        messages = stream
        let fromServer = output[0]
        let lines = receivedLines
        Thread.detachNewThread {
            var pending: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let count = read(fromServer, &chunk, chunk.count)
                if count <= 0 { break }
                pending += chunk[0..<count]
                while let newline = pending.firstIndex(of: 0x0A) {
                    lines.all.withLock { $0.append(String(decoding: pending[..<newline], as: UTF8.self)) }
                    continuation.yield((try? JSONValue.parse(Data(pending[..<newline]))) ?? "unparseable line")
                    pending.removeFirst(newline + 1)
                }
            }
            close(fromServer)
            continuation.finish()
        }
    }

    func send(_ lines: String...) {
        for line in lines {
            let bytes = Array((line + "\n").utf8)
            precondition(write(toServer, bytes, bytes.count) == bytes.count)
        }
    }

    func closeInput() { close(toServer) }

    /// The answer to request `id`, reading (and keeping) messages until it arrives.
    func answer(_ id: JSONValue) async throws -> JSONValue {
        if let earlier = received.withLock({ $0.first { $0["id"] == id } }) { return earlier }
        for await message in messages {
            received.withLock { $0.append(message) }
            if message["id"] == id { return message }
        }
        return try #require(received.withLock { $0 }.first { $0["id"] == id }, "no answer to \(id.jsonString())")
    }

    /// Every message the server wrote, once it closed its output.
    func allMessages() async -> [JSONValue] {
        for await message in messages { received.withLock { $0.append(message) } }
        return received.withLock { $0 }
    }
}

@Suite(.serialized, .timeLimit(.minutes(1))) struct SessionSeam {
    @Test func initializeOpensTheSessionWithTheClientsChoicesAndEndOfInputClosesIt() async throws {
        let recorder = RecordingOpener()
        let server = ServerOnPipes(opener: recorder.opener)
        let root = FileManager.default.temporaryDirectory.path
        server.send(
            #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"rootUri":"file://\#(root)","initializationOptions":{"session":"s_old","maxConcurrentWorkers":7,"events":"terminal"}}}"#,
            #"{"jsonrpc":"2.0","id":2,"method":"roles"}"#)
        server.closeInput()
        let messages = await server.allMessages()
        #expect(await server.exitCode.value == 0)

        let session = try #require(recorder.session)
        #expect(session.request.workspaceRoot == URL(fileURLWithPath: root).path)
        #expect(session.request.resumeSessionId == "s_old")
        #expect(session.request.maxConcurrentWorkers == 7)
        #expect(session.request.workerEvents == .terminal)
        #expect(session.timesClosed == 1)

        let initialize = try #require(messages.first { $0["id"] == 1 })
        #expect(initialize["result"]?["session"] == ["id": "s_recorded", "resumed": true, "maxConcurrentWorkers": 7])
        let operations = BosunOperations.all.map { JSONValue.string($0.info.name) }
        #expect(initialize["result"]?["capabilities"]?["methods"]?.arrayValue?.sorted { $0.jsonString() < $1.jsonString() }
                == (operations + ["initialize", "shutdown"]).sorted { $0.jsonString() < $1.jsonString() })
        #expect(messages.first { $0["id"] == 2 }?["result"] == ["roles": []])
        // events "terminal": the session's sink reaches the client, filtered by bosun/1's choice.
        #expect(messages.filter { $0["method"] == "worker/event" }.map { $0["params"]?["kind"] } == ["succeeded"])
    }

    @Test func openerErrorsReachTheClientAndInitializeCanBeRetried() async throws {
        struct DiskFull: Error, CustomStringConvertible { var description: String { "the disk is full" } }
        let recorder = RecordingOpener()
        recorder.failNext(with: [SessionError(code: -32012, message: "unknown provider 'x'"), DiskFull()])
        let server = ServerOnPipes(opener: recorder.opener)
        server.send(#"{"jsonrpc":"2.0","id":1,"method":"initialize"}"#, #"{"jsonrpc":"2.0","id":2,"method":"roles"}"#)
        #expect(try await server.answer(1)["error"]?["code"] == -32012)
        // Queued behind the failed initialize, then refused like any request before it.
        #expect(try await server.answer(2)["error"]?["code"] == -32002)
        server.send(#"{"jsonrpc":"2.0","id":3,"method":"initialize"}"#)
        let failed = try await server.answer(3)
        #expect(failed["error"]?["code"] == -32803)
        #expect(failed["error"]?["message"]?.stringValue?.contains("the disk is full") == true)
        server.send(#"{"jsonrpc":"2.0","id":4,"method":"initialize"}"#, #"{"jsonrpc":"2.0","id":5,"method":"initialize"}"#)
        #expect(try await server.answer(4)["result"]?["session"]?["id"] == "s_recorded")
        // A second initialize, even pipelined behind the first, is refused.
        #expect(try await server.answer(5)["error"]?["code"] == -32600)
        server.send(#"{"jsonrpc":"2.0","id":6,"method":"shutdown"}"#, #"{"jsonrpc":"2.0","method":"exit"}"#)
        #expect(try await server.answer(6)["result"] == .null)
        #expect(await server.exitCode.value == 0)
        #expect(recorder.session?.timesClosed == 1)
        server.closeInput()
    }

    /// A `spawn` that waited answers with the ended worker: written as `status` writes it
    /// (`EncodedJSON(answering:)`, the bytes `JSONEncoder` with sorted keys gives), with its
    /// outcome's text as the session wrote it, not encoded again.
    @Test func aSpawnAnswersWithTheWorkerAsWrittenAndItsOutcomeAsItIs() async throws {
        let server = ServerOnPipes(opener: { _ in EndedWorkerSession() })
        server.send(#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}"#,
                    #"{"jsonrpc":"2.0","id":2,"method":"spawn","params":{"task":"t","wait":true}}"#)
        server.closeInput()
        _ = await server.allMessages()
        let line = try #require(server.lines.first { $0.contains(#""id":2"#) })
        var typed = EndedWorkerSession.worker
        typed.writtenOutcome = WrittenOutcome()
        let sorted = JSONEncoder()
        sorted.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let expected = String(decoding: try sorted.encode(typed), as: UTF8.self)
            .replacingOccurrences(of: #""result":"# + (try #require(typed.result)).json.jsonString(),
                                  with: #""result":"# + EndedWorkerSession.outcome)
        #expect(line.contains(#""result":"# + expected), "\(line)")
        #expect(expected.contains(EndedWorkerSession.outcome))
        #expect(try JSONValue.parse(line)["result"] == JSONValue(encoding: typed))
    }

    @Test func emptySessionAnswersStatus() async throws {
        let server = ServerOnPipes(opener: EmptySession.opener)
        server.send(
            #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"initializationOptions":{"maxConcurrentWorkers":2}}}"#,
            #"{"jsonrpc":"2.0","id":2,"method":"status"}"#,
            #"{"jsonrpc":"2.0","id":3,"method":"status","params":{"workerId":"w_1"}}"#)
        server.closeInput()
        let messages = await server.allMessages()
        let sessionID = try #require(messages.first { $0["id"] == 1 }?["result"]?["session"]?["id"]?.stringValue)
        #expect(sessionID.hasPrefix("s_") && sessionID.count == 18)
        let status = try #require(messages.first { $0["id"] == 2 }?["result"])
        #expect(status["session"]?["id"] == .string(sessionID))
        #expect(status["session"]?["maxConcurrentWorkers"] == 2)
        #expect(status["session"]?["counts"]?.objectValue?.values.allSatisfy { $0 == 0 } == true)
        // Every state is listed, as a real session lists them.
        #expect(status["session"]?["counts"]?.objectValue?.count == WorkerState.allCases.count)
        #expect(messages.first { $0["id"] == 3 }?["error"]?["code"] == -32010)
    }
}

/// A session whose `spawn` answers with a worker that ended, its outcome's text in an order
/// writing the typed outcome does not give (which only splicing shows).
struct EndedWorkerSession: SessionHandle, SessionOperations {
    let info = SessionInfo(id: "s_ended", resumed: false, maxConcurrentWorkers: 1)
    var operations: any SessionOperations { self }

    static let outcome = #"{"text":"done / \\ \"quoted\"","sources":["a.swift"]}"#
    static let worker: Worker = {
        var worker = Worker(id: "w_1", role: "worker", model: "fast", state: .succeeded, task: "t",
                            createdAt: "2026-12-08T00:00:00.000Z", startedAt: "2026-12-08T00:00:00.100Z",
                            endedAt: "2026-12-08T00:00:01.000Z", steps: 2,
                            usage: WorkerUsage(inputTokens: 10, outputTokens: 5, cacheReadTokens: 0, cacheWriteTokens: 0, costUSD: 0.001),
                            result: Worker.Result(text: #"done / \ "quoted""#, sources: ["a.swift"]))
        worker.writtenOutcome = WrittenOutcome(outcome)
        return worker
    }()

    func spawn(_ params: SpawnParams) async throws -> Worker { Self.worker }
    func roles() async -> RolesResult { RolesResult(roles: []) }
    func steer(_ params: SteerParams) async throws -> SteerResult { throw Self.refused }
    func cancel(_ params: CancelParams) async throws -> CancelResult { throw Self.refused }
    func awaitWorkers(_ params: AwaitParams) async throws -> AwaitResult { throw Self.refused }
    func status(_ params: StatusParams) async throws -> StatusResult { throw Self.refused }
    func trace(_ params: TraceParams) async throws -> TraceResult { throw Self.refused }
    func verify(_ params: VerifyParams) async throws -> VerifyResult { throw Self.refused }
    func synthesize(_ params: SynthesizeParams) async throws -> SynthesizeResult { throw Self.refused }
    func orchestrate(_ params: OrchestrateParams) async throws -> OrchestrateResult { throw Self.refused }
    func changes(_ params: ChangesParams) async throws -> ChangesResult { throw Self.refused }
    func apply(_ params: ApplyParams) async throws -> ApplyResult { throw Self.refused }
    func discard(_ params: DiscardParams) async throws -> DiscardResult { throw Self.refused }
    func answer(_ params: AnswerParams) async throws -> AnswerResult { throw Self.refused }

    static let refused = SessionError(code: SessionError.invalidStateCode, message: "not in this test")

    func close() async {}
}
