import BosunJSON
import Config
import Foundation
import Testing
import Workers
@testable import MCPClient

/// Which era bosun speaks to a server, and what it does with one that answers the
/// `server/discover` probe oddly: real `/bin/sh` servers over real pipes, as in
/// `MCPClientTests`.
@Suite struct MCPEraTests {
    /// A server of MCP 2026-07-28 only: it answers `server/discover`, refuses any request
    /// whose `_meta` does not name 2026-07-28 (-32602, as the spec says), and ends on
    /// `initialize`, which that era does not have.
    static let modern = #"""
        while IFS= read -r line; do
          id=$(printf '%s' "$line" | sed -n 's/.*"id":\([0-9]*\).*/\1/p')
          case "$line" in
            *'"initialize"'*) echo "initialize sent to a 2026-07-28 server" >&2; exit 7;;
            *'"io.modelcontextprotocol/protocolVersion":"2026-07-28"'*) ;;
            *) printf '{"jsonrpc":"2.0","id":%s,"error":{"code":-32602,"message":"_meta must name the protocol version"}}\n' "$id"; continue;;
          esac
          case "$line" in
            *'"server/discover"'*) printf '{"jsonrpc":"2.0","id":%s,"result":{"resultType":"complete","supportedVersions":["2026-07-28"],"capabilities":{"tools":{}}}}\n' "$id";;
            *'"tools/list"'*) printf '{"jsonrpc":"2.0","id":%s,"result":{"resultType":"complete","tools":[{"name":"echo","inputSchema":{"type":"object"}},{"name":"ask","inputSchema":{"type":"object"}}],"ttlMs":60000,"cacheScope":"public"}}\n' "$id";;
            *'"name":"ask"'*) printf '{"jsonrpc":"2.0","id":%s,"result":{"resultType":"input_required","inputRequests":{"q":{"method":"elicitation/create","params":{}}},"requestState":"x"}}\n' "$id";;
            *'"tools/call"'*) printf '{"jsonrpc":"2.0","id":%s,"result":{"resultType":"complete","content":[{"type":"text","text":"modern %s"}]}}\n' "$id" "$$";;
          esac
        done
        """#

    /// `MCPClientTests.speaker` (a 2025-06-18 server) that answers `server/discover` with
    /// `discover` (a JSON-RPC response body after the id), or not at all when it is empty.
    static func legacy(discover: String) -> String {
        let answer = discover.isEmpty ? ":" : "printf '{\"jsonrpc\":\"2.0\",\"id\":%s,\(discover)}\\n' \"$id\""
        return MCPClientTests.speaker.replacingOccurrences(of: "case \"$line\" in", with: """
            case "$line" in
                *'"server/discover"'*) \(answer);;
            """)
    }

    private func connect(_ script: String, startTimeout: Double = 20) async throws -> MCPConnection {
        let server = MCPServerConfig(name: "sh", transport: .stdio(command: "/bin/sh", args: ["-c", script], env: [:], cwd: nil))
        return try await MCPConnection.open(server, timeout: startTimeout, http: .shared)
    }

    private func refusal(_ script: String) async -> String {
        do {
            let connection = try await connect(script)
            await connection.close()
            return "connected in \(connection.era)"
        } catch {
            return "\(error)"
        }
    }

    @Test func aServerOf2026SpeaksWithoutInitializeAndMetaOnEveryRequest() async throws {
        let pool = MCPClientTests().pool(Self.modern)
        defer { Task { await pool.close() } }
        let tools = try await pool.tools(for: MCPClientTests().role, requested: nil)
        #expect(tools.map(\.spec.name) == ["mcp__sh__echo", "mcp__sh__ask"])
        let output = try await tools[0].run([:], context: MCPClientTests().context())
        #expect(!output.isError && output.text.hasPrefix("modern "), "\(output.text)")
        // A result that asks the client for input bosun cannot give fails the call, saying so.
        let asked = try await tools[1].run([:], context: MCPClientTests().context())
        #expect(asked.isError && asked.text.contains("asked for input to answer tools/call (elicitation/create), which bosun cannot give"),
                "\(asked.text)")
        let connection = try await connect(Self.modern)
        #expect(connection.era == .modern(version: "2026-07-28"))
        await connection.close()
    }

    @Test func aServerOfTheInitializeEraIsSpokenThroughInitialize() async throws {
        let connection = try await connect(MCPClientTests.speaker)
        #expect(connection.era == .legacy(version: "2025-06-18"))
        #expect(try await connection.listTools(timeout: 10).map(\.name) == ["echo.it", "shot"])
        await connection.close()
        // One that never answers the probe gets initialize once the probe's time (a third of
        // the start timeout) is up.
        let silent = try await connect(Self.legacy(discover: ""), startTimeout: 3)
        #expect(silent.era == .legacy(version: "2025-06-18"))
        await silent.close()
    }

    @Test func aDiscoverAnswerThatIsNoDiscoverResultFallsBackToInitialize() async throws {
        let garbage = #""result":{"supportedVersions":"all of them"}"#
        #expect(try await connect(Self.legacy(discover: garbage)).era == .legacy(version: "2025-06-18"))
        // When initialize fails too, the error says what both answers were.
        let refusing = Self.legacy(discover: garbage).replacingOccurrences(
            of: #"*'"initialize"'*)"#, with: #"*'"initialize"'*) printf '{"jsonrpc":"2.0","id":%s,"error":{"code":-32600,"message":"no"}}\n' "$id";; *'"never"'*)"#)
        let said = await refusal(refusing)
        #expect(said.hasPrefix("MCP server sh: answered server/discover with something that is not a DiscoverResult ("), "\(said)")
        #expect(said.contains("all of them") && said.contains(", and refused initialize (-32600): no"), "\(said)")
    }

    @Test func aServerWithNoVersionBosunKnowsIsRefusedNamingItsVersions() async throws {
        let advertised = await refusal(Self.legacy(discover: #""result":{"supportedVersions":["2099-01-01","2098-06-30"],"capabilities":{}}"#))
        #expect(advertised == """
            MCP server sh: speaks MCP 2099-01-01, 2098-06-30 and bosun none of them: bosun speaks 2026-07-28 and, \
            through initialize, 2025-11-25, 2025-06-18, 2025-03-26, 2024-11-05
            """, "\(advertised)")
        let unsupported = await refusal(Self.legacy(discover: #""error":{"code":-32022,"message":"Unsupported protocol version","data":{"supported":["2099-01-01"],"requested":"2026-07-28"}}"#))
        #expect(unsupported.hasPrefix("MCP server sh: speaks MCP 2099-01-01 and bosun none of them"), "\(unsupported)")
        // The spec's error naming a handshake version bosun knows: initialize, not a refusal.
        let older = try await connect(Self.legacy(discover: #""error":{"code":-32022,"message":"Unsupported protocol version","data":{"supported":["2025-06-18"],"requested":"2026-07-28"}}"#))
        #expect(older.era == .legacy(version: "2025-06-18"))
        await older.close()
    }

    @Test func theProbesVerdicts() throws {
        func judge(_ text: String) throws -> MCPDiscoverVerdict { try MCPDiscoverVerdict.judge(try JSONValue.parse(text), server: "s") }
        #expect(try judge(#"{"result":{"supportedVersions":["2026-07-28","2025-11-25"],"capabilities":{"tools":{}}}}"#)
                == .modern(capabilities: ["tools": [:]]))
        #expect(try judge(#"{"result":{"supportedVersions":["2025-11-25"],"capabilities":{}}}"#) == .initialize(note: nil))
        #expect(try judge(#"{"error":{"code":-32601,"message":"Method not found"}}"#) == .initialize(note: nil))
        #expect(try judge(#"{"error":{"code":-32022,"message":"x"}}"#) == .initialize(note: nil))
        #expect(throws: MCPClientError.self) { try judge(#"{"result":{"supportedVersions":[]}}"#) }
        guard case .initialize(let note?) = try judge(#"{"result":{"supportedVersions":["2026-07-28",7]}}"#) else {
            Issue.record("a version list with a number in it is no DiscoverResult")
            return
        }
        #expect(note.contains("not a DiscoverResult"))
    }

    @Test func headersMirrorTheRequestAsStreamableHTTPAsks() throws {
        #expect(MCPHeaderMirror.encode("us-west1") == "us-west1")
        #expect(MCPHeaderMirror.encode("Hello, 世界") == "=?base64?SGVsbG8sIOS4lueVjA==?=")
        #expect(MCPHeaderMirror.encode(" padded ") == "=?base64?IHBhZGRlZCA=?=")
        #expect(MCPHeaderMirror.encode("=?base64?literal?=") == "=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?=")
        let call: JSONValue = ["method": "tools/call", "params": ["name": "execute_sql"]]
        #expect(MCPHeaderMirror.standard(for: call).map { "\($0.name): \($0.value)" } == ["Mcp-Method: tools/call", "Mcp-Name: execute_sql"])
        let schema = try JSONValue.parse(#"""
            {"type":"object","properties":{"region":{"type":"string","x-mcp-header":"Region"},"query":{"type":"string"},
             "where":{"type":"object","properties":{"shard":{"type":"integer","x-mcp-header":"Shard"}}}}}
            """#)
        let mirror = try MCPHeaderMirror.of(schema).get()
        let headers = mirror.headers(for: ["region": "us-west1", "query": "SELECT 1", "where": ["shard": 4]])
        #expect(headers.map { "\($0.name): \($0.value)" } == ["Mcp-Param-Region: us-west1", "Mcp-Param-Shard: 4"])
        #expect(mirror.headers(for: ["query": "SELECT 1"]).isEmpty)
        for invalid in [#"{"type":"object","properties":{"n":{"type":"number","x-mcp-header":"N"}}}"#,
                        #"{"type":"object","properties":{"a":{"type":"string","x-mcp-header":"A"},"b":{"type":"string","x-mcp-header":"a"}}}"#,
                        #"{"type":"object","properties":{"l":{"type":"array","items":{"type":"string","x-mcp-header":"L"}}}}"#,
                        #"{"type":"object","properties":{"s":{"type":"string","x-mcp-header":"Bad Name"}}}"#] {
            #expect(throws: MCPHeaderProblem.self, "\(invalid)") { try MCPHeaderMirror.of(try JSONValue.parse(invalid)).get() }
        }
    }
}
