import BosunJSON
import Foundation
import Testing

/// What `bosun serve` keeps out of a process until it is needed (bench/RESULTS-server.md
/// has the memory and start-up figures this buys).
@Suite(.serialized) struct StartupFootprintTests {
    /// libcurl and the thirty-odd libraries it pulls in (OpenSSL, GnuTLS, Kerberos, …) are
    /// loaded at the first model call, not at exec and not when `initialize` opens the session.
    @Test func libcurlIsLoadedAtTheFirstModelCallOnly() async throws {
        let world = try OrchestrationWorld(mockArguments: [])
        defer { world.tearDown() }
        let serve = try world.serve()
        try await serve.initialize(root: world.workspace)
        #expect(try mappedLibraries(of: serve).filter(isNetworkLibrary).isEmpty)

        let worker = try await serve.spawn(["task": "List the files", "wait": true])
        #expect(worker.state == "succeeded", "\(worker)")
        let loaded = try mappedLibraries(of: serve)
        #expect(loaded.contains { $0.hasPrefix("libcurl.so") }, "\(loaded)")
        #expect(try await serve.shutdownAndExit() == 0)
    }

    private func isNetworkLibrary(_ name: String) -> Bool {
        ["libcurl", "libssl", "libcrypto", "libgnutls", "libssh2", "libkrb5"].contains { name.hasPrefix($0) }
    }

    /// The file names of the shared libraries mapped into the process.
    private func mappedLibraries(of process: BosunProcess) throws -> Set<String> {
        // Read to the end: /proc files report a size of 0, and a sized read stops early.
        let file = try #require(FileHandle(forReadingAtPath: "/proc/\(process.processIdentifier)/maps"))
        let maps = String(decoding: file.readDataToEndOfFile(), as: UTF8.self)
        return Set(maps.split(separator: "\n").compactMap { line in
            line.split(separator: " ", omittingEmptySubsequences: true).dropFirst(5).first
                .map { String($0.split(separator: "/").last ?? $0) }
        }.filter { $0.contains(".so") })
    }
}
