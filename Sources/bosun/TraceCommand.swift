import ArgumentParser
import Config
import Foundation
import TraceStore
import Workspace

/// `bosun trace …`: read, export and prune the trace store.
struct TraceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trace",
        abstract: "Inspect, export and prune the trace store of sessions, workers and events.",
        subcommands: [Sessions.self, Show.self, Export.self, HTML.self, Prune.self]
    )
}

/// `--db PATH` and `--config PATH`, shared by every `trace` subcommand.
struct StoreOptions: ParsableArguments {
    @Option(name: .customLong("db"), help: ArgumentHelp(
        "The trace store file (default: the config's store.path, else $XDG_STATE_HOME/bosun/bosun.sqlite, else ~/.local/state/bosun/bosun.sqlite).",
        valueName: "PATH"))
    var db: String?

    @Option(name: .customLong("config"), help: ArgumentHelp(
        "The configuration whose store.path to read when --db is not given (default: as bosun serve finds it).",
        valueName: "PATH"))
    var config: String?

    /// The store `bosun serve` would use from this directory: `--db`, then the config's
    /// `store.path`, then the default location.
    func path() throws -> String {
        if let db { return db }
        let environment = ProcessInfo.processInfo.environment
        do {
            let loaded = try ConfigLoader.load(explicitPath: config, workspaceRoot: FileManager.default.currentDirectoryPath,
                                               environment: environment)
            return loaded.store.path ?? TraceStore.defaultPath(environment: environment)
        } catch {
            FileHandle.standardError.write(Data("bosun: cannot read the configuration to find the trace store: \(error)\nFix it, or pass --db PATH.\n".utf8))
            throw ExitCode.failure
        }
    }

    /// Opens the existing store, runs `body`, closes it; store errors become a clear
    /// message on stderr and exit status 1.
    func withStore(_ body: (TraceStore) async throws -> Void) async throws {
        let path = try path()
        do {
            let store = try TraceStore.openExisting(path: path)
            do {
                try await body(store)
            } catch {
                await store.close()
                throw error
            }
            await store.close()
        } catch TraceStoreError.unknownId(let id), TraceStoreError.missingSession(let id) {
            FileHandle.standardError.write(Data("bosun: \(Self.notFound(id, in: path))\n".utf8))
            throw ExitCode.failure
        } catch let error as TraceStoreError {
            FileHandle.standardError.write(Data("bosun: \(error.description)\n".utf8))
            throw ExitCode.failure
        }
    }

    /// An id the store does not have, named by its kind, with the store it looked in: the
    /// usual cause is that the session is in another store (a `--db` of `bosun serve`, a
    /// config's `store.path`, the demo's).
    static func notFound(_ id: String, in path: String) -> String {
        let kinds = ["s_": "session", "w_": "worker", "o_": "orchestration", "a_": "ask"]
        let kind = kinds.first { id.hasPrefix($0.key) }?.value ?? "session, worker, orchestration or ask"
        return "no \(kind) '\(id)' in the trace store \(path). If its session is in another store (the --db or store.path "
            + "of the bosun serve that ran it), pass that file with --db; `bosun trace sessions --db PATH` lists a store's sessions."
    }
}

/// Writes `text` to `path`, or to stdout when `path` is nil or `-`.
func emit(_ text: String, to path: String?) throws {
    guard let path, path != "-" else {
        FileHandle.standardOutput.write(Data(text.utf8))
        return
    }
    if let problem = writePrivately(Data(text.utf8), to: path) {
        FileHandle.standardError.write(Data("bosun: cannot write '\(path)': \(problem). Check that its directory exists and is writable.\n".utf8))
        throw ExitCode.failure
    }
}

/// Writes `data` to `path` as a file only its owner can read (0600), as the store itself is:
/// an export holds the same prompts, outputs and tool results. The bytes go to a new file
/// beside it, created 0600, which then replaces `path` in one step. Nil, or what failed.
func writePrivately(_ data: Data, to path: String) -> String? {
    let temporary = "\(path).\(getpid()).tmp"
    let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
    guard fd >= 0 else { return String(cString: strerror(errno)) }
    let failure = WholeFile.write(data, to: fd).map { String(cString: strerror($0)) }
    close(fd)
    if let failure {
        unlink(temporary)
        return failure
    }
    guard rename(temporary, path) == 0 else {
        let problem = String(cString: strerror(errno))
        unlink(temporary)
        return problem
    }
    return nil
}

extension TraceCommand {
    struct Sessions: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "sessions", abstract: "List sessions, most recently opened first.")
        @OptionGroup var store: StoreOptions
        @Flag(help: "Print one JSON document instead of text.") var json = false

        func run() async throws {
            let path = try store.path()
            try await store.withStore { store in
                let summaries = try await store.sessionSummaries()
                if summaries.isEmpty && !json {
                    // Which store is empty: the sessions looked for may be in another one.
                    return try emit("no sessions in \(path) (--db names another store)\n", to: nil)
                }
                try emit(json ? TraceJSONRenderer.sessionList(summaries) : TraceTreeRenderer.sessionList(summaries), to: nil)
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show", abstract: "Show a session as a tree of workers, or one worker or orchestration with its events.")
        @OptionGroup var store: StoreOptions
        @Argument(help: ArgumentHelp("A session id (s_…), a worker id (w_…) or an orchestration id (o_…).",
                                     valueName: "SESSION|WORKER|ORCHESTRATION"))
        var id: String
        @Flag(help: "Print one JSON document instead of text.") var json = false

        func run() async throws {
            try await store.withStore { store in
                if try await store.session(id: id) != nil {
                    let trace = try await store.sessionTrace(id: id)
                    try emit(json ? TraceJSONRenderer.sessionTree(trace) : TraceTreeRenderer.sessionTree(trace), to: nil)
                } else if let worker = try await store.worker(id: id) {
                    let events = try await store.events(sessionId: worker.sessionId, workerId: worker.id, afterSeq: nil, limit: 0)
                    try emit(json ? TraceJSONRenderer.workerDetail(worker, events: events)
                                  : TraceTreeRenderer.workerDetail(worker, events: events), to: nil)
                } else if let orchestration = try await store.orchestration(id: id) {
                    let trace = try await store.sessionTrace(id: orchestration.sessionId)
                    let events = try await store.events(sessionId: orchestration.sessionId, workerId: id, afterSeq: nil, limit: 0)
                    try emit(json ? TraceJSONRenderer.orchestrationDetail(orchestration, in: trace, events: events)
                                  : TraceTreeRenderer.orchestrationDetail(orchestration, in: trace, events: events), to: nil)
                } else {
                    throw TraceStoreError.unknownId(id: id)
                }
            }
        }
    }

    enum ExportFormat: String, ExpressibleByArgument, CaseIterable {
        case jsonl
        case otlpJSON = "otlp-json"
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export", abstract: "Export a session as JSON lines, or as OTLP/JSON spans for an OpenTelemetry collector.")
        @OptionGroup var store: StoreOptions
        @Argument(help: ArgumentHelp("The session id.", valueName: "SESSION")) var session: String
        @Option(help: ArgumentHelp("jsonl (session, workers, events, one JSON object per line) or otlp-json.", valueName: "FORMAT"))
        var format: ExportFormat = .jsonl
        @Option(name: .shortAndLong, help: ArgumentHelp("Write to FILE instead of stdout.", valueName: "FILE"))
        var output: String?

        func run() async throws {
            try await store.withStore { store in
                let trace = try await store.sessionTrace(id: session)
                switch format {
                case .jsonl: try emit(JSONLExporter.export(trace), to: output)
                case .otlpJSON: try emit(OTLPExporter.export(trace), to: output)
                }
            }
        }
    }

    struct HTML: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "html", abstract: "Write a self-contained HTML timeline of a session (with --watch, kept current while it runs).")
        @OptionGroup var store: StoreOptions
        @Argument(help: ArgumentHelp("The session id.", valueName: "SESSION")) var session: String
        @Option(name: .shortAndLong, help: ArgumentHelp("Write the page to FILE (`-` for stdout).", valueName: "FILE"))
        var output: String
        @Flag(help: "Rewrite the page every --interval seconds while the session has workers queued or running (the page reloads itself meanwhile); stop once none is left.")
        var watch = false
        @Option(help: ArgumentHelp("Seconds between rewrites with --watch.", valueName: "SECONDS"))
        var interval: Double = 2

        func validate() throws {
            if watch && output == "-" { throw ValidationError("--watch rewrites a file: give one with -o FILE, not stdout.") }
            if !(interval >= 0.1) { throw ValidationError("--interval must be at least 0.1 seconds, got \(interval).") }
        }

        func run() async throws {
            try await store.withStore { store in
                while true {
                    let trace = try await store.sessionTrace(id: session, withMessages: true)
                    let reload = watch ? max(Int(interval.rounded(.up)), 1) : nil
                    try emit(HTMLTimelineRenderer.render(trace, refreshSeconds: reload), to: output)
                    guard watch, trace.isLive else { return }
                    try await Task.sleep(for: .milliseconds(Int(interval * 1000)))
                }
            }
        }
    }

    struct Prune: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "prune", abstract: "Delete sessions (with their workers, events, messages, claims and layers) not opened for a while.",
            discussion: "A session a running bosun holds is never deleted, however old: prune skips it and says so.")
        @OptionGroup var store: StoreOptions
        @Option(name: .customLong("older-than"), help: ArgumentHelp(
            "Age such as 30d, 12h, 90m, 2w or 45s: sessions last opened before now minus this go.", valueName: "AGE"))
        var olderThan: PruneAge

        func run() async throws {
            try await store.withStore { store in
                let report = try await store.prune(olderThan: Date().addingTimeInterval(-olderThan.seconds))
                // The layers of workers the store no longer has: their changes can never be reviewed.
                let layersRoot = Layer.layersRoot(besideStore: store.path)
                for workerId in Layer.workerIds(layersRoot: layersRoot) {
                    if try await store.worker(id: workerId) == nil { Layer.remove(workerId: workerId, layersRoot: layersRoot) }
                }
                var text = "pruned \(report.removed) session\(report.removed == 1 ? "" : "s")\n"
                if !report.skippedHeld.isEmpty {
                    text += "skipped \(report.skippedHeld.count) held by a running bosun: \(report.skippedHeld.joined(separator: " "))\n"
                }
                try emit(text, to: nil)
            }
        }
    }
}

/// An age on the command line: a whole number and a unit, `s`, `m`, `h`, `d` or `w`.
struct PruneAge: ExpressibleByArgument {
    let seconds: TimeInterval

    init?(argument: String) {
        let units: [Character: TimeInterval] = ["s": 1, "m": 60, "h": 3_600, "d": 86_400, "w": 604_800]
        guard let unit = argument.last, let scale = units[unit], let count = Int(argument.dropLast()), count >= 0 else {
            return nil
        }
        seconds = TimeInterval(count) * scale
    }

    static var defaultCompletionKind: CompletionKind { .default }
}
