import BosunJSON
import Foundation
import Testing
import TestSupport

/// What `bosun serve` keeps out of a process until it is needed (bench/RESULTS-server.md
/// has the memory and start-up figures this buys).
@Suite(.serialized) struct StartupFootprintTests {
    /// libcurl (with the ~30 libraries it needs) is loaded, and the HTTP client's thread,
    /// `curl_global_init` and OpenSSL's set-up start, at the first model call, not at exec nor
    /// when `initialize` opens the session.
    @Test func libcurlAndTheHTTPThreadArriveAtTheFirstModelCallOnly() async throws {
        let world = try OrchestrationWorld(mockArguments: [])
        defer { world.tearDown() }
        let serve = try world.serve()
        try await serve.initialize(root: world.workspace)
        // The trace writer names its thread once the thread runs, which may be just after
        // `initialize` answered on a busy machine: wait for the name (both names must stick).
        var before: Set<String> = []
        try await waitUntil(timeout: .seconds(5), pace: .milliseconds(20)) {
            before = threadNames(of: serve)
            return before.contains("bosun-trace")
        }
        #expect(before.contains("bosun-trace"), "\(before)")
        #expect(!before.contains("bosun-http"))
        #expect(try !mapsLibcurl(serve))

        let worker = try await serve.spawn(["task": "List the files", "wait": true])
        #expect(worker.state == "succeeded", "\(worker)")
        let names = threadNames(of: serve)
        #expect(names.contains("bosun-http"), "\(names)")
        #expect(try mapsLibcurl(serve))
        #expect(try await serve.shutdownAndExit() == 0)
    }

    /// Whether libcurl is mapped into the process (/proc/PID/maps names each mapped file).
    private func mapsLibcurl(_ process: BosunProcess) throws -> Bool {
        // Read to the end, as below: /proc files report a size of 0.
        let file = try #require(FileHandle(forReadingAtPath: "/proc/\(process.processIdentifier)/maps"))
        let maps = String(decoding: file.readDataToEndOfFile(), as: UTF8.self)
        #expect(maps.contains("bosun"), "the maps of the process name its own binary")
        return maps.split(separator: "\n").contains { $0.hasSuffix("/libcurl.so.4") || $0.contains("/libcurl.so.4.") }
    }

    /// The names of the process's threads, from /proc/PID/task/*/comm.
    private func threadNames(of process: BosunProcess) -> Set<String> {
        let tasks = "/proc/\(process.processIdentifier)/task"
        let ids = (try? FileManager.default.contentsOfDirectory(atPath: tasks)) ?? []
        return Set(ids.compactMap { id in
            // Read to the end: /proc files report a size of 0, and a sized read stops early.
            FileHandle(forReadingAtPath: "\(tasks)/\(id)/comm").map {
                String(decoding: $0.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            }
        })
    }
}
