import Foundation
import Testing
import TestSupport
@testable import TraceStore

/// `bosun trace …` run as a real process against a store populated by another process.
@Suite struct CommandLineTests {
    let dir = TemporaryDirectory(prefix: "bosun-store-tests")
    var bosun: String { BuiltProducts.directory.appendingPathComponent("bosun").path }

    func populate() throws -> (db: String, session: String) {
        let db = dir.file("trace.sqlite")
        let result = try runProcess(BuiltProducts.harness, ["populate", db])
        #expect(result.status == 0, "\(result.stderr)")
        return (db, result.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    @Test func listsShowsAndExports() throws {
        let (db, session) = try populate()
        let list = try runProcess(bosun, ["trace", "sessions", "--db", db])
        #expect(list.status == 0 && list.stdout.hasPrefix(session) && list.stdout.contains("8 workers"))
        let tree = try runProcess(bosun, ["trace", "show", session, "--db", db])
        #expect(tree.status == 0 && tree.stdout.contains("└─ w_demo7  queued"))
        let worker = try runProcess(bosun, ["trace", "show", "w_demo1", "--db", db])
        #expect(worker.status == 0 && worker.stdout.contains("events (4):") && worker.stdout.contains("#4"))
        let jsonl = try runProcess(bosun, ["trace", "export", session, "--format", "jsonl", "--db", db])
        #expect(jsonl.status == 0 && jsonl.stdout.split(separator: "\n").count == 1 + 8 + 50)
        let page = dir.file("page.html")
        let html = try runProcess(bosun, ["trace", "html", session, "-o", page, "--db", db])
        #expect(html.status == 0)
        #expect(try String(contentsOfFile: page, encoding: .utf8).contains("class=\"bar state-timed_out\""))
    }

    /// Exports and pages hold what the store holds, so they are as private as the store,
    /// also when they replace a file that was readable by others.
    @Test func exportsAndPagesAreWrittenForTheOwnerOnly() throws {
        let (db, session) = try populate()
        let existing = dir.file("existing.jsonl")
        #expect(FileManager.default.createFile(atPath: existing, contents: Data("old".utf8), attributes: [.posixPermissions: 0o644]))
        let outputs = [
            (["trace", "export", session, "--format", "jsonl", "-o", existing, "--db", db], existing),
            (["trace", "export", session, "--format", "otlp-json", "-o", dir.file("spans.json"), "--db", db], dir.file("spans.json")),
            (["trace", "html", session, "-o", dir.file("page.html"), "--db", db], dir.file("page.html")),
        ]
        for (arguments, file) in outputs {
            let result = try runProcess(bosun, arguments)
            #expect(result.status == 0, "\(result.stderr)")
            let attributes = try FileManager.default.attributesOfItem(atPath: file)
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600, "\(file)")
            #expect((attributes[.size] as? NSNumber)?.intValue ?? 0 > 3, "\(file)")
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".tmp") }
        #expect(leftovers.isEmpty)
    }

    /// Without --db, `bosun trace` reads the store `bosun serve` would use: the config's
    /// store.path; a broken config is reported instead of guessed around.
    @Test func findsTheStoreThroughTheConfig() throws {
        let (db, session) = try populate()
        let config = dir.file("bosun.yaml")
        try "store: { path: \"\(db)\" }\n".write(toFile: config, atomically: true, encoding: .utf8)
        var environment = ProcessInfo.processInfo.environment
        environment["XDG_CONFIG_HOME"] = dir.file("xdg-config")
        environment["XDG_STATE_HOME"] = dir.file("xdg-state")
        let viaFlag = try runProcess(bosun, ["trace", "sessions", "--config", config], environment: environment)
        #expect(viaFlag.status == 0 && viaFlag.stdout.hasPrefix(session), "\(viaFlag.stderr)")
        environment["BOSUN_CONFIG"] = config
        let viaEnvironment = try runProcess(bosun, ["trace", "sessions"], environment: environment)
        #expect(viaEnvironment.status == 0 && viaEnvironment.stdout.hasPrefix(session), "\(viaEnvironment.stderr)")
        try "store: { path: 7 }\nbogus: 1\n".write(toFile: config, atomically: true, encoding: .utf8)
        let broken = try runProcess(bosun, ["trace", "sessions"], environment: environment)
        #expect(broken.status == 1 && broken.stderr.contains("bosun.yaml:") && broken.stderr.contains("--db"), "\(broken.stderr)")
    }

    @Test func mistakesGetAMessageAndExitStatusOne() throws {
        let (db, _) = try populate()
        let cases: [([String], String)] = [
            (["trace", "show", "s_nope", "--db", db], "no session 's_nope' in the trace store \(db). If its session is in another store"),
            (["trace", "show", "x_nope", "--db", db], "no session, worker, orchestration or ask 'x_nope' in the trace store \(db)"),
            (["trace", "export", "s_nope", "--db", db], "no session 's_nope' in the trace store \(db)"),
            (["answer", "a_nope", "allow", "--db", db], "no ask 'a_nope' in the trace store \(db)"),
            (["trace", "sessions", "--db", dir.file("missing.sqlite")], "no trace store at"),
            (["trace", "sessions", "--db", dir.path], "is a directory"),
        ]
        for (arguments, message) in cases {
            let result = try runProcess(bosun, arguments)
            #expect(result.status == 1, "\(arguments)")
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
        // Command-line mistakes are usage errors: the usage, and exit status 64.
        let usage = try runProcess(bosun, ["trace", "prune", "--older-than", "soon", "--db", db])
        #expect(usage.status == 64 && usage.stderr.contains("--older-than"), "\(usage.stderr)")
        try Data(repeating: 7, count: 4_096).write(to: URL(fileURLWithPath: dir.file("junk.sqlite")))
        let junk = try runProcess(bosun, ["trace", "sessions", "--db", dir.file("junk.sqlite")])
        #expect(junk.status == 1 && junk.stderr.contains("not a readable bosun database"))
    }

    @Test func sessionsAndShowAnswerInJSON() throws {
        let (db, session) = try populate()
        let list = try runProcess(bosun, ["trace", "sessions", "--json", "--db", db])
        let sessions = try #require((try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [String: Any])?["sessions"] as? [[String: Any]])
        #expect(sessions.first?["id"] as? String == session && sessions.first?["workers"] as? Int == 8)
        let tree = try runProcess(bosun, ["trace", "show", session, "--json", "--db", db])
        let document = try #require(try JSONSerialization.jsonObject(with: Data(tree.stdout.utf8)) as? [String: Any])
        let workers = try #require(document["workers"] as? [[String: Any]])
        #expect(workers.count == 8 && (document["session"] as? [String: Any])?["id"] as? String == session)
        // The populated running worker started about 66 s ago, its last step 16 s later: its
        // elapsed time counts to now, not to that step.
        let running = try #require(workers.first { $0["state"] as? String == "running" })
        #expect((running["elapsedSeconds"] as? Double ?? 0) >= 60, "\(running)")
        let worker = try runProcess(bosun, ["trace", "show", "w_demo1", "--json", "--db", db])
        let detail = try #require(try JSONSerialization.jsonObject(with: Data(worker.stdout.utf8)) as? [String: Any])
        #expect((detail["events"] as? [Any])?.count == 4 && (detail["worker"] as? [String: Any])?["id"] as? String == "w_demo1")
    }

    /// With no `bosun serve` owning the session, a cancel is withdrawn, not left to fire later.
    @Test func cancelWithoutAnOwnerIsWithdrawn() async throws {
        let (db, session) = try populate()
        let tree = try runProcess(bosun, ["trace", "show", session, "--json", "--db", db])
        let workers = try #require((try JSONSerialization.jsonObject(with: Data(tree.stdout.utf8)) as? [String: Any])?["workers"] as? [[String: Any]])
        let running = try #require(workers.first { $0["state"] as? String == "running" }?["id"] as? String)
        let ended = try #require(workers.first { $0["state"] as? String == "succeeded" }?["id"] as? String)
        let orphan = try runProcess(bosun, ["cancel", running, "--wait", "0.3", "--db", db])
        #expect(orphan.status == 1 && orphan.stderr.contains("no running bosun serve answered"), "\(orphan.stderr)")
        let store = try TraceStore.openExisting(path: db)
        #expect(try await store.pendingControls(sessionId: session).isEmpty)
        await store.close()
        let done = try runProcess(bosun, ["cancel", ended, "--db", db])
        #expect(done.status == 1 && done.stderr.contains("already ended"), "\(done.stderr)")
        let unknown = try runProcess(bosun, ["cancel", "w_nope", "--db", db])
        #expect(unknown.status == 1 && unknown.stderr.contains("no worker 'w_nope' in the trace store \(db)"), "\(unknown.stderr)")
    }

    /// `top` with stdout not a terminal prints the table once, without escapes.
    @Test func topPrintsPlainTextWhenNotATerminal() throws {
        let (db, session) = try populate()
        let run = try runProcess(bosun, ["top", "--db", db], environment: ProcessInfo.processInfo.environment)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("session \(session)") && run.stdout.contains("WORKER") && !run.stdout.contains("\u{1b}"))
        // Every one of the 8 workers has its row (the queue line names one of them too).
        #expect(run.stdout.split(separator: "\n").filter { $0.contains(" w_demo") && !$0.hasPrefix("queue:") }.count == 8,
                "\(run.stdout)")
        #expect(run.stdout.contains("queue: 1. w_demo7"))
    }

    /// A pruned worker's layer goes with it; a kept worker's layer stays.
    @Test func pruneRemovesThePrunedWorkersLayers() async throws {
        let (db, _) = try populate()
        let layers = (db as NSString).deletingLastPathComponent + "/layers"
        for id in ["w_demo1", "w_gone"] {
            try FileManager.default.createDirectory(atPath: layers + "/" + id + "/upper", withIntermediateDirectories: true)
            try Data("{}".utf8).write(to: URL(fileURLWithPath: layers + "/" + id + "/layer.json"))
        }
        _ = try runProcess(bosun, ["trace", "prune", "--older-than", "30d", "--db", db])
        #expect(FileManager.default.fileExists(atPath: layers + "/w_demo1/layer.json"))
        #expect(!FileManager.default.fileExists(atPath: layers + "/w_gone"), "a layer without a worker was kept")
        // The session must be older than prune's smallest age, a second.
        try await TraceStore.age(path: db, by: 60)
        _ = try runProcess(bosun, ["trace", "prune", "--older-than", "1s", "--db", db])
        #expect(!FileManager.default.fileExists(atPath: layers + "/w_demo1"), "a pruned worker's layer was kept")
    }

    @Test func pruneDropsOnlyOldSessions() async throws {
        let (db, _) = try populate()
        let keep = try runProcess(bosun, ["trace", "prune", "--older-than", "30d", "--db", db])
        #expect(keep.status == 0 && keep.stdout == "pruned 0 sessions\n")
        // As above: the session must be older than a second before `--older-than 1s` takes it.
        try await TraceStore.age(path: db, by: 60)
        let drop = try runProcess(bosun, ["trace", "prune", "--older-than", "1s", "--db", db])
        #expect(drop.status == 0 && drop.stdout == "pruned 1 session\n")
        #expect(try runProcess(bosun, ["trace", "sessions", "--db", db]).stdout == "no sessions in \(db) (--db names another store)\n")
        let top = try runProcess(bosun, ["top", "--db", db])
        #expect(top.status == 0 && top.stdout.contains("no sessions in \(db) yet (--db names another store)"), "\(top.stdout)")
    }
}
