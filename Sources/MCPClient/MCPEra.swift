import BosunJSON

/// How bosun speaks to one MCP server, settled once when the connection opens: MCP
/// 2026-07-28 (no handshake; version and capabilities in `_meta` on every request), or an
/// `initialize` handshake that agreed on an earlier version.
enum MCPEra: Sendable, Equatable {
    case modern(version: String)
    case legacy(version: String)

    /// The stateless revision bosun speaks.
    static let modernVersion = "2026-07-28"
    /// What bosun offers in `initialize` and accepts in its answer, newest first.
    static let legacyVersions = ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"]
    static var knownVersions: [String] { [modernVersion] + legacyVersions }

    static let versionKey = "io.modelcontextprotocol/protocolVersion"
    static let clientInfoKey = "io.modelcontextprotocol/clientInfo"
    static let capabilitiesKey = "io.modelcontextprotocol/clientCapabilities"
    static let subscriptionKey = "io.modelcontextprotocol/subscriptionId"
    /// The spec's own errors (2026-07-28 gives them -32020…-32099); any of them means the
    /// server speaks that era.
    static let modernErrors = [-32020: "HeaderMismatch", -32021: "MissingRequiredClientCapability",
                               -32022: "UnsupportedProtocolVersion"]
    static let unsupportedVersionCode = -32022

    var version: String {
        switch self {
        case .modern(let version), .legacy(let version): return version
        }
    }

    var isModern: Bool { if case .modern = self { return true } else { return false } }

    /// The `_meta` every 2026-07-28 request carries: bosun declares no client capabilities
    /// (it answers no elicitation, sampling or roots).
    static let modernMeta: JSONValue = [
        .init(stringLiteral: versionKey): .string(modernVersion),
        .init(stringLiteral: clientInfoKey): ["name": "bosun", "version": "1"],
        .init(stringLiteral: capabilitiesKey): [:],
    ]

    /// `params` with the era's `_meta` added (2026-07-28), or as they are.
    func stamp(_ params: JSONValue) -> JSONValue {
        guard isModern, case .object(var fields) = params else { return params }
        var meta = fields["_meta"]?.objectValue ?? [:]
        for (key, value) in Self.modernMeta.objectValue ?? [:] { meta[key] = value }
        fields["_meta"] = .object(meta)
        return .object(fields)
    }
}

/// What the answer to the `server/discover` probe says, by the spec's rules for a client of
/// both eras: a `DiscoverResult` naming 2026-07-28 (or the spec's `UnsupportedProtocolVersion`
/// naming only handshake versions) settles the era; any other error, and an answer that is
/// no `DiscoverResult`, means a server of the `initialize` era; a server whose versions bosun
/// knows none of is refused, naming them.
enum MCPDiscoverVerdict: Equatable {
    case modern(capabilities: JSONValue)
    /// Fall back to `initialize`; `note` says what the probe got, for an error if that fails too.
    case initialize(note: String?)

    static func judge(_ response: JSONValue, server: String) throws(MCPClientError) -> MCPDiscoverVerdict {
        if let error = response["error"] {
            guard error["code"]?.intValue == Int64(MCPEra.unsupportedVersionCode),
                  let supported = strings(error["data"]?["supported"]) else {
                return .initialize(note: nil)
            }
            guard !supported.contains(MCPEra.modernVersion) else {
                return .initialize(note: "refused server/discover at \(MCPEra.modernVersion) while naming that version supported")
            }
            return try choose(supported, server: server, modern: nil)
        }
        guard case .object(let result)? = response["result"], let versions = strings(result["supportedVersions"]) else {
            let shown = (response["result"] ?? response).jsonString().prefix(200)
            return .initialize(note: "answered server/discover with something that is not a DiscoverResult (\(shown))")
        }
        return try choose(versions, server: server, modern: result["capabilities"] ?? [:])
    }

    private static func choose(_ versions: [String], server: String, modern capabilities: JSONValue?) throws(MCPClientError) -> MCPDiscoverVerdict {
        if let capabilities, versions.contains(MCPEra.modernVersion) { return .modern(capabilities: capabilities) }
        if versions.contains(where: MCPEra.legacyVersions.contains) { return .initialize(note: nil) }
        throw MCPClientError(server: server, """
            speaks MCP \(versions.isEmpty ? "of no stated version" : versions.joined(separator: ", ")) and bosun none of them: \
            bosun speaks \(MCPEra.modernVersion) and, through initialize, \(MCPEra.legacyVersions.joined(separator: ", "))
            """)
    }

    /// A list of strings, or nil for anything else.
    private static func strings(_ value: JSONValue?) -> [String]? {
        guard let items = value?.arrayValue else { return nil }
        let texts = items.compactMap(\.stringValue)
        return texts.count == items.count ? texts : nil
    }
}
