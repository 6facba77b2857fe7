import BosunJSON
import Config
import Foundation
import Testing
import TestSupport
@testable import Workers
import Workspace
#if canImport(Glibc)
import Glibc
#endif

/// Symlink-swap races: a process swaps a workspace entry between a directory and a symlink to
/// `../outside` as fast as it can while the tools work through it. Resolving a path and then
/// opening it by name let 42 of 4,000 reads, 35 of 1,400 writes and 351 of 2,000 searches out
/// (issue 13); opening beneath the workspace's descriptor lets none out.
/// `BOSUN_RACE_ATTEMPTS` sets the attempts per file tool (2,000 here) and `BOSUN_RACE_SEARCH_ATTEMPTS`
/// those of search (200 here); `make stress` runs 10,000 of each.
@Suite(.serialized) struct SymlinkRaceTests {
    static let attempts = ProcessInfo.processInfo.environment["BOSUN_RACE_ATTEMPTS"].flatMap(Int.init) ?? 2_000
    /// Each search starts a sandboxed ripgrep (tens of milliseconds): fewer of them in `make test`.
    static let searchAttempts = ProcessInfo.processInfo.environment["BOSUN_RACE_SEARCH_ATTEMPTS"].flatMap(Int.init) ?? 200

    /// The workspace with `d/` (a directory) and `d_alt` (a symlink to the outside), the
    /// outside directory with a secret, and the swapper exchanging `d` and `d_alt` with
    /// renameat2(RENAME_EXCHANGE) until it is killed.
    final class Race {
        let workspace: TestWorkspace
        let outside: String
        let swapper: Process

        init() throws {
            workspace = try TestWorkspace()
            outside = workspace.root + "-outside"
            try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
            try "OUTSIDE-SECRET\n".write(toFile: outside + "/secret.txt", atomically: true, encoding: .utf8)
            try workspace.write("d/secret.txt", "inside\n")
            try workspace.symlink("d_alt", to: "../\((outside as NSString).lastPathComponent)")
            let script = """
                import ctypes, os, sys
                libc = ctypes.CDLL(None, use_errno=True)
                a, b = (os.fsencode(p) for p in sys.argv[1:3])
                while True:
                    libc.renameat2(-100, a, -100, b, 2)
                """
            swapper = Process()
            swapper.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
            swapper.arguments = ["-c", script, workspace.root + "/d", workspace.root + "/d_alt"]
            try swapper.run()
        }

        /// Whether a plain open by path has seen the outside through `d` (the race is live).
        func waitUntilSwapping() async throws -> Bool {
            try await waitUntil(timeout: .seconds(10), pace: .milliseconds(1)) {
                (try? String(contentsOfFile: workspace.root + "/d/secret.txt", encoding: .utf8))?.contains("OUTSIDE") == true
            }
        }

        func stop() {
            kill(swapper.processIdentifier, SIGKILL)
            swapper.waitUntilExit()
            workspace.remove()
            try? FileManager.default.removeItem(atPath: outside)
        }
    }

    @Test func readFileNeverReadsOutsideDuringASwap() async throws {
        let race = try Race()
        defer { race.stop() }
        #expect(try await race.waitUntilSwapping(), "control: a read by path must see the outside while the swapper runs")
        let tool = ReadFileTool(policy: ToolPolicy())
        var escapes = 0, served = 0
        for _ in 0..<Self.attempts {
            let output = await call(tool, ["path": "d/secret.txt"], race.workspace.context())
            if output.text.contains("OUTSIDE") { escapes += 1 }
            if output.text.hasPrefix("inside") { served += 1 }
        }
        #expect(escapes == 0, "\(escapes) of \(Self.attempts) reads got out")
        #expect(served > 0, "the reads inside the workspace must still work while the swap goes on")
    }

    @Test func writeFileNeverWritesOutsideDuringASwap() async throws {
        let race = try Race()
        defer { race.stop() }
        #expect(try await race.waitUntilSwapping(), "control: a read by path must see the outside while the swapper runs")
        let tool = WriteFileTool(policy: ToolPolicy(), claims: InMemoryClaims())
        let context = race.workspace.context(permissions: ToolPermissions(write: true))
        var written = 0
        for attempt in 0..<Self.attempts {
            let output = await call(tool, ["path": .string("d/w\(attempt).txt"), "content": "x"], context)
            if !output.isError { written += 1 }
        }
        let outsideNow = try FileManager.default.contentsOfDirectory(atPath: race.outside)
        #expect(outsideNow == ["secret.txt"], "\(outsideNow.count - 1) of \(Self.attempts) writes got out")
        #expect(written > 0, "writes inside the workspace must still work while the swap goes on")
    }

    @Test func searchNeverFindsOutsideDuringASwap() async throws {
        let race = try Race()
        defer { race.stop() }
        #expect(try await race.waitUntilSwapping(), "control: a read by path must see the outside while the swapper runs")
        let tool = SearchTool(policy: ToolPolicy())
        var escapes = 0, found = 0
        for attempt in 0..<Self.searchAttempts {
            let input: JSONValue = attempt % 2 == 0 ? ["pattern": "SECRET|inside"] : ["pattern": "SECRET|inside", "path": "d"]
            let output = await call(tool, input, race.workspace.context())
            if output.text.contains("SECRET") { escapes += 1 }
            if output.text.contains(":1: inside") { found += 1 }
        }
        #expect(escapes == 0, "\(escapes) of \(Self.searchAttempts) searches got out")
        #expect(found > 0, "searches inside the workspace must still find the file while the swap goes on")
    }
}
