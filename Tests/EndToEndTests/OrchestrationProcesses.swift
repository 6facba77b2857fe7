import BosunJSON
import Foundation
import Synchronization

/// The built `bosun` binary, next to the test bundle (or `$BOSUN_BINARY`).
enum BosunBinary {
    static var path: String {
        if let explicit = ProcessInfo.processInfo.environment["BOSUN_BINARY"] { return explicit }
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [bundle, bundle.deletingLastPathComponent()] {
            let binary = candidate.appendingPathComponent("bosun").path
            if FileManager.default.isExecutableFile(atPath: binary) { return binary }
        }
        return bundle.appendingPathComponent("bosun").path
    }
}

/// `bosun mock-provider` in a child process, on a free loopback port.
final class MockProviderProcess: Sendable {
    let port: Int
    private let process: Process

    init(arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: BosunBinary.path)
        process.arguments = ["mock-provider", "--port", "0"] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line = Data()
        while true {
            let byte = output.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty || byte == Data("\n".utf8) { break }
            line.append(byte)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespaces)) else {
            process.terminate()
            throw ProcessFailure("the mock provider printed \(String(decoding: line, as: UTF8.self)) instead of its port")
        }
        self.port = port
        self.process = process
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }
}

struct ProcessFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

struct RPCFailure: Error, CustomStringConvertible {
    var code: Int
    var message: String
    var data: JSONValue?
    var description: String { "\(code): \(message)" }
}

/// `bosun serve` over real pipes, speaking newline-delimited JSON-RPC. Responses are matched
/// to requests by id; notifications are kept in arrival order.
final class ServeProcess: @unchecked Sendable {
    // @unchecked: `process` and the pipes are set once in init; all mutable state is in `state`.
    private struct State {
        var nextId = 1
        var pending: [Int: CheckedContinuation<JSONValue, any Error>] = [:]
        var notifications: [JSONValue] = []
        var closed = false
    }

    /// Shared with the reader thread.
    private final class Shared: Sendable {
        let state = Mutex(State())
    }

    let process: Process
    private let input: FileHandle
    private let shared = Shared()
    private let reader: Thread

    init(arguments: [String], directory: String) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: BosunBinary.path)
        process.arguments = ["serve"] + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let stdin = Pipe()
        let stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        input = stdin.fileHandleForWriting
        let output = stdout.fileHandleForReading
        let shared = self.shared
        reader = Thread {
            var buffer = Data()
            while true {
                let chunk = output.availableData
                if chunk.isEmpty { break }
                buffer.append(chunk)
                while let newline = buffer.firstIndex(of: 0x0A) {
                    let line = buffer[buffer.startIndex..<newline]
                    buffer = Data(buffer[buffer.index(after: newline)...])
                    guard let message = try? JSONValue.parse(Data(line)) else { continue }
                    Self.dispatch(message, shared: shared)
                }
            }
            let waiting = shared.state.withLock { state in
                state.closed = true
                defer { state.pending = [:] }
                return Array(state.pending.values)
            }
            for continuation in waiting { continuation.resume(throwing: ProcessFailure("bosun serve closed its output")) }
        }
        try process.run()
        reader.start()
    }

    private static func dispatch(_ message: JSONValue, shared: Shared) {
        if let id = message["id"]?.intValue, message["method"] == nil {
            let continuation = shared.state.withLock { $0.pending.removeValue(forKey: Int(id)) }
            if let error = message["error"] {
                continuation?.resume(throwing: RPCFailure(code: Int(error["code"]?.intValue ?? 0),
                                                          message: error["message"]?.stringValue ?? "", data: error["data"]))
            } else {
                continuation?.resume(returning: message["result"] ?? .null)
            }
        } else {
            shared.state.withLock { $0.notifications.append(message) }
        }
    }

    func request(_ method: String, _ params: JSONValue = [:]) async throws -> JSONValue {
        try await withCheckedThrowingContinuation { continuation in
            let id: Int? = shared.state.withLock { state in
                guard !state.closed else { return nil }
                let id = state.nextId
                state.nextId += 1
                state.pending[id] = continuation
                return id
            }
            guard let id else {
                continuation.resume(throwing: ProcessFailure("bosun serve has exited"))
                return
            }
            send(["jsonrpc": "2.0", "id": .int(Int64(id)), "method": .string(method), "params": params])
        }
    }

    func notify(_ method: String, _ params: JSONValue = [:]) {
        send(["jsonrpc": "2.0", "method": .string(method), "params": params])
    }

    private func send(_ message: JSONValue) {
        var data = message.jsonData()
        data.append(0x0A)
        try? input.write(contentsOf: data)
    }

    var notifications: [JSONValue] { shared.state.withLock { $0.notifications } }

    func workerEvents(kind: String? = nil) -> [JSONValue] {
        notifications.filter { $0["method"] == "worker/event" }.compactMap { $0["params"] }
            .filter { kind == nil || $0["kind"]?.stringValue == kind }
    }

    func initialize(root: String, options: JSONValue = [:]) async throws -> JSONValue {
        let result = try await request("initialize", ["processId": .null, "rootUri": .string("file://\(root)"),
                                                      "capabilities": [:], "initializationOptions": options])
        notify("initialized")
        return result
    }

    /// shutdown, exit, and the exit code.
    func stop() async throws -> Int32 {
        _ = try await request("shutdown")
        notify("exit")
        try? input.close()
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// kill -9: no chance to write anything more.
    func kill() {
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
