import BosunJSON
import Foundation
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// The real `bosun` binary, started as a child process and spoken to over real pipes.
///
/// ```swift
/// let bosun = try BosunProcess.launch(framing: .ndjson)
/// let session = try await bosun.initialize()
/// let status = try await bosun.call("status")
/// #expect(try await bosun.shutdownAndExit() == 0)
/// ```
///
/// Every wait has a timeout that fails the test instead of hanging it; the process is
/// killed when the value goes away.
public final class BosunProcess: Sendable {
    public let framing: WireFraming
    /// A directory of this process's own: its default working directory, with its XDG state
    /// and config directories inside.
    public let scratch: URL
    /// Removed after `deinit` has killed the process.
    private let scratchDirectory = TemporaryDirectory(prefix: "bosun-e2e")
    private let process: Process
    private let stdinFD: Int32
    private let mailbox = MessageMailbox()
    private let stderrText = Shared("")
    private let exitStatus = Shared<(code: Int32?, waiters: [CheckedContinuation<Int32, Never>])>((nil, []))
    private let nextID = Shared<Int64>(1)
    /// Anything on stdout that was not a framed JSON message.
    private let outputProblems = Shared<[String]>([])
    private let batchAnswers = Shared<[JSONValue]>([])

    /// The binary under test: `$BOSUN_BIN`, else `bosun` next to the test bundle.
    public static func binaryURL() throws -> URL {
        if let path = ProcessInfo.processInfo.environment["BOSUN_BIN"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("bosun")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        throw LaunchError("the bosun binary was not found next to the test bundle; build it (swift build) or set BOSUN_BIN")
    }

    /// Starts `bosun` with `arguments` (default `serve`); `environment` is added to this
    /// process's own.
    ///
    /// Each process gets a scratch directory of its own (`scratch`), removed when the value
    /// goes away: it is the working directory (so the workspace root) unless one is given,
    /// and `XDG_STATE_HOME`, `XDG_CONFIG_HOME` and `CLAUDE_CONFIG_DIR` point into it unless
    /// `environment` sets them, so no test reads the user's config or Claude Code agents, or
    /// writes to their trace store.
    public static func launch(
        _ arguments: [String] = ["serve"], environment: [String: String] = [:], framing: WireFraming = .lsp,
        workingDirectory: URL? = nil
    ) throws -> BosunProcess {
        try BosunProcess(arguments: arguments, environment: environment, framing: framing, workingDirectory: workingDirectory)
    }

    private init(arguments: [String], environment: [String: String], framing: WireFraming, workingDirectory: URL?) throws {
        signal(SIGPIPE, SIG_IGN)
        self.framing = framing
        scratch = URL(fileURLWithPath: scratchDirectory.path)
        let workspace = scratch.appendingPathComponent("workspace")
        try FileManager.default.createDirectory(at: workspace, withIntermediateDirectories: true)
        let isolated = [
            "XDG_STATE_HOME": scratch.appendingPathComponent("state").path,
            "XDG_CONFIG_HOME": scratch.appendingPathComponent("config").path,
            "CLAUDE_CONFIG_DIR": scratch.appendingPathComponent("claude").path,
        ]
        let process = Process()
        process.executableURL = try Self.binaryURL()
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment
            .merging(isolated) { _, new in new }
            .merging(environment) { _, new in new }
        process.currentDirectoryURL = workingDirectory ?? workspace
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        self.process = process
        self.stdinFD = stdin.fileHandleForWriting.fileDescriptor
        let exitStatus = self.exitStatus
        process.terminationHandler = { finished in
            let code = finished.terminationReason == .uncaughtSignal ? 128 + finished.terminationStatus : finished.terminationStatus
            let waiters = exitStatus.withLock { state in
                state.code = code
                defer { state.waiters = [] }
                return state.waiters
            }
            waiters.forEach { $0.resume(returning: code) }
        }
        try process.run()
        Self.readAll(stdout.fileHandleForReading.fileDescriptor, name: "bosun.test.stdout") { [mailbox, outputProblems, batchAnswers] in
            var splitter = ClientFrameSplitter(framing: framing)
            return { chunk in
                guard let chunk else { return mailbox.close() }
                do {
                    for text in try splitter.feed(chunk) {
                        guard let message = try? JSONValue.parse(text) else {
                            outputProblems.withLock { $0.append("not JSON: \(String(decoding: text, as: UTF8.self))") }
                            continue
                        }
                        if case .array(let members) = message {
                            // A batch answer: kept whole, and its members filed by id.
                            batchAnswers.withLock { $0.append(message) }
                            members.forEach(mailbox.deliver)
                        } else {
                            mailbox.deliver(message)
                        }
                    }
                } catch {
                    outputProblems.withLock { $0.append(String(describing: error)) }
                }
            }
        }
        Self.readAll(stderr.fileHandleForReading.fileDescriptor, name: "bosun.test.stderr") { [stderrText] in
            { chunk in
                if let chunk { stderrText.withLock { $0 += String(decoding: chunk, as: UTF8.self) } }
            }
        }
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    /// Reads `fd` to its end on a thread of its own, handing each chunk (then nil) to a sink.
    private static func readAll(_ fd: Int32, name: String, makeSink: @escaping @Sendable () -> (Data?) -> Void) {
        let thread = Thread {
            let sink = makeSink()
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let count = read(fd, &chunk, chunk.count)
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { break }
                sink(Data(chunk[0..<count]))
            }
            sink(nil)
        }
        thread.name = name
        thread.start()
    }

    // MARK: - Sending

    /// Writes bytes exactly as given (for garbage, split frames, batches).
    public func sendRaw(_ bytes: Data) {
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = write(stdinFD, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 && errno == EINTR { continue }
                if written <= 0 { return }
                offset += written
            }
        }
    }

    public func sendRaw(_ text: String) { sendRaw(Data(text.utf8)) }

    /// Frames one JSON value in this connection's framing and sends it.
    public func send(_ message: JSONValue) { sendRaw(framing.frame(message.jsonData())) }

    /// Sends a request without waiting; returns its id (a fresh integer unless given).
    @discardableResult
    public func sendRequest(_ method: String, _ params: JSONValue? = nil, id: JSONValue? = nil) -> JSONValue {
        let id = id ?? .int(nextID.withLock { value in defer { value += 1 }; return value })
        var message: [String: JSONValue] = ["jsonrpc": "2.0", "id": id, "method": .string(method)]
        if let params { message["params"] = params }
        send(.object(message))
        return id
    }

    public func notify(_ method: String, _ params: JSONValue? = nil) {
        var message: [String: JSONValue] = ["jsonrpc": "2.0", "method": .string(method)]
        if let params { message["params"] = params }
        send(.object(message))
    }

    /// Closes the server's stdin.
    public func closeInput() { close(stdinFD) }

    // MARK: - Receiving

    /// The whole response message with this id.
    public func response(id: JSONValue, timeout: Duration = .seconds(10), sourceLocation: SourceLocation = #_sourceLocation) async throws -> JSONValue {
        guard let message = await mailbox.response(id: id, timeout: timeout) else {
            throw failure("no response with id \(id.jsonString()) within \(timeout)", sourceLocation)
        }
        return message
    }

    /// Sends a request and returns its whole response message.
    public func request(_ method: String, _ params: JSONValue? = nil, timeout: Duration = .seconds(10), sourceLocation: SourceLocation = #_sourceLocation) async throws -> JSONValue {
        try await response(id: sendRequest(method, params), timeout: timeout, sourceLocation: sourceLocation)
    }

    /// Sends a request and returns its `result`; an error response throws `ResponseError`.
    public func call(_ method: String, _ params: JSONValue? = nil, timeout: Duration = .seconds(10), sourceLocation: SourceLocation = #_sourceLocation) async throws -> JSONValue {
        let message = try await request(method, params, timeout: timeout, sourceLocation: sourceLocation)
        if let error = message["error"] { throw ResponseError(error) }
        return message["result"] ?? .null
    }

    /// The next notification (of `method`, when given) not yet taken.
    public func notification(_ method: String? = nil, timeout: Duration = .seconds(10), sourceLocation: SourceLocation = #_sourceLocation) async throws -> JSONValue {
        guard let message = await mailbox.notification(method: method, timeout: timeout) else {
            throw failure("no \(method ?? "") notification within \(timeout)", sourceLocation)
        }
        return message
    }

    /// Notifications received and not yet taken.
    public var pendingNotifications: [JSONValue] { mailbox.pendingNotifications }

    /// Every batch answer (a JSON array) received so far; its members are also filed by id.
    public var batches: [JSONValue] { batchAnswers.withLock { $0 } }

    /// Everything the server wrote to stderr so far.
    public var stderr: String { stderrText.withLock { $0 } }

    /// Waits until the server has logged `text` on stderr (polled: a log line has no event).
    /// A test that reads stderr after the exit waits too: a thread of its own reads the pipe,
    /// and may not have read the last lines when the exit is seen.
    public func waitForStderr(_ text: String, timeout: Duration = .seconds(30), sourceLocation: SourceLocation = #_sourceLocation) async throws {
        guard try await waitUntil(timeout: timeout, pace: .milliseconds(20), { stderr.contains(text) }) else {
            Issue.record("bosun never logged \"\(text)\"; stderr: \(stderr.suffix(2000))", sourceLocation: sourceLocation)
            return
        }
    }

    /// Anything on stdout that was not a well-framed JSON message (must stay empty).
    public var stdoutProblems: [String] { outputProblems.withLock { $0 } }

    // MARK: - Lifecycle

    /// `initialize` (with these initializationOptions) then `initialized`; returns the result.
    @discardableResult
    public func initialize(options: JSONValue? = nil, params: [String: JSONValue] = [:], sourceLocation: SourceLocation = #_sourceLocation) async throws -> JSONValue {
        var all: [String: JSONValue] = ["processId": .int(Int64(getpid())), "clientInfo": ["name": "bosun-e2e"], "capabilities": [:]]
        if let options { all["initializationOptions"] = options }
        all.merge(params) { _, new in new }
        let result = try await call("initialize", .object(all), sourceLocation: sourceLocation)
        notify("initialized", [:])
        return result
    }

    /// `shutdown`, `exit`, and the exit code.
    public func shutdownAndExit(timeout: Duration = .seconds(10), sourceLocation: SourceLocation = #_sourceLocation) async throws -> Int32 {
        _ = try await call("shutdown", sourceLocation: sourceLocation)
        notify("exit")
        return try await waitForExit(timeout: timeout, sourceLocation: sourceLocation)
    }

    public func waitForExit(timeout: Duration = .seconds(10), sourceLocation: SourceLocation = #_sourceLocation) async throws -> Int32 {
        let code: Int32? = await withTaskGroup(of: Int32?.self) { group in
            group.addTask {
                await withCheckedContinuation { continuation in
                    let known: Int32? = self.exitStatus.withLock { state in
                        if let code = state.code { return code }
                        state.waiters.append(continuation)
                        return nil
                    }
                    if let known { continuation.resume(returning: known) }
                }
            }
            group.addTask {
                try? await Task.sleep(for: timeout) // the deadline, not a wait: the exit comes first
                return nil
            }
            let first = await group.next() ?? nil
            if first == nil { kill(self.process.processIdentifier, SIGKILL) }  // unblocks the waiter
            group.cancelAll()
            return first
        }
        guard let code else { throw failure("bosun did not exit within \(timeout)", sourceLocation) }
        return code
    }

    public func sendSignal(_ number: Int32) { kill(process.processIdentifier, number) }

    public var processIdentifier: Int32 { process.processIdentifier }

    private func failure(_ message: String, _ sourceLocation: SourceLocation) -> TimeoutError {
        let text = "\(message)\n--- bosun stderr ---\n\(stderr.suffix(4000))"
        Issue.record(Comment(rawValue: text), sourceLocation: sourceLocation)
        return TimeoutError(message: message)
    }
}

/// An error response, thrown by `BosunProcess.call`.
public struct ResponseError: Error, CustomStringConvertible {
    public let code: Int64
    public let message: String
    public let data: JSONValue?

    init(_ error: JSONValue) {
        code = error["code"]?.intValue ?? 0
        message = error["message"]?.stringValue ?? ""
        data = error["data"]
    }

    public var description: String { "\(code): \(message)" }
}

public struct TimeoutError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

public struct LaunchError: Error, CustomStringConvertible {
    public let message: String
    init(_ message: String) { self.message = message }
    public var description: String { message }
}
