import BosunJSON
import Synchronization

/// What every front end shows of one session operation, besides its types: bosun/1 answers
/// it as the method `name`, MCP lists it as the tool `name`.
public struct OperationInfo: Sendable, Hashable {
    /// The method name of bosun/1 and the tool name of MCP; written here and nowhere else.
    public var name: String
    /// A few words for a person choosing a tool (MCP `title`).
    public var title: String
    /// One line: `methods.json`'s `summary` and the docs' method table.
    public var summary: String
    /// For a calling model: when to use it, what it returns, what to do next (MCP `description`).
    public var description: String
    /// Changes nothing (MCP `readOnlyHint`).
    public var readOnly: Bool
    /// A worker it starts may reach outside the workspace, e.g. fetch URLs (MCP `openWorldHint`).
    public var opensWorld: Bool

    public init(name: String, title: String, summary: String, description: String, readOnly: Bool, opensWorld: Bool = false) {
        self.name = name
        self.title = title
        self.summary = summary
        self.description = description
        self.readOnly = readOnly
        self.opensWorld = opensWorld
    }

    /// The `$defs` names of its params and result in protocol/bosun-1.schema.json.
    public var paramsDefinition: String { "\(name).params" }
    public var resultDefinition: String { "\(name).result" }
}

/// What a front end knows of a call besides its params.
public struct OperationContext: Sendable {
    /// A progress token that came outside the params (MCP's `_meta.progressToken`); it takes
    /// the place of a `spawn`'s `workDoneToken`.
    public var progressToken: JSONValue?
    /// The caller's OpenTelemetry span as a W3C `traceparent` (MCP's `_meta.traceparent`):
    /// a worker spawned by the call links its span to it.
    public var traceparent: String?

    public init(progressToken: JSONValue? = nil, traceparent: String? = nil) {
        self.progressToken = progressToken
        self.traceparent = traceparent
    }
}

/// One operation of a session with its types: the entries of `BosunOperations.all`. A front
/// end maps every entry generically (open the existential with a generic function): decode
/// `Params`, `call`, encode `Result`, map a thrown `SessionError`.
public protocol SessionOperation: Sendable {
    associatedtype Params: Decodable & Sendable
    associatedtype Result: Encodable & Sendable
    var info: OperationInfo { get }
    func call(_ session: any SessionOperations, _ params: Params, context: OperationContext) async throws -> Result
    /// Whether the operation may have an answer ready without waiting (`answerAtOnce`).
    var answersAtOnce: Bool { get }
    /// The answer the session has ready for these params, already encoded and read without
    /// waiting (a cached one), or nil when only `call` can answer.
    func answerAtOnce(_ session: any SessionOperations, _ params: Params) -> EncodedJSON?
}

extension SessionOperation {
    /// The params' JSON Schema, self-contained and an object at the top
    /// (`ProtocolSchema.objectSchema`): MCP's `inputSchema`.
    public var inputSchema: JSONValue { ProtocolSchema.shared.objectSchema(info.paramsDefinition) }
    /// The result's JSON Schema, self-contained and an object at the top: MCP's `outputSchema`.
    public var outputSchema: JSONValue { ProtocolSchema.shared.objectSchema(info.resultDefinition) }
}

/// An operation as a typed handler over `SessionOperations`.
/// Every call's params are checked against the sizes the schema allows (`InputBounds`)
/// before the handler sees them, whichever front end decoded them. The bounds are read from
/// the schema at the first call (and kept), not when the table is made: listing the
/// operations at `initialize` parses no schema.
public struct Operation<Params: Codable & Sendable, Result: Encodable & Sendable>: SessionOperation {
    public let info: OperationInfo
    private let bounds: FirstCallBounds
    private let handler: @Sendable (any SessionOperations, Params, OperationContext) async throws -> Result
    private let atOnce: (@Sendable (any SessionOperations, Params) -> EncodedJSON?)?

    /// `atOnce`: the answer the session has ready without waiting, encoded as the wire
    /// carries it (nil when it has none); it must not block, and `handler` answers whenever
    /// it gives nil. It only reads what the session holds and keeps nothing of the params,
    /// so the params' bounds, which guard what a session keeps and repeats, are checked
    /// only on the way to `handler`.
    public init(_ info: OperationInfo,
                atOnce: (@Sendable (any SessionOperations, Params) -> EncodedJSON?)? = nil,
                handler: @escaping @Sendable (any SessionOperations, Params, OperationContext) async throws -> Result) {
        self.info = info
        bounds = FirstCallBounds(definition: info.paramsDefinition)
        self.handler = handler
        self.atOnce = atOnce
    }

    public func call(_ session: any SessionOperations, _ params: Params, context: OperationContext) async throws -> Result {
        try bounds.value.check(params)
        return try await handler(session, params, context)
    }

    public var answersAtOnce: Bool { atOnce != nil }

    public func answerAtOnce(_ session: any SessionOperations, _ params: Params) -> EncodedJSON? {
        atOnce?(session, params)
    }
}

/// An operation's input bounds, read from the schema at its first call and kept.
final class FirstCallBounds: Sendable {
    private let definition: String
    private let bounds = Mutex<InputBounds?>(nil)

    init(definition: String) { self.definition = definition }

    var value: InputBounds {
        bounds.withLock { bounds in
            if let bounds { return bounds }
            let made = InputBounds.of(definition: definition)
            bounds = made
            return made
        }
    }
}
