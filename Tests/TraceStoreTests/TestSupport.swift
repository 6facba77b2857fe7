import Foundation
@testable import TraceStore

/// Builds test records with sensible defaults.
enum Fixture {
    static let start = Date(timeIntervalSince1970: 1_800_000_000)

    static func worker(_ id: String, session: String, state: String = "running", parent: String? = nil,
                       offset: TimeInterval = 0, duration: TimeInterval? = nil) -> WorkerRecord {
        WorkerRecord(id: id, sessionId: session, parentId: parent, role: "researcher", model: "fast", state: state,
                     task: "Find facts for \(id)", briefJSON: #"{"task":"Find facts for \#(id)"}"#,
                     createdAt: start.addingTimeInterval(offset), startedAt: start.addingTimeInterval(offset),
                     endedAt: duration.map { start.addingTimeInterval(offset + $0) }, steps: 3, inputTokens: 1200,
                     outputTokens: 300, costUSD: 0.0123)
    }

    static func event(_ session: String, _ worker: String, _ seq: Int, kind: String = "text", at offset: TimeInterval = 0,
                      data: String = #"{"text":"hello"}"#) -> EventRecord {
        EventRecord(sessionId: session, workerId: worker, seq: seq, kind: kind, at: start.addingTimeInterval(offset), dataJSON: data)
    }
}

/// The built test helper programs, found beside the test bundle in the build directory.
enum BuiltProducts {
    static var directory: URL {
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        // On Linux the runner is `<build>/debug/<package>PackageTests.xctest`; elsewhere it may sit in a bundle.
        for _ in 0..<4 where !FileManager.default.fileExists(atPath: url.appendingPathComponent("TraceStoreHarness").path) {
            url.deleteLastPathComponent()
        }
        return url
    }

    static var harness: String { directory.appendingPathComponent("TraceStoreHarness").path }
}

extension TraceStore {
    /// Moves every session's last opening `seconds` into the past, as if that much time had
    /// gone by: a prune by age then sees them old without the test waiting on the wall clock.
    func age(by seconds: TimeInterval) async throws {
        try await writer.perform { db throws(TraceStoreError) in
            try db.execute("UPDATE sessions SET last_opened_at = last_opened_at - \(seconds)")
        }
    }

    /// `age(by:)` for the store file at `path`, which another process wrote.
    static func age(path: String, by seconds: TimeInterval) async throws {
        let store = try TraceStore(path: path)
        try await store.age(by: seconds)
        await store.close()
    }
}
