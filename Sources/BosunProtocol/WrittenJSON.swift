import BosunJSON
import Foundation

// The answers that carry workers (`status`, `await`, `spawn`, `orchestrate`) written as JSON
// text by hand, with each ended worker's `result` or `error` spliced from the text the session
// wrote when it ended (`Worker.writtenOutcome`) rather than encoded again. The bytes are what
// `JSONEncoder` with `.sortedKeys` and `.withoutEscapingSlashes` writes of the typed value
// (members that carry no worker, such as an orchestration's plan, are encoded as they were
// and written with their keys sorted): each type's members are its `CodingKeys`, which
// `Codable` uses too, and each writer switches over every case, so a member added to the
// type cannot be left out of its JSON (`WrittenJSONTests` compares the two forms byte for
// byte). The wire's own `JSONEncoder` (`EncodedJSON.encoder`) sorts no
// keys: it writes an object's members in an order that changes from one process to the
// next, so these answers carry the values they carried before, in one order every time.

/// `result` or `error` as the session wrote it when the worker ended (`Worker.writtenOutcome`):
/// the same value as the typed member in another form, so it is never encoded and takes no
/// part in comparing or hashing workers.
public struct WrittenOutcome: Sendable, Hashable {
    /// Compact JSON text, what `JSONValueWriter` writes of the typed outcome; nil when the
    /// worker has not ended or nobody wrote it.
    public let json: String?

    public init(_ json: String? = nil) { self.json = json }

    public static func == (_: WrittenOutcome, _: WrittenOutcome) -> Bool { true }
    public func hash(into hasher: inout Hasher) {}
}

extension StatusResult {
    /// The answer as the wire carries it (see the top of this file).
    public func writtenJSON() throws -> EncodedJSON {
        switch self {
        case .worker(let worker):
            return try worker.writtenJSON()
        case .session(let status):
            return try EncodedJSON(writing: self, capacity: 256 + 384 * status.workers.count) {
                status.write(into: &$0, depth: 0)
            }
        }
    }
}

extension EncodedJSON {
    /// An operation's result as every front end writes it: as it came when the operation
    /// wrote it (`status`, `await`), written here when it carries workers (`spawn`,
    /// `orchestrate`), encoded otherwise.
    public init<Result: Encodable>(answering result: Result) throws {
        switch result {
        case let written as EncodedJSON: self = written
        case let worker as Worker: self = try worker.writtenJSON()
        case let orchestration as OrchestrateResult: self = try orchestration.writtenJSON()
        default: try self.init(encoding: result)
        }
    }
}

extension AwaitResult {
    /// The answer as the wire carries it (see the top of this file).
    public func writtenJSON() throws -> EncodedJSON {
        try EncodedJSON(writing: self, capacity: 64 + 512 * finished.count + 16 * pending.count) { writer in
            writer.writeRaw("{")
            var more = false
            for (key, name) in Self.members.names {
                switch key {
                case .finished:
                    writer.writeMember(name, after: &more)
                    guard writer.writeArray(finished, { $1.write(into: &$0, depth: 2) }) else { return false }
                case .pending:
                    writer.writeMember(name, after: &more)
                    writer.writeStrings(pending)
                }
            }
            writer.writeRaw("}")
            return true
        }
    }

    private static let members = WrittenMembers<CodingKeys>()
}

extension Worker {
    /// The worker as the wire carries it, alone (`spawn`'s answer, MCP's tool results and
    /// tasks; see the top of this file).
    public func writtenJSON() throws -> EncodedJSON {
        try EncodedJSON(writing: self, capacity: 512) { write(into: &$0, depth: 0) }
    }

    /// Writes the worker as a JSON object `depth` containers deep; false where `JSONEncoder`
    /// would refuse it (a number that is not finite).
    func write(into writer: inout JSONValueWriter, depth: Int) -> Bool {
        writer.writeRaw("{")
        var more = false
        for (key, name) in Self.members.names {
            switch key {
            case .id:
                writer.writeMember(name, after: &more)
                writer.writeString(id)
            case .role:
                writer.writeMember(name, after: &more)
                writer.writeString(role)
            case .model:
                writer.writeMember(name, after: &more)
                writer.writeString(model)
            case .state:
                writer.writeMember(name, after: &more)
                writer.writeString(state.rawValue)
            case .task:
                writer.writeMember(name, after: &more)
                writer.writeString(task)
            case .createdAt:
                writer.writeMember(name, after: &more)
                writer.writeString(createdAt)
            case .startedAt:
                guard let startedAt else { continue }
                writer.writeMember(name, after: &more)
                writer.writeString(startedAt)
            case .endedAt:
                guard let endedAt else { continue }
                writer.writeMember(name, after: &more)
                writer.writeString(endedAt)
            case .steps:
                writer.writeMember(name, after: &more)
                writer.writeInt(steps)
            case .usage:
                writer.writeMember(name, after: &more)
                guard usage.write(into: &writer) else { return false }
            case .queuePosition:
                guard let queuePosition else { continue }
                writer.writeMember(name, after: &more)
                writer.writeInt(queuePosition)
            case .after:
                guard let after else { continue }
                writer.writeMember(name, after: &more)
                writer.writeStrings(after)
            case .priority:
                guard let priority else { continue }
                writer.writeMember(name, after: &more)
                writer.writeInt(priority)
            case .parent:
                guard let parent else { continue }
                writer.writeMember(name, after: &more)
                writer.writeString(parent)
            case .verification:
                writer.writeMember(name, after: &more)
                writer.writeString(verification.rawValue)
            case .result:
                guard let result else { continue }
                writer.writeMember(name, after: &more)
                guard writer.writeOutcome(writtenOutcome, else: result.json, depth: depth + 1) else { return false }
            case .changes:
                guard let changes else { continue }
                writer.writeMember(name, after: &more)
                changes.write(into: &writer)
            case .asks:
                guard let asks else { continue }
                writer.writeMember(name, after: &more)
                guard writer.writeArray(asks, { $0.write($1.json, depth: depth + 2) }) else { return false }
            case .waitedMs:
                guard let waitedMs else { continue }
                writer.writeMember(name, after: &more)
                writer.writeInt(waitedMs)
            case .error:
                guard let error else { continue }
                writer.writeMember(name, after: &more)
                guard writer.writeOutcome(writtenOutcome, else: error.json, depth: depth + 1) else { return false }
            }
        }
        writer.writeRaw("}")
        return true
    }

    private static let members = WrittenMembers<CodingKeys>()
}

extension OrchestrateResult {
    /// The answer as the wire carries it (see the top of this file): its workers written as
    /// `status` writes them; the members that carry no worker encoded as they were.
    public func writtenJSON() throws -> EncodedJSON {
        try EncodedJSON(writing: self, capacity: 1024 + 512 * workers.count) { writer in
            writer.writeRaw("{")
            var more = false
            for (key, name) in Self.members.names {
                switch key {
                case .id:
                    writer.writeMember(name, after: &more)
                    writer.writeString(id)
                case .state:
                    writer.writeMember(name, after: &more)
                    writer.writeString(state.rawValue)
                case .goal:
                    writer.writeMember(name, after: &more)
                    writer.writeString(goal)
                case .plan:
                    guard let plan else { continue }
                    writer.writeMember(name, after: &more)
                    guard writer.writeEncoded(plan, depth: 1) else { return false }
                case .workers:
                    writer.writeMember(name, after: &more)
                    guard writer.writeArray(workers, { $1.write(into: &$0, depth: 2) }) else { return false }
                case .verification:
                    writer.writeMember(name, after: &more)
                    guard writer.writeEncoded(verification, depth: 1) else { return false }
                case .synthesis:
                    guard let synthesis else { continue }
                    writer.writeMember(name, after: &more)
                    guard writer.writeEncoded(synthesis, depth: 1) else { return false }
                case .decisions:
                    writer.writeMember(name, after: &more)
                    guard writer.writeEncoded(decisions, depth: 1) else { return false }
                case .reason:
                    guard let reason else { continue }
                    writer.writeMember(name, after: &more)
                    writer.writeString(reason)
                case .usage:
                    writer.writeMember(name, after: &more)
                    guard usage.write(into: &writer) else { return false }
                case .verified:
                    writer.writeMember(name, after: &more)
                    guard writer.writeEncoded(verified, depth: 1) else { return false }
                case .changes:
                    guard let changes else { continue }
                    writer.writeMember(name, after: &more)
                    guard writer.writeEncoded(changes, depth: 1) else { return false }
                }
            }
            writer.writeRaw("}")
            return true
        }
    }

    private static let members = WrittenMembers<CodingKeys>()
}

extension WorkerUsage {
    func write(into writer: inout JSONValueWriter) -> Bool {
        writer.writeRaw("{")
        var more = false
        for (key, name) in Self.members.names {
            writer.writeMember(name, after: &more)
            switch key {
            case .inputTokens: writer.writeInt(inputTokens)
            case .outputTokens: writer.writeInt(outputTokens)
            case .cacheReadTokens: writer.writeInt(cacheReadTokens)
            case .cacheWriteTokens: writer.writeInt(cacheWriteTokens)
            case .costUSD: guard writer.write(.double(costUSD)) else { return false }
            }
        }
        writer.writeRaw("}")
        return true
    }

    private static let members = WrittenMembers<CodingKeys>()
}

extension Worker.Changes {
    func write(into writer: inout JSONValueWriter) {
        writer.writeRaw("{")
        var more = false
        for (key, name) in Self.members.names {
            switch key {
            case .state:
                writer.writeMember(name, after: &more)
                writer.writeString(state.rawValue)
            case .files:
                writer.writeMember(name, after: &more)
                writer.writeStrings(files)
            case .ignoredCount:
                guard let ignoredCount else { continue }
                writer.writeMember(name, after: &more)
                writer.writeInt(ignoredCount)
            }
        }
        writer.writeRaw("}")
    }

    private static let members = WrittenMembers<CodingKeys>()
}

extension SessionStatus {
    func write(into writer: inout JSONValueWriter, depth: Int) -> Bool {
        writer.writeRaw("{")
        var more = false
        for (key, name) in Self.members.names {
            switch key {
            case .session:
                writer.writeMember(name, after: &more)
                guard session.write(into: &writer, depth: depth + 1) else { return false }
            case .usage:
                writer.writeMember(name, after: &more)
                guard usage.write(into: &writer) else { return false }
            case .workers:
                writer.writeMember(name, after: &more)
                guard writer.writeArray(workers, { $1.write(into: &$0, depth: depth + 2) }) else { return false }
            case .orchestrations:
                guard let orchestrations else { continue }
                writer.writeMember(name, after: &more)
                guard writer.writeArray(orchestrations, { $1.write(into: &$0, depth: depth + 2) }) else { return false }
            }
        }
        writer.writeRaw("}")
        return true
    }

    private static let members = WrittenMembers<CodingKeys>()
}

extension SessionStatus.Summary {
    func write(into writer: inout JSONValueWriter, depth: Int) -> Bool {
        writer.writeRaw("{")
        var more = false
        for (key, name) in Self.members.names {
            switch key {
            case .id:
                writer.writeMember(name, after: &more)
                writer.writeString(id)
            case .maxConcurrentWorkers:
                writer.writeMember(name, after: &more)
                writer.writeInt(maxConcurrentWorkers)
            case .counts:
                writer.writeMember(name, after: &more)
                guard writer.write(.object(counts.mapValues { .int(Int64($0)) }), depth: depth + 1) else { return false }
            case .maxCostUSD:
                guard let maxCostUSD else { continue }
                writer.writeMember(name, after: &more)
                guard writer.write(.double(maxCostUSD)) else { return false }
            }
        }
        writer.writeRaw("}")
        return true
    }

    private static let members = WrittenMembers<CodingKeys>()
}

extension OrchestrationSummary {
    func write(into writer: inout JSONValueWriter, depth: Int) -> Bool {
        writer.writeRaw("{")
        var more = false
        for (key, name) in Self.members.names {
            switch key {
            case .id:
                writer.writeMember(name, after: &more)
                writer.writeString(id)
            case .goal:
                writer.writeMember(name, after: &more)
                writer.writeString(goal)
            case .state:
                writer.writeMember(name, after: &more)
                writer.writeString(state.rawValue)
            case .subtasks:
                writer.writeMember(name, after: &more)
                guard writer.write(.object(subtasks.mapValues { .int(Int64($0)) }), depth: depth + 1) else { return false }
            case .decisions:
                writer.writeMember(name, after: &more)
                writer.writeInt(decisions)
            case .createdAt:
                writer.writeMember(name, after: &more)
                writer.writeString(createdAt)
            case .endedAt:
                guard let endedAt else { continue }
                writer.writeMember(name, after: &more)
                writer.writeString(endedAt)
            case .answeredBy:
                guard let answeredBy else { continue }
                writer.writeMember(name, after: &more)
                writer.writeString(answeredBy)
            }
        }
        writer.writeRaw("}")
        return true
    }

    private static let members = WrittenMembers<CodingKeys>()
}

/// A hand-written type's members in the order `JSONEncoder` with `.sortedKeys` writes them (by
/// their names' UTF-8 bytes, as `JSONValueWriter` sorts keys), each name written once with
/// its colon.
struct WrittenMembers<Key: CodingKey & CaseIterable & Sendable>: Sendable {
    let names: [(key: Key, name: [UInt8])]

    init() {
        names = Key.allCases
            .sorted { $0.stringValue.utf8.lexicographicallyPrecedes($1.stringValue.utf8) }
            .map { key in
                var writer = JSONValueWriter(capacity: key.stringValue.utf8.count + 3)
                writer.writeString(key.stringValue)
                writer.writeRaw(":")
                return (key, writer.bytes)
            }
    }
}

extension JSONValueWriter {
    /// Starts an object's member: a comma unless it is the first, then its name.
    fileprivate mutating func writeMember(_ name: [UInt8], after more: inout Bool) {
        if more { writeRaw(",") }
        more = true
        writeRaw(name)
    }

    fileprivate mutating func writeStrings(_ strings: [String]) {
        writeRaw("[")
        for (position, string) in strings.enumerated() {
            if position > 0 { writeRaw(",") }
            writeString(string)
        }
        writeRaw("]")
    }

    /// An array, each element written by `write`.
    fileprivate mutating func writeArray<Element>(_ elements: [Element],
                                                 _ write: (inout JSONValueWriter, Element) -> Bool) -> Bool {
        writeRaw("[")
        for (position, element) in elements.enumerated() {
            if position > 0 { writeRaw(",") }
            guard write(&self, element) else { return false }
        }
        writeRaw("]")
        return true
    }

    /// A member that carries no worker, encoded as a `JSONValue` and written with its keys
    /// sorted; false where encoding it fails (the whole answer is then encoded, and fails the same way).
    fileprivate mutating func writeEncoded<Value: Encodable>(_ value: Value, depth: Int) -> Bool {
        guard let json = try? JSONValue(encoding: value) else { return false }
        return write(json, depth: depth)
    }

    /// The outcome's text as the session wrote it, or the typed value written now when
    /// nobody wrote it.
    fileprivate mutating func writeOutcome(_ outcome: WrittenOutcome, else typed: @autoclosure () -> JSONValue,
                                           depth: Int) -> Bool {
        guard let json = outcome.json else { return write(typed(), depth: depth) }
        writeRaw(contentsOf: json)
        return true
    }
}

extension EncodedJSON {
    /// What `write` writes, or where it gives up (a value `JSONEncoder` refuses), what
    /// encoding `value` gives: the same error.
    fileprivate init<Value: Encodable>(writing value: Value, capacity: Int,
                                       _ write: (inout JSONValueWriter) -> Bool) throws {
        var writer = JSONValueWriter(capacity: capacity)
        if write(&writer) {
            self.init(writtenJSON: Data(writer.bytes))
        } else {
            try self.init(encoding: value)
        }
    }
}
