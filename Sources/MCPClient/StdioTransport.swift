import BosunJSON
import Foundation
import Synchronization
import Workspace

/// An MCP server bosun started as a child process: newline-delimited JSON-RPC on its stdin
/// and stdout, its stderr kept as a tail for error messages. Two threads of its own read
/// stdout and stderr (blocking reads, never on the cooperative pool). Anything on stdout
/// that is not a JSON-RPC message ends the connection, as does a message over 64 MiB: the
/// spec allows nothing else there, and guessing past it would hide a broken server.
final class StdioTransport: MCPTransport {
    static let maxMessageBytes = 64 << 20
    static let stderrTailBytes = 2048

    let server: String
    private let child: ProcessRunner.PipedChild
    private let state = Mutex(State())
    private let tail = Mutex(Data())
    private let onNotification: @Sendable (JSONValue) -> Void
    /// Signalled when stderr has closed, so an ending can report all of it.
    private let errorsDone = DispatchSemaphore(value: 0)
    /// Held across each write to stdin, and by `end` to close it: a write never reaches a
    /// descriptor number that was closed and reused.
    private let writing = Mutex(true)

    private struct State {
        var pending: [Int64: CheckedContinuation<JSONValue, Error>] = [:]
        var ended: MCPClientError?
        var closing = false
    }

    init(server: String, command: String, args: [String], env: [String: String], cwd: String?,
         onNotification: @escaping @Sendable (JSONValue) -> Void) throws {
        self.server = server
        self.onNotification = onNotification
        // A server that went away shows up as a write error, never as a signal that ends bosun.
        signal(SIGPIPE, SIG_IGN)
        var environment = ProcessInfo.processInfo.environment
        environment.merge(env) { _, configured in configured }
        do {
            child = try ProcessRunner.spawnPiped([command] + args, cwd: cwd, environment: environment)
        } catch {
            throw MCPClientError(server: server, "cannot start its command: \(error); check that \(command) is installed and on PATH, or give its full path")
        }
        Thread.detachNewThread { [self] in readErrors() }
        Thread.detachNewThread { [self] in readMessages() }
    }

    var isAlive: Bool { state.withLock { $0.ended == nil } }

    var stderrTail: String {
        let data = tail.withLock { $0 }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").suffix(5).joined(separator: "\n")
    }

    func negotiated(protocolVersion: String) {}
    var streamsNotifications: Bool { true }
    var mirrorsHeaders: Bool { false }

    func request(_ message: JSONValue, id: Int64, headers: [(name: String, value: String)]) async throws -> JSONValue {
        let line = message.jsonData() + Data([0x0A])
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let refused = state.withLock { state -> MCPClientError? in
                    if let ended = state.ended { return ended }
                    state.pending[id] = continuation
                    return nil
                }
                if let refused { return continuation.resume(throwing: refused) }
                Task { [self] in
                    do {
                        try await write(line)
                    } catch {
                        // A server that stopped reading is ending or broken: the reader thread
                        // fails this request with the reason (exit status, garbage, stderr).
                        if let ended = state.withLock({ $0.ended }) {
                            resolve(id, with: .failure(ended))
                        } else {
                            kill(-child.pid, SIGTERM)
                        }
                    }
                }
            }
        } onCancel: {
            resolve(id, with: .failure(CancellationError()))
        }
    }

    func notify(_ message: JSONValue) async throws {
        try await write(message.jsonData() + Data([0x0A]))
    }

    /// Ends its process group; the reader thread sees stdout close, reaps it and closes its pipes.
    func close() async {
        let alreadyEnded = state.withLock { state in
            state.closing = true
            return state.ended != nil
        }
        if !alreadyEnded { kill(-child.pid, SIGTERM) }
    }

    private func write(_ data: Data) async throws {
        let server = server
        try await BlockingWork.run { [self] in
            try writing.withLock { open in
                guard open else { throw MCPClientError(server: server, "has ended") }
                if let problem = WholeFile.write(data, to: child.input).map({ String(cString: strerror($0)) }) {
                    throw MCPClientError(server: server, "cannot write to its stdin: \(problem)")
                }
            }
        }
    }

    private func resolve(_ id: Int64, with result: Result<JSONValue, Error>) {
        let continuation = state.withLock { $0.pending.removeValue(forKey: id) }
        continuation?.resume(with: result)
    }

    // MARK: the reader threads

    private func readMessages() {
        var buffer = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 65536)
        var why = "closed its stdout"
        reading: while true {
            let n = read(child.output, &chunk, chunk.count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            var start = buffer.count
            buffer.append(contentsOf: chunk[0..<n])
            var lineStart = 0
            while let newline = buffer[start...].firstIndex(of: 0x0A) {
                let line = buffer[lineStart..<newline]
                lineStart = newline + 1
                start = lineStart
                if let problem = handle(line) {
                    why = problem
                    break reading
                }
            }
            buffer.removeFirst(lineStart)
            if buffer.count > Self.maxMessageBytes {
                why = "wrote a message larger than \(Self.maxMessageBytes >> 20) MiB to stdout"
                break
            }
        }
        end(why)
    }

    /// One line of stdout; returns why the connection must end, or nil.
    private func handle(_ line: ArraySlice<UInt8>) -> String? {
        let trimmed = line.last == 0x0D ? line.dropLast() : line
        if trimmed.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return nil }
        guard let message = try? JSONValue.parse(Data(trimmed)), case .object = message, message["jsonrpc"] == "2.0" else {
            let shown = String(decoding: trimmed.prefix(120), as: UTF8.self)
            return "wrote something that is not a JSON-RPC message to stdout (\"\(shown)\"); an MCP server must write only messages there, and its logs to stderr"
        }
        if message["method"] != nil {
            if message["id"] != nil {
                let answer = answerServerRequest(message)
                Task { try? await self.write(answer.jsonData() + Data([0x0A])) }
            } else {
                onNotification(message)
            }
        } else if let id = message["id"]?.intValue {
            resolve(id, with: .success(message))
        }
        return nil
    }

    private func readErrors() {
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(child.errors, &chunk, chunk.count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            tail.withLock { data in
                data.append(contentsOf: chunk[0..<n])
                if data.count > 2 * Self.stderrTailBytes { data = data.suffix(Self.stderrTailBytes) }
            }
        }
        closeDescriptor(child.errors)
        errorsDone.signal()
    }

    /// The server is gone: fail every waiting request with why, and reap it.
    private func end(_ why: String) {
        kill(-child.pid, SIGTERM)
        let status = reap()
        _ = errorsDone.wait(timeout: .now() + 1)
        let closing = state.withLock { $0.closing }
        let message = closing ? "was stopped" : "\(why) and \(status)"
        let error = MCPClientError(server: server, message, stderrTail: stderrTail)
        let waiting = state.withLock { state -> [CheckedContinuation<JSONValue, Error>] in
            state.ended = error
            defer { state.pending = [:] }
            return Array(state.pending.values)
        }
        closeDescriptor(child.output)
        writing.withLock { open in
            open = false
            closeDescriptor(child.input)
        }
        waiting.forEach { $0.resume(throwing: error) }
    }

    /// Waits for the process, killing its group if it has not gone two seconds after SIGTERM.
    private func reap() -> String {
        var status: Int32 = 0
        for _ in 0..<40 {
            let pid = waitpid(child.pid, &status, WNOHANG)
            if pid == child.pid { return Self.describe(status) }
            if pid < 0 { return "exited" }
            usleep(50_000)
        }
        kill(-child.pid, SIGKILL)
        while waitpid(child.pid, &status, 0) < 0 && errno == EINTR {}
        return Self.describe(status)
    }

    private static func describe(_ status: Int32) -> String {
        let signal = status & 0x7f
        return signal == 0 ? "exited with status \((status >> 8) & 0xff)" : "was ended by signal \(signal)"
    }
}

/// `close(2)`, out of reach of the transports' own `close()`.
func closeDescriptor(_ fd: Int32) {
    _ = close(fd)
}

