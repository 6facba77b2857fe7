import Foundation
import Testing
import TestSupport
@testable import Workspace
#if canImport(Glibc)
import Glibc
#endif

@Suite(.serialized) struct ProcessRunnerTests {
    /// Whether `pid` is gone (or a zombie nobody has reaped yet, which runs nothing).
    static func isDead(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
        return stat.split(separator: ")").last?.trimmingCharacters(in: .whitespaces).hasPrefix("Z") ?? true
    }

    /// Whether `pid` dies within 10 s. A SIGKILL sent to a process group is delivered to each
    /// member on its own, so a grandchild can still be running for a moment after the child
    /// the runner waited for has gone. The sleep paces checks of the process's state.
    static func dies(_ pid: Int32) async throws -> Bool {
        for _ in 0..<200 {
            if isDead(pid) { return true }
            try await Task.sleep(for: .milliseconds(50)) // paces the checks; the wait is for the death
        }
        return isDead(pid)
    }

    /// Starts `sh` with a background grandchild, and returns the grandchild's pid once the file names it.
    static func grandchildPid(_ file: String) async throws -> Int32 {
        var pid: Int32?
        try await waitUntil(timeout: .seconds(10), pace: .milliseconds(20)) {
            pid = (try? String(contentsOfFile: file, encoding: .utf8)).flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            return pid != nil
        }
        guard let pid else { throw WorkspaceError("the grandchild never started") }
        return pid
    }

    /// A descriptor this process holds without close-on-exec (a file being written, as
    /// Foundation's `write(toFile:)` holds one) is not inherited: a child that held it would
    /// make running that file fail with "Text file busy" for as long as the child lived.
    @Test func aChildInheritsOnlyItsStandardDescriptors() async throws {
        let path = "/tmp/bosun-fd-\(UUID().uuidString)"
        let leaked = open(path, O_WRONLY | O_CREAT, 0o600)
        #expect(leaked > 2)
        defer { close(leaked); unlink(path) }
        let outcome = try await ProcessRunner.run(["sh", "-c", "ls /proc/$$/fd"], cwd: nil,
                                                  environment: ["PATH": "/usr/bin:/bin"], timeout: 30, outputCap: 1000)
        let descriptors = String(decoding: outcome.output, as: UTF8.self).split(separator: "\n").compactMap { Int32($0) }
        #expect(outcome.exitCode == 0 && descriptors.sorted() == [0, 1, 2], "\(descriptors), ours was \(leaked)")
    }

    @Test func aTimeoutKillsTheWholeProcessTree() async throws {
        let pidFile = "/tmp/bosun-tree-\(UUID().uuidString)"
        defer { unlink(pidFile) }
        let started = Date()
        let outcome = try await ProcessRunner.run(["sh", "-c", "sleep 300 & echo $! > \(pidFile); wait"], cwd: nil,
                                                  environment: ["PATH": "/usr/bin:/bin"], timeout: 1, outputCap: 1000)
        #expect(outcome.timedOut && outcome.signal == SIGKILL)
        #expect(Date().timeIntervalSince(started) < 30)
        let grandchild = try await Self.grandchildPid(pidFile)
        #expect(try await Self.dies(grandchild), "the background sleep outlived the timeout")
    }

    @Test func cancellingTheTaskKillsTheWholeProcessTree() async throws {
        let pidFile = "/tmp/bosun-tree-\(UUID().uuidString)"
        defer { unlink(pidFile) }
        let task = Task {
            try await ProcessRunner.run(["sh", "-c", "sleep 300 & echo $! > \(pidFile); wait"], cwd: nil,
                                        environment: ["PATH": "/usr/bin:/bin"], timeout: 300, outputCap: 1000)
        }
        let grandchild = try await Self.grandchildPid(pidFile)
        #expect(!Self.isDead(grandchild))
        task.cancel()
        let outcome = try await task.value
        #expect(outcome.signal == SIGKILL && !outcome.timedOut)
        #expect(try await Self.dies(grandchild), "the background sleep outlived the cancellation")
    }

    @Test func aProcessThatEscapesTheGroupCannotHoldTheCommandOpen() async throws {
        let started = Date()
        let outcome = try await ProcessRunner.run(["sh", "-c", "setsid sleep 20 & echo $!; sleep 1"], cwd: nil,
                                                  environment: ["PATH": "/usr/bin:/bin"], timeout: 60, outputCap: 1000)
        let escaped = Int32(String(decoding: outcome.output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        if let escaped { kill(escaped, SIGKILL) }
        #expect(outcome.exitCode == 0 && outcome.outputAbandoned && escaped != nil)
        #expect(Date().timeIntervalSince(started) < 15, "the runner waited for the escaped process")
    }
}
