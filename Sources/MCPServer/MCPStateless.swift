import BosunJSON
import BosunProtocol
import Foundation
import JSONRPC
import Logging

/// MCP 2026-07-28, the stateless revision: no `initialize`. Every request carries its
/// protocol version and client capabilities in `_meta`; a request in another version is
/// refused with the spec's `UnsupportedProtocolVersion` (-32022) listing what bosun serves.
/// `server/discover` says who bosun is; every result has `resultType`; `tools/list` is
/// cacheable (`ttlMs`, `cacheScope`) and always in the same order. Tasks are the
/// `io.modelcontextprotocol/tasks` extension: a client that declares it on a `tools/call`
/// of `spawn` with `wait: true` gets the worker as a task (`resultType: "task"`) instead of
/// a call that blocks, and polls it with `tasks/get`.
enum MCPStateless {
    static let version = "2026-07-28"
    static let versionKey = "io.modelcontextprotocol/protocolVersion"
    static let capabilitiesKey = "io.modelcontextprotocol/clientCapabilities"
    static let tasksExtension = "io.modelcontextprotocol/tasks"
    /// The spec's renumbered errors (2026-07-28 moved them into -32020…-32099).
    static let unsupportedVersionCode = -32022
    static let missingCapabilityCode = -32021
    /// How long a client may keep `tools/list` and `server/discover`: they change only with
    /// bosun's version, and are the same for every client.
    static let cacheMilliseconds = 3_600_000

    /// The requests that may open a connection in this era (see `FrontEnd.statelessMethods`).
    static let methods: Set<String> = ["server/discover", "tools/list", "tools/call", "tasks/get", "tasks/update",
                                       "tasks/cancel", "subscriptions/listen", "resources/list", "prompts/list"]

    /// What one request's `_meta` says about its client.
    struct Envelope: Sendable {
        /// The request's members bosun reads, read once.
        var request: MCPRequestReader
        var offersTasks: Bool
        /// The client takes form elicitation: an ask may reach it as an input request.
        var elicitsForms: Bool
    }

    static func register(on registry: MethodRegistry, state: MCPFrontEnd.State, logger: Logger) {
        stateless(registry, "server/discover") { _ in
            discoverResult(serverVersion: state.connection.options.version, problems: state.problems)
        }
        stateless(registry, "tools/list") { _ in toolsListResult }
        // A call with an answer ready (`status` of an unchanged session) is answered by the
        // reader thread; one whose `_meta` is refused gets its error from the handler.
        let atOnce: @Sendable (Data) -> EncodedJSON? = { message in
            guard let envelope = try? envelope(of: message), let params = try? MCPCallToolParams(reading: envelope.request),
                  let answer = MCPToolCall.answerAtOnce(params, state: state) else { return nil }
            return complete(answer)
        }
        stateless(registry, "tools/call", atOnce: atOnce) { envelope in
            var params = try MCPCallToolParams(reading: envelope.request)
            params.task = nil
            // The retry of an `input_required` answer: its worker's asks answered, wait on.
            if let requestState = params.requestState {
                let operations = try await MCPTasks.operations(state)
                return complete(try await MCPWorkerWait.resume(requestState, responses: params.inputResponses,
                                                               operations: operations, state: state))
            }
            // The server decides: a worker the client would wait for becomes a task the
            // client polls, when the client takes tasks.
            if envelope.offersTasks, params.name == "spawn", params.arguments?["wait"] == true { params.task = [:] }
            let answer = try await MCPToolCall.answer(params, state: state)
            return params.task == nil ? complete(answer) : try createTaskResult(answer)
        }
        stateless(registry, "tasks/get") { envelope in
            try await MCPTasks.detailed(try taskId(envelope), elicitsForms: envelope.elicitsForms, state: state)
        }
        stateless(registry, "tasks/update") { envelope in
            try await MCPTasks.update(try taskId(envelope), responses: envelope.request["inputResponses"], state: state)
            return complete(EncodedJSON(writtenJSON: Data("{}".utf8)))
        }
        stateless(registry, "tasks/cancel") { envelope in
            try await MCPTasks.cancelQuietly(try taskId(envelope), state: state)
            return complete(EncodedJSON(writtenJSON: Data("{}".utf8)))
        }
        let connection = state.connection.connection
        registry.registerNotification("notifications/cancelled", MCPCancelledParams.self) { params, _ in
            if let id = MCPMethods.requestID(params.requestId), connection.cancelWithoutAnswer(id: id) {
                logger.debug("request \(id) cancelled by the client\(params.reason.map { ": \($0)" } ?? "")")
            }
        }
        registry.answerUnknownMethods { method in
            RPCError(code: RPCError.methodNotFound, message: """
                unknown method '\(method)'; bosun's MCP \(version) server answers server/discover, tools/list, \
                tools/call, tasks/get, tasks/update and tasks/cancel\(BosunOperations.named(method) != nil
                    ? " ('\(method)' is a bosun/1 method: call it as a tool, tools/call {\"name\": \"\(method)\"})" : "")
                """)
        }
    }

    /// Registers `method` behind the per-request checks of this era.
    private static func stateless(_ registry: MethodRegistry, _ method: String, atOnce: (@Sendable (Data) -> EncodedJSON?)? = nil,
                                  _ handler: @escaping @Sendable (Envelope) async throws -> EncodedJSON) {
        registry.registerRaw(method, atOnce: atOnce) { message, _ in try await handler(try envelope(of: message)) }
    }

    /// Checks `_meta`: the protocol version (a string this era serves) and the client's capabilities.
    static func envelope(of message: Data) throws(RPCError) -> Envelope {
        guard let request = MCPRequestReader.read(message) else { throw .invalidParams("the request is not JSON", field: "params") }
        let meta = request.meta
        guard let requested = meta[versionKey] else {
            throw .invalidParams("""
                params._meta must carry "\(versionKey)" (and "\(capabilitiesKey)") in MCP \(version); \
                a client of an earlier version starts with initialize
                """, field: "_meta.\(versionKey)")
        }
        guard case .string(let text) = requested else {
            throw .invalidParams("\(versionKey) must be a string such as \"\(version)\"", field: "_meta.\(versionKey)")
        }
        guard text == version else {
            throw RPCError(code: unsupportedVersionCode, message: """
                Unsupported protocol version "\(text)": bosun serves \(version) on every request, and \
                \(MCPVersion.supported.joined(separator: ", ")) after initialize
                """, data: ["supported": [.string(version)], "requested": requested])
        }
        // The spec requires the capabilities on every request ({} for none).
        guard let capabilities = meta[capabilitiesKey], capabilities.objectValue != nil else {
            throw .invalidParams("params._meta must carry \"\(capabilitiesKey)\", an object ({} for a client that declares none), in MCP \(version)",
                                 field: "_meta.\(capabilitiesKey)")
        }
        return Envelope(request: request, offersTasks: capabilities["extensions"]?[tasksExtension] != nil,
                        elicitsForms: MCPAskForm.acceptsForms(capabilities["elicitation"]))
    }

    private static func taskId(_ envelope: Envelope) throws(RPCError) -> String {
        guard case .string(let id)? = envelope.request["taskId"] else {
            throw .invalidParams("taskId must be the string a tools/call answered with", field: "taskId")
        }
        return id
    }

    /// With `problems` (no workspace, a broken config) the instructions say them, and the
    /// answer is not offered for caching: it holds this process's state, not bosun's.
    static func discoverResult(serverVersion: String, problems: [String]) -> EncodedJSON {
        var result: [String: JSONValue] = [
            "resultType": "complete",
            "supportedVersions": .array(([version] + MCPVersion.supported).map { .string($0) }),
            "capabilities": ["tools": ["listChanged": false], "extensions": [.init(stringLiteral: tasksExtension): [:]]],
            "instructions": .string(MCPInstructions.with(problems)),
            "_meta": ["io.modelcontextprotocol/serverInfo": [
                "name": "bosun", "title": "bosun: worker agents on a budget", "version": .string(serverVersion),
            ]],
        ]
        if problems.isEmpty {
            result["ttlMs"] = .int(Int64(cacheMilliseconds))
            result["cacheScope"] = "public"
        }
        return EncodedJSON(writtenJSON: JSONValue.object(result).jsonData())
    }

    /// The tool list of every era, with what this one adds; the same bytes for every call.
    static let toolsListResult: EncodedJSON = {
        var result = (try? JSONValue.parse(MCPToolCatalog.listResult.data).objectValue) ?? [:]
        result["resultType"] = "complete"
        result["ttlMs"] = .int(Int64(cacheMilliseconds))
        result["cacheScope"] = "public"
        return EncodedJSON(writtenJSON: JSONValue.object(result).jsonData())
    }()

    /// `result` with `"resultType":"complete"` spliced in front, without parsing it again;
    /// one that says its type already (`input_required`) as it is.
    static func complete(_ result: EncodedJSON) -> EncodedJSON {
        let body = result.data.drop { $0 != UInt8(ascii: "{") }.dropFirst()
        if body.starts(with: Data(#""resultType""#.utf8)) { return result }
        var out = Data(#"{"resultType":"complete""#.utf8)
        if body.first != UInt8(ascii: "}") { out.append(UInt8(ascii: ",")) }
        out.append(contentsOf: body)
        return EncodedJSON(writtenJSON: out)
    }

    /// The extension's `CreateTaskResult`: the task itself, flat, with `resultType: "task"`.
    private static func createTaskResult(_ answer: EncodedJSON) throws -> EncodedJSON {
        guard let task = try JSONValue.parse(answer.data)["task"], case .object = task else {
            return complete(answer)  // a refusal the tool answered as a result
        }
        return EncodedJSON(writtenJSON: MCPTasks.modern(task, resultType: "task").jsonData())
    }
}
