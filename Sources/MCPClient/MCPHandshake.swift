import BosunJSON
import Foundation
import Synchronization

/// How a connection finds out which era its server speaks, as MCP 2026-07-28 asks of a
/// client of both eras: probe with `server/discover` at 2026-07-28 first; a `DiscoverResult`
/// naming it makes the connection modern, and anything that is not a modern answer (an
/// error, no answer within the probe's time, a result that is no `DiscoverResult`) falls
/// back to `initialize`. A server already known to speak the `initialize` era skips the
/// probe, unless its `initialize` answer is the spec's `UnsupportedProtocolVersion`.
enum MCPHandshake {
    /// Request ids of the handshake; a connection numbers its own requests after them.
    static let discoverId: Int64 = 0
    static let initializeId: Int64 = 1
    static let listenId: Int64 = 2
    static let firstRequestId: Int64 = 3

    struct Outcome {
        var era: MCPEra
        /// The server's capabilities, from `server/discover` or `initialize`.
        var capabilities: JSONValue
    }

    /// The probe waits this long for a server that may not answer unknown requests at all
    /// before it sends `initialize`: a third of the start timeout, at most 10 s.
    static func probeSeconds(startTimeout: Double) -> Double { min(10, startTimeout / 3) }

    static func run(over transport: any MCPTransport, server: String, startTimeout: Double,
                    knownLegacy: Bool) async throws -> Outcome {
        if knownLegacy {
            do {
                return try await initialize(over: transport, server: server, note: nil)
            } catch let error as MCPClientError where error.code == MCPEra.unsupportedVersionCode {
                // It speaks 2026-07-28 now: probe as for any server.
            }
        }
        let early: JSONValue?
        do {
            early = try await discover(over: transport, within: probeSeconds(startTimeout: startTimeout))
        } catch let error as MCPClientError where (400..<500).contains(error.httpStatus ?? 0) {
            // Over HTTP, a 4xx whose body is no JSON-RPC error: a server of the earlier era.
            return try await initialize(over: transport, server: server, note: nil)
        }
        if let answer = early { return try await settle(answer, over: transport, server: server) }
        // No answer in time: a server that ignores what it does not know, or one still
        // starting. A slow server of 2026-07-28 refuses `initialize` with the spec's error
        // naming its versions (as the official SDK's does): then probe again, and wait.
        do {
            return try await initialize(over: transport, server: server, note: nil)
        } catch let refused as MCPClientError where refused.code == MCPEra.unsupportedVersionCode {
            guard let answer = try await discover(over: transport, within: startTimeout) else { throw refused }
            return try await settle(answer, over: transport, server: server)
        }
    }

    private static func settle(_ answer: JSONValue, over transport: any MCPTransport, server: String) async throws -> Outcome {
        switch try MCPDiscoverVerdict.judge(answer, server: server) {
        case .modern(let capabilities):
            return Outcome(era: .modern(version: MCPEra.modernVersion), capabilities: capabilities)
        case .initialize(let note):
            return try await initialize(over: transport, server: server, note: note)
        }
    }

    /// The answer to `server/discover` if it comes within `seconds`, else nil (the request is
    /// then abandoned).
    private static func discover(over transport: any MCPTransport, within seconds: Double) async throws -> JSONValue? {
        try await withThrowingTaskGroup(of: JSONValue?.self) { group in
            group.addTask { try await transport.request(discoverRequest, id: discoverId, headers: []) }
            group.addTask {
                try await Task.sleep(for: .seconds(seconds))
                return nil
            }
            defer { group.cancelAll() }
            return try await group.next() ?? nil
        }
    }

    static let discoverRequest: JSONValue = [
        "jsonrpc": "2.0", "id": .int(discoverId), "method": "server/discover", "params": ["_meta": MCPEra.modernMeta],
    ]

    private static func initialize(over transport: any MCPTransport, server: String, note: String?) async throws -> Outcome {
        let params: JSONValue = [
            "protocolVersion": .string(MCPEra.legacyVersions[0]), "capabilities": [:], "clientInfo": ["name": "bosun", "version": "1"],
        ]
        let result: JSONValue
        do {
            result = try await MCPConnection.send(method: "initialize", params: params, id: initializeId, over: transport, server: server)
        } catch var error as MCPClientError {
            if let note { error.message = "\(note), and \(error.message)" }
            throw error
        }
        guard let version = result["protocolVersion"]?.stringValue, MCPEra.legacyVersions.contains(version) else {
            throw MCPClientError(server: server, """
                speaks MCP \(result["protocolVersion"]?.stringValue ?? "of no stated version"); bosun speaks \
                \(MCPEra.modernVersion) and, through initialize, \(MCPEra.legacyVersions.joined(separator: ", "))
                """)
        }
        transport.negotiated(protocolVersion: version)
        try await transport.notify(["jsonrpc": "2.0", "method": "notifications/initialized"])
        return Outcome(era: .legacy(version: version), capabilities: result["capabilities"] ?? [:])
    }
}
