import Foundation
import TraceStore

// A test-only program that writes to a trace store through the public API, so tests can
// kill it mid-write, run two at once against one file, or populate a store for the CLI.
//
//   TraceStoreHarness crash-writer DB            endless workers; prints "committed ID EVENTS" after each commitTerminal
//   TraceStoreHarness concurrent-writer DB NAME WORKERS EVENTS LOCKFILE
//                                                 writes workers and takes a shared claim WORKERS times
//   TraceStoreHarness populate DB [SECRET_ENV] [--keep-wal]
//                                                 a demo session with varied workers; prints its id
//   TraceStoreHarness bench DB                   the store benchmark (bench/store_bench.py runs it)

let arguments = CommandLine.arguments
guard arguments.count >= 3 else {
    FileHandle.standardError.write(Data("usage: TraceStoreHarness crash-writer|concurrent-writer|populate DB …\n".utf8))
    exit(2)
}

func say(_ line: String) {
    // Unbuffered, so a parent that SIGKILLs us has seen every line we claimed.
    let data = Data((line + "\n").utf8)
    data.withUnsafeBytes { _ = write(1, $0.baseAddress, $0.count) }
}

func worker(_ id: String, session: String, state: String, task: String, started: Date, ended: Date? = nil,
            steps: Int = 0, parent: String? = nil, result: String? = nil, error: String? = nil) -> WorkerRecord {
    WorkerRecord(id: id, sessionId: session, parentId: parent, role: "worker", model: "fast", state: state, task: task,
                 briefJSON: #"{"task":"\#(task)"}"#, createdAt: started, startedAt: started, endedAt: ended, steps: steps,
                 inputTokens: steps * 100, outputTokens: steps * 20, costUSD: Double(steps) * 0.001,
                 resultJSON: result, errorJSON: error)
}

func event(_ session: String, _ worker: String, _ seq: Int, _ kind: String, _ data: String = "{}") -> EventRecord {
    EventRecord(sessionId: session, workerId: worker, seq: seq, kind: kind, at: Date(), dataJSON: data)
}

/// Endless: each worker gets a random number of events (most appended without waiting),
/// then its terminal state through commitTerminal, which is announced only after it returns.
func crashWriter(db: String) async throws {
    let store = try TraceStore(path: db)
    let session = try await store.openSession(id: "s_crash", workspaceRoot: "/tmp", maxConcurrentWorkers: 5).session.id
    let pid = ProcessInfo.processInfo.processIdentifier
    var round = 0
    while true {
        round += 1
        let id = "w_\(pid)_\(round)"
        try await store.insertWorker(worker(id, session: session, state: "running", task: "crash round \(round)", started: Date()))
        let count = Int.random(in: 1...400)
        for seq in 1...count {
            store.submit(.event(event(session, id, seq, "text", #"{"n":\#(seq),"pad":"\#(String(repeating: "x", count: 64))"}"#)))
            if seq % 97 == 0 { try await Task.sleep(for: .microseconds(Int.random(in: 0...2_000))) } // jitter, so kills land at varied points
        }
        var finished = worker(id, session: session, state: "succeeded", task: "crash round \(round)", started: Date(),
                              ended: Date(), steps: count, result: #"{"text":"round \#(round)"}"#)
        finished.steps = count
        try await store.commitTerminal(finished, event: event(session, id, count + 1, "succeeded"))
        say("committed \(id) \(count + 1)")
    }
}

/// Writes `workers` workers with `events` events each, and between them takes the claim on
/// "shared" and writes enter/exit lines to `lockFile` while holding it, so the parent can
/// check no two processes were ever inside at once.
func concurrentWriter(db: String, name: String, workers: Int, events: Int, lockFile: String) async throws {
    let store = try TraceStore(path: db)
    let session = try await store.openSession(id: "s_shared", workspaceRoot: "/tmp", maxConcurrentWorkers: 5).session.id
    for index in 1...workers {
        let id = "w_\(name)_\(index)"
        try await store.insertWorker(worker(id, session: session, state: "running", task: "\(name) \(index)", started: Date()))
        for seq in 1...events { store.submit(.event(event(session, id, seq, "text"))) }
        try await store.commitTerminal(worker(id, session: session, state: "succeeded", task: "\(name) \(index)",
                                              started: Date(), ended: Date(), steps: events),
                                       event: event(session, id, events + 1, "succeeded"))
        while true {
            if case .granted = try await store.claim(path: "shared", holder: name, sessionId: session, lease: 30) { break }
            try await Task.sleep(for: .milliseconds(1)) // paces the retries; the wait is for the claim
        }
        let handle = FileHandle(forWritingAtPath: lockFile)!
        handle.seekToEndOfFile()
        handle.write(Data("enter \(name)\n".utf8))
        try await Task.sleep(for: .milliseconds(2)) // holds the claim a while, so an overlap would show in the lock file
        handle.seekToEndOfFile()
        handle.write(Data("exit \(name)\n".utf8))
        try handle.close()
        try await store.releaseClaims(holder: name)
    }
    await store.close()
    say("done \(name)")
}

/// A small but varied session: a parent with children, every terminal state, a running
/// worker, events and messages. With SECRET_ENV, that variable's value is the key to redact
/// and is sprinkled through everything written, in the forms the server writes it: raw in
/// text, JSON-escaped inside JSON, escaped twice in JSON held in a JSON string, and trimmed
/// where it was sent. With `--keep-wal` the process exits without closing the store, so
/// the write-ahead log stays on disk.
func populate(db: String, secretEnv: String?, keepWAL: Bool) async throws {
    let secret = secretEnv.flatMap { ProcessInfo.processInfo.environment[$0] }
    let store = try TraceStore(path: db, redactor: Redactor(secrets: [secret].compactMap { $0 }))
    let session = try await store.openSession(id: nil, workspaceRoot: "/work/demo", maxConcurrentWorkers: 3).session.id
    let raw = secret ?? "no-secret"
    let sent = raw.trimmingCharacters(in: .whitespacesAndNewlines)
    let key = try jsonStringContent(raw)
    let keyInJSONInJSON = try jsonStringContent(#"{"apiKey":"\#(key)"}"#)
    let start = Date().addingTimeInterval(-120)
    let states = ["succeeded", "failed", "timed_out", "cancelled", "interrupted", "succeeded", "running", "queued"]
    for (index, state) in states.enumerated() {
        let id = "w_demo\(index)"
        let began = start.addingTimeInterval(Double(index) * 9)
        let ended = ["running", "queued"].contains(state) ? nil : began.addingTimeInterval(20 + Double(index * 5))
        var record = worker(id, session: session, state: state, task: "Summarise part \(index) of the design <b>&</b>",
                            started: began, ended: ended, steps: index + 1, parent: index > 0 && index < 3 ? "w_demo0" : nil,
                            result: state == "succeeded" ? #"{"text":"done with key \#(key)"}"# : nil,
                            error: state == "failed" ? #"{"code":"provider_error","message":"401 for key \#(key)"}"# : nil)
        record.briefJSON = #"{"task":"part \#(index)","headers":{"Authorization":"Bearer \#(key)","x-api-key":"\#(key)"}}"#
        // Later workers waited in the queue before they started.
        record.createdAt = began.addingTimeInterval(-Double(max(index - 2, 0)) * 3)
        if state == "queued" { record.startedAt = nil }
        try await store.insertWorker(record)
        // Started, then model call, tool call, tool result, over and over.
        let kinds = ["model_call", "tool_call", "tool_result"]
        for seq in 1...(index + 2) {
            let kind = seq == 1 ? "started" : kinds[(seq - 2) % 3]
            let call = kind == "tool_result" ? seq - 1 : seq
            store.submit(.event(EventRecord(sessionId: session, workerId: id, seq: seq, kind: kind,
                                     at: began.addingTimeInterval(Double(seq) * 2),
                                     dataJSON: #"{"step":\#(seq),"id":"call_\#(call)","name":"read_file","note":"Authorization: Bearer \#(key)","sent":"\#(sent)","input":"\#(keyInJSONInJSON)"}"#)))
            if secret != nil {
                store.submit(.event(EventRecord(sessionId: session, workerId: id, seq: 100 + seq, kind: "text",
                                         at: began.addingTimeInterval(Double(seq) * 2), dataJSON: "raw \(raw) in text")))
            }
        }
        try await store.appendMessages([
            MessageRecord(workerId: id, index: 0, role: "user", contentJSON: #"[{"type":"text","text":"use \#(key)"}]"#, origin: "brief"),
            MessageRecord(workerId: id, index: 1, role: "assistant", contentJSON: #"[{"type":"text","text":"ok"}]"#, origin: "model"),
        ])
        if let ended {
            try await store.commitTerminal(record, event: EventRecord(sessionId: session, workerId: id, seq: index + 3,
                                                                      kind: state, at: ended, dataJSON: "{}"))
        }
    }
    if keepWAL {
        say(session)
        exit(0)
    }
    await store.close()
    say(session)
}

/// `text` as it stands between the quotes of a JSON string.
func jsonStringContent(_ text: String) throws -> String {
    String(decoding: try JSONEncoder().encode(text).dropFirst().dropLast(), as: UTF8.self)
}

do {
    switch arguments[1] {
    case "crash-writer":
        try await crashWriter(db: arguments[2])
    case "concurrent-writer" where arguments.count == 7:
        try await concurrentWriter(db: arguments[2], name: arguments[3], workers: Int(arguments[4]) ?? 1,
                                   events: Int(arguments[5]) ?? 1, lockFile: arguments[6])
    case "bench":
        try await Benchmark.run(db: arguments[2])
    case "populate":
        let options = arguments.dropFirst(3)
        try await populate(db: arguments[2], secretEnv: options.first { !$0.hasPrefix("--") },
                           keepWAL: options.contains("--keep-wal"))
    default:
        FileHandle.standardError.write(Data("unknown command or arguments: \(arguments.dropFirst().joined(separator: " "))\n".utf8))
        exit(2)
    }
} catch {
    FileHandle.standardError.write(Data("TraceStoreHarness: \(error)\n".utf8))
    exit(1)
}
