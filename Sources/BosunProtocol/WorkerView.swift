import BosunJSON
import Foundation

/// A worker as the protocol shows it (`Worker` in protocol/bosun-1.schema.json). Optional
/// fields are left out of the JSON when absent.
public struct Worker: Codable, Sendable, Hashable {
    public var id: String
    public var role: String
    /// bosun's model alias.
    public var model: String
    public var state: WorkerState
    public var task: String
    public var createdAt: String
    public var startedAt: String?
    public var endedAt: String?
    public var steps: Int
    public var usage: WorkerUsage
    /// 1 for the next worker to start; present only while `queued`.
    public var queuePosition: Int?
    public var after: [String]?
    public var priority: Int?
    /// The worker that spawned this one with `spawn_worker`.
    public var parent: String?
    /// What the last `verify` found: a client tells "succeeded" from "succeeded and verified".
    public var verification: Verification
    public var result: Result?
    /// A writing worker's layer: its review state and the files it touched.
    public var changes: Changes?
    /// Its asks that wait for an answer (while it is `waiting`); absent when there are none.
    public var asks: [Ask]?
    /// Time it spent `waiting` for answers, in milliseconds, apart from its running time;
    /// absent when it never waited.
    public var waitedMs: Int?
    public var error: Failure?
    /// `result` or `error` as the session wrote it when the worker ended: the answers that
    /// carry workers write it as it is (`StatusResult.writtenJSON`). Not one of its members.
    public var writtenOutcome = WrittenOutcome()

    /// Its members, as `Codable` and the writer (`write(into:depth:)`) both name them.
    enum CodingKeys: String, CodingKey, CaseIterable {
        case id, role, model, state, task, createdAt, startedAt, endedAt, steps, usage, queuePosition, after, priority,
             parent, verification, result, changes, asks, waitedMs, error
    }

    public init(id: String, role: String, model: String, state: WorkerState, task: String, createdAt: String,
                startedAt: String? = nil, endedAt: String? = nil, steps: Int, usage: WorkerUsage,
                queuePosition: Int? = nil, after: [String]? = nil, priority: Int? = nil, parent: String? = nil,
                verification: Verification = .unverified, result: Result? = nil, changes: Changes? = nil, asks: [Ask]? = nil,
                waitedMs: Int? = nil, error: Failure? = nil) {
        self.id = id
        self.role = role
        self.model = model
        self.state = state
        self.task = task
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.steps = steps
        self.usage = usage
        self.queuePosition = queuePosition
        self.after = after
        self.priority = priority
        self.parent = parent
        self.verification = verification
        self.result = result
        self.changes = changes
        self.asks = asks
        self.waitedMs = waitedMs
        self.error = error
    }

    /// How much of its task a worker's summary (the whole-session `status`) shows: a
    /// session's overview stays small however long the briefs are.
    public static let summaryTaskLength = 240

    /// `task` cut to `summaryTaskLength` characters, ending in `…` when cut.
    public static func summaryTask(_ task: String) -> String {
        guard task.utf8.count > summaryTaskLength, task.count > summaryTaskLength else { return task }
        return task.prefix(summaryTaskLength - 1) + "…"
    }

    /// What a worker produced: the input of its accepted `submit_result` (`WorkerResult`).
    public struct Result: Codable, Sendable, Hashable {
        public var text: String
        /// The whole submission, when the brief asked for a JSON Schema.
        public var structured: JSONValue?
        public var sources: [String]?
        /// Work beyond its task that an orchestration's subtask found the goal needs, for the
        /// orchestration to add to its plan or not.
        public var followUps: [String]?

        public init(text: String, structured: JSONValue? = nil, sources: [String]? = nil, followUps: [String]? = nil) {
            self.text = text
            self.structured = structured
            self.sources = sources
            self.followUps = followUps
        }
    }

    /// Why a worker ended without a result (`WorkerError`). Workers throw it to end a run.
    public struct Failure: Error, Codable, Sendable, Hashable {
        public var code: FailureCode
        public var message: String

        public init(code: FailureCode, message: String) {
            self.code = code
            self.message = message
        }
    }
}

/// A worker's verification: none yet, or how its last `verify` ended.
public enum Verification: String, Codable, Sendable, Hashable {
    case unverified
    case passed
    case failed
}

public enum WorkerState: String, Codable, Sendable, Hashable, CaseIterable {
    case queued
    case running
    /// It asked and waits for an answer: it holds no slot and its timeout clock is stopped.
    case waiting
    case succeeded
    case failed
    case cancelled
    case timedOut = "timed_out"
    case interrupted

    /// Whether the worker has ended (a state a worker may be in while it lives is not).
    public var isTerminal: Bool {
        switch self {
        case .succeeded, .failed, .cancelled, .timedOut, .interrupted: return true
        case .queued, .running, .waiting: return false
        }
    }
}

/// Tokens and cost: `inputTokens` are billed at the full input price, `cacheReadTokens` and
/// `cacheWriteTokens` at the prompt cache's read and write prices, all of them in `costUSD`.
public struct WorkerUsage: Codable, Sendable, Hashable {
    public var inputTokens: Int
    public var outputTokens: Int
    public var cacheReadTokens: Int
    public var cacheWriteTokens: Int
    public var costUSD: Double

    enum CodingKeys: String, CodingKey, CaseIterable {
        case inputTokens, outputTokens, cacheReadTokens, cacheWriteTokens, costUSD
    }

    public init(inputTokens: Int = 0, outputTokens: Int = 0, cacheReadTokens: Int = 0, cacheWriteTokens: Int = 0,
                costUSD: Double = 0) {
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.cacheReadTokens = cacheReadTokens
        self.cacheWriteTokens = cacheWriteTokens
        self.costUSD = costUSD
    }

    /// `cacheWriteTokens` may be absent: orchestration ledgers stored before it was counted
    /// hold usage without it, and still resume.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        inputTokens = try container.decode(Int.self, forKey: .inputTokens)
        outputTokens = try container.decode(Int.self, forKey: .outputTokens)
        cacheReadTokens = try container.decode(Int.self, forKey: .cacheReadTokens)
        cacheWriteTokens = try container.decodeIfPresent(Int.self, forKey: .cacheWriteTokens) ?? 0
        costUSD = try container.decode(Double.self, forKey: .costUSD)
    }

    public static func + (a: WorkerUsage, b: WorkerUsage) -> WorkerUsage {
        WorkerUsage(inputTokens: a.inputTokens + b.inputTokens, outputTokens: a.outputTokens + b.outputTokens,
                    cacheReadTokens: a.cacheReadTokens + b.cacheReadTokens,
                    cacheWriteTokens: a.cacheWriteTokens + b.cacheWriteTokens, costUSD: a.costUSD + b.costUSD)
    }
}

/// `worker/event` params, and one entry of `trace`: `{workerId, seq, kind, at, data}`, the
/// kind being `data`'s.
public struct WorkerEvent: Codable, Sendable, Hashable {
    public var workerId: String
    public var seq: Int
    public var at: String
    public var data: WorkerEventData
    /// `data` as the trace stores it, when the sender wrote it already (`JSONValue`'s writer,
    /// the same text `data.json` writes): a front end may send these bytes as they are.
    /// Neither encoded nor compared: it is `data` in another form.
    public var dataJSON: String?

    public var kind: WorkerEventKind { data.kind }

    public init(workerId: String, seq: Int, at: String, data: WorkerEventData, dataJSON: String? = nil) {
        self.workerId = workerId
        self.seq = seq
        self.at = at
        self.data = data
        self.dataJSON = dataJSON
    }

    public static func == (lhs: WorkerEvent, rhs: WorkerEvent) -> Bool {
        lhs.workerId == rhs.workerId && lhs.seq == rhs.seq && lhs.at == rhs.at && lhs.data == rhs.data
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(workerId)
        hasher.combine(seq)
        hasher.combine(at)
        hasher.combine(data)
    }

    private enum CodingKeys: String, CodingKey { case workerId, seq, kind, at, data }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        workerId = try container.decode(String.self, forKey: .workerId)
        seq = try container.decode(Int.self, forKey: .seq)
        at = try container.decode(String.self, forKey: .at)
        let kind = try container.decode(WorkerEventKind.self, forKey: .kind)
        do {
            data = try WorkerEventData(kind: kind, json: container.decodeIfPresent(JSONValue.self, forKey: .data) ?? [:])
        } catch let error as WorkerEventDataError {
            throw DecodingError.dataCorruptedError(forKey: .data, in: container, debugDescription: error.description)
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(workerId, forKey: .workerId)
        try container.encode(seq, forKey: .seq)
        try container.encode(kind, forKey: .kind)
        try container.encode(at, forKey: .at)
        try container.encode(data.json, forKey: .data)
    }

    /// The wire form, written by hand for the notification sent on every step.
    public var json: JSONValue {
        ["workerId": .string(workerId), "seq": .int(Int64(seq)), "kind": .string(kind.rawValue), "at": .string(at),
         "data": data.json]
    }

    /// The wire form written around `dataJSON` as it is, byte for byte what writing `json`
    /// gives (keys in the writer's sorted order); nil when the data was not written already.
    public var writtenJSON: EncodedJSON? {
        guard let dataJSON else { return nil }
        var writer = JSONValueWriter(capacity: dataJSON.utf8.count + workerId.utf8.count + 64)
        writer.writeRaw("{\"at\":")
        writer.writeString(at)
        writer.writeRaw(",\"data\":")
        writer.writeRaw(Array(dataJSON.utf8))
        writer.writeRaw(",\"kind\":")
        writer.writeString(kind.rawValue)
        writer.writeRaw(",\"seq\":")
        writer.writeInt(seq)
        writer.writeRaw(",\"workerId\":")
        writer.writeString(workerId)
        writer.writeRaw("}")
        return EncodedJSON(writtenJSON: Data(writer.bytes))
    }
}

/// RFC 3339 UTC timestamps with milliseconds, as every time on the wire is written
/// (`2026-11-22T01:10:11.123Z`, what `Date.ISO8601FormatStyle(includingFractionalSeconds: true)`
/// writes). Formatted by hand for years 1970–9999, once per `worker/event` notification:
/// the format style costs several microseconds a call. Other dates go to the style.
public enum WireTime {
    public static let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    public static func string(_ date: Date) -> String {
        let interval = date.timeIntervalSince1970
        guard interval >= 0, interval < 253_402_300_800 else { return style.format(date) }
        // Date keeps seconds since 2001 (its reference date); split those, as the format
        // style does, so the milliseconds are truncated from the stored value itself and
        // not from a sum that rounding may have carried over a millisecond.
        let reference = date.timeIntervalSinceReferenceDate
        let whole = reference.rounded(.down)
        let millis = min(999, Int(((reference - whole) * 1000).rounded(.down)))
        var seconds = time_t(whole) + 978_307_200
        var parts = tm()
        gmtime_r(&seconds, &parts)
        var out = [UInt8]()
        out.reserveCapacity(24)
        func digits(_ value: Int, _ count: Int) {
            var divisor = 1
            for _ in 1..<count { divisor *= 10 }
            while divisor > 0 {
                out.append(UInt8(ascii: "0") + UInt8(value / divisor % 10))
                divisor /= 10
            }
        }
        digits(Int(parts.tm_year) + 1900, 4)
        out.append(UInt8(ascii: "-"))
        digits(Int(parts.tm_mon) + 1, 2)
        out.append(UInt8(ascii: "-"))
        digits(Int(parts.tm_mday), 2)
        out.append(UInt8(ascii: "T"))
        digits(Int(parts.tm_hour), 2)
        out.append(UInt8(ascii: ":"))
        digits(Int(parts.tm_min), 2)
        out.append(UInt8(ascii: ":"))
        digits(Int(parts.tm_sec), 2)
        out.append(UInt8(ascii: "."))
        digits(millis, 3)
        out.append(UInt8(ascii: "Z"))
        return String(decoding: out, as: UTF8.self)
    }
}
