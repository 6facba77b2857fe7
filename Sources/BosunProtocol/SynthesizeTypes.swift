import BosunJSON
import Foundation


/// `synthesize` params: the workers whose results become one answer, and how.
public struct SynthesizeParams: Codable, Sendable {
    public var workers: [String]
    public var instruction: String
    /// A format to follow, and a schema for the synthesis's `structured` part.
    public var output: OutputSpec?
    /// A model alias or tier; the `synthesizer` role's (the orchestrator tier) by default.
    public var model: String?
    /// Refuse (-32011) when a given worker did not succeed, instead of naming it in `gaps`.
    public var requireAll: Bool?
    /// How long to wait for the given workers, then for the synthesis itself.
    public var timeoutSeconds: Double?
    /// The most characters of worker results the synthesizer reads (default 100,000);
    /// past it each result is cut to its share, with a notice saying so.
    public var maxInputChars: Int?

    public init(workers: [String], instruction: String, output: OutputSpec? = nil, model: String? = nil,
                requireAll: Bool? = nil, timeoutSeconds: Double? = nil, maxInputChars: Int? = nil) {
        self.workers = workers
        self.instruction = instruction
        self.output = output
        self.model = model
        self.requireAll = requireAll
        self.timeoutSeconds = timeoutSeconds
        self.maxInputChars = maxInputChars
    }
}

public struct SynthesisSource: Codable, Sendable, Hashable {
    public var workerId: String
    public var claim: String
    /// The file or URL, among the worker's own `result.sources`, the claim rests on.
    public var source: String?

    public init(workerId: String, claim: String, source: String? = nil) {
        self.workerId = workerId
        self.claim = claim
        self.source = source
    }
}

public struct SynthesisConflict: Codable, Sendable, Hashable {
    public var topic: String
    /// At least two of the given workers.
    public var workers: [String]
    public var summary: String

    public init(topic: String, workers: [String], summary: String) {
        self.topic = topic
        self.workers = workers
        self.summary = summary
    }
}

public struct SynthesizeResult: Codable, Sendable {
    /// The synthesizer worker's id: visible in `status`, the trace and the timeline.
    public var id: String
    public var text: String
    public var structured: JSONValue?
    public var sources: [SynthesisSource]
    public var conflicts: [SynthesisConflict]
    /// What the answer could not cover: failed workers first, then what the synthesizer named.
    public var gaps: [String]
    public var usage: WorkerUsage

    public init(id: String, text: String, structured: JSONValue?, sources: [SynthesisSource],
                conflicts: [SynthesisConflict], gaps: [String], usage: WorkerUsage) {
        self.id = id
        self.text = text
        self.structured = structured
        self.sources = sources
        self.conflicts = conflicts
        self.gaps = gaps
        self.usage = usage
    }
}
