import Foundation
import Testing
@testable import TraceStore
import TestSupport

/// Tests that run the store in other processes: killed mid-write, and two at once.
@Suite(.serialized) struct ProcessTests {
    /// A child writing events and terminal states is SIGKILLed at random moments, 50 times.
    /// After each kill the file must pass integrity_check and hold every terminal state the
    /// child acknowledged, with every event appended before it.
    @Test func survivesFiftySigkills() async throws {
        let dir = TemporaryDirectory(prefix: "bosun-store-tests")
        let db = dir.file("crash.sqlite")
        var acknowledged: [String: Int] = [:]
        for round in 1...50 {
            // The child writes its acknowledgements unbuffered to a file, which keeps every
            // line it wrote before the kill.
            let acknowledgements = dir.file("acks-\(round).txt")
            _ = FileManager.default.createFile(atPath: acknowledgements, contents: nil)
            let child = Process()
            child.executableURL = URL(fileURLWithPath: BuiltProducts.harness)
            child.arguments = ["crash-writer", db]
            child.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: acknowledgements))
            child.standardError = FileHandle.nullDevice
            try child.run()
            // Some rounds die while the store is still opening, most while writing.
            try await Task.sleep(for: .milliseconds(round % 10 == 0 ? Int.random(in: 0...30) : Int.random(in: 40...260))) // a fixed wait on purpose: when the kill lands
            kill(child.processIdentifier, SIGKILL)
            child.waitUntilExit()
            let lines = try String(contentsOfFile: acknowledgements, encoding: .utf8).split(separator: "\n")
            #expect(child.terminationReason == .uncaughtSignal, "round \(round): child exited on its own")
            for line in lines {
                let parts = line.split(separator: " ")
                guard parts.count == 3, parts[0] == "committed", let seq = Int(parts[2]) else { continue }
                acknowledged[String(parts[1])] = seq
            }

            let store = try TraceStore(path: db)
            #expect(try await store.integrityCheck() == ["ok"], "round \(round)")
            let workers = Dictionary(uniqueKeysWithValues: try await store.workers(sessionId: "s_crash").map { ($0.id, $0) })
            for (id, lastSeq) in acknowledged {
                #expect(workers[id]?.state == "succeeded", "round \(round): acknowledged \(id) lost")
                let events = try await store.events(sessionId: "s_crash", workerId: id, afterSeq: nil, limit: 0)
                #expect(events.map(\.seq) == Array(1...lastSeq), "round \(round): events of \(id)")
            }
            await store.close()
        }
        #expect(acknowledged.count >= 20, "too few commits happened to prove anything")
    }

    /// Two processes write one file at once, and contend for one claim; nothing is lost and
    /// the claim keeps them out of each other's critical section.
    @Test func twoProcessesShareOneFile() async throws {
        let dir = TemporaryDirectory(prefix: "bosun-store-tests")
        let db = dir.file("shared.sqlite")
        let lockFile = dir.file("critical.log")
        _ = FileManager.default.createFile(atPath: lockFile, contents: nil)
        let (workers, events) = (40, 500)
        let children = try ["alpha", "beta"].map { name in
            let child = Process()
            child.executableURL = URL(fileURLWithPath: BuiltProducts.harness)
            child.arguments = ["concurrent-writer", db, name, String(workers), String(events), lockFile]
            child.standardOutput = FileHandle.nullDevice
            try child.run()
            return child
        }
        for child in children {
            child.waitUntilExit()
            #expect(child.terminationStatus == 0)
        }
        let store = try TraceStore(path: db)
        #expect(try await store.integrityCheck() == ["ok"])
        let stored = try await store.workers(sessionId: "s_shared")
        #expect(stored.count == 2 * workers)
        #expect(stored.allSatisfy { $0.state == "succeeded" })
        #expect(try await store.events(sessionId: "s_shared", workerId: nil, afterSeq: nil, limit: 0).count == 2 * workers * (events + 1))
        for worker in stored {
            #expect(try await store.lastSeq(workerId: worker.id) == events + 1)
        }
        await store.close()
        let log = try String(contentsOfFile: lockFile, encoding: .utf8).split(separator: "\n")
        #expect(log.count == 4 * workers)
        for pair in stride(from: 0, to: log.count - 1, by: 2) {
            #expect(log[pair].hasPrefix("enter ") && log[pair + 1] == "exit " + log[pair].dropFirst(6),
                    "critical sections overlapped at line \(pair): \(log[pair]), \(log[pair + 1])")
        }
    }
}
