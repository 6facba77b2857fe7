import BosunJSON
import Foundation

/// One thing `verify` checks for itself, rather than trusting what a worker said it did.
/// Decoded from the wire's `{kind: …}` objects; a field of the wrong type or an unknown
/// kind is a decoding error naming the field.
public enum Check: Sendable, Hashable {
    /// The worker's `result.structured` against the worker's output schema, or this one.
    case schema(schema: JSONValue?)
    case command(CommandCheck)
    case files(FilesCheck)
    case judge(JudgeCheck)
    case gitSync(GitSyncCheck)
    case http(HTTPCheck)

    /// Whether it decides without a model's judgement (every kind but `judge`).
    public var isDeterministic: Bool {
        if case .judge = self { return false }
        return true
    }

    /// The wire name of the kind, as `CheckOutcome.kind` reports it.
    public var kind: String {
        switch self {
        case .schema: return "schema"
        case .command: return "command"
        case .files: return "files"
        case .judge: return "judge"
        case .gitSync: return "git-sync"
        case .http: return "http"
        }
    }
}

/// A program run in the workspace, inside the same sandbox as `run_command`.
public struct CommandCheck: Codable, Sendable, Hashable {
    /// Program and arguments; never a shell line.
    public var command: [String]
    /// Working directory relative to the workspace root.
    public var cwd: String?
    public var timeoutSeconds: Double?
    public var expectExitCode: Int32?
    /// Whether the command may change the workspace (read-only unless asked).
    public var writable: Bool?

    public init(command: [String], cwd: String? = nil, timeoutSeconds: Double? = nil, expectExitCode: Int32? = nil, writable: Bool? = nil) {
        self.command = command
        self.cwd = cwd
        self.timeoutSeconds = timeoutSeconds
        self.expectExitCode = expectExitCode
        self.writable = writable
    }
}

/// Claims about files, checked on disk: they exist, are not empty, contain a pattern.
public struct FilesCheck: Codable, Sendable, Hashable {
    public var exist: [String]
    public var nonEmpty: Bool?
    /// Path to a regular expression that the file's text must match somewhere.
    public var contains: [String: String]?

    public init(exist: [String], nonEmpty: Bool? = nil, contains: [String: String]? = nil) {
        self.exist = exist
        self.nonEmpty = nonEmpty
        self.contains = contains
    }
}

/// An evaluator model reads the brief, the result and the rubric, and answers pass or fail
/// with reasons. With `inspect`, the evaluator is a read-only worker (role `evaluator`) that
/// looks at the workspace itself and cites what it found (paths and lines).
public struct JudgeCheck: Codable, Sendable, Hashable {
    public var rubric: String
    /// A model alias; the orchestrator tier when absent (the `evaluator` role's with `inspect`).
    public var model: String?
    /// Judge by inspecting the workspace with tools, not from the result's text alone.
    public var inspect: Bool?

    public init(rubric: String, model: String? = nil, inspect: Bool? = nil) {
        self.rubric = rubric
        self.model = model
        self.inspect = inspect
    }
}

/// A URL answers as it should: a link that resolves, a deployment that is up. Loopback and
/// private addresses are allowed (the client writes checks, not a model); redirects are
/// followed.
public struct HTTPCheck: Codable, Sendable, Hashable {
    /// An http or https URL.
    public var url: String
    /// The status the final response must have (default: any 2xx).
    public var expectStatus: Int?
    /// Text the response body must contain.
    public var contains: String?
    public var timeoutSeconds: Double?

    public init(url: String, expectStatus: Int? = nil, contains: String? = nil, timeoutSeconds: Double? = nil) {
        self.url = url
        self.expectStatus = expectStatus
        self.contains = contains
        self.timeoutSeconds = timeoutSeconds
    }
}

/// The local branch against its remote after a `git fetch`: never deploy from a stale tree.
public struct GitSyncCheck: Codable, Sendable, Hashable {
    public var remote: String?
    public var branch: String?
    /// Also require no uncommitted changes.
    public var clean: Bool?

    public init(remote: String? = nil, branch: String? = nil, clean: Bool? = nil) {
        self.remote = remote
        self.branch = branch
        self.clean = clean
    }
}

extension Check: Codable {
    private enum CodingKeys: String, CodingKey { case kind, schema }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        switch try container.decode(String.self, forKey: .kind) {
        case "schema": self = .schema(schema: try container.decodeIfPresent(JSONValue.self, forKey: .schema))
        case "command": self = .command(try CommandCheck(from: decoder))
        case "files": self = .files(try FilesCheck(from: decoder))
        case "judge": self = .judge(try JudgeCheck(from: decoder))
        case "git-sync": self = .gitSync(try GitSyncCheck(from: decoder))
        case "http": self = .http(try HTTPCheck(from: decoder))
        case let other:
            throw DecodingError.dataCorruptedError(forKey: .kind, in: container, debugDescription: """
                unknown check kind "\(other)"; the kinds are schema, command, files, judge, git-sync and http
                """)
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(kind, forKey: .kind)
        switch self {
        case .schema(let schema): try container.encodeIfPresent(schema, forKey: .schema)
        case .command(let check): try check.encode(to: encoder)
        case .files(let check): try check.encode(to: encoder)
        case .judge(let check): try check.encode(to: encoder)
        case .gitSync(let check): try check.encode(to: encoder)
        case .http(let check): try check.encode(to: encoder)
        }
    }
}
