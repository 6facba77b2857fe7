import BosunJSON
import Config
import Foundation
import Testing
import Workers
@testable import MCPClient
import TestSupport

/// Real MCP servers over real pipes: small `/bin/sh` scripts that speak just enough of the
/// protocol, so each failure a user can meet is one line away.
@Suite struct MCPClientTests {
    static let speaker = #"""
        while IFS= read -r line; do
          id=$(printf '%s' "$line" | sed -n 's/.*"id":\([0-9]*\).*/\1/p')
          case "$line" in
            *'"initialize"'*) printf '{"jsonrpc":"2.0","id":%s,"result":{"protocolVersion":"2025-06-18","capabilities":{"tools":{}},"serverInfo":{"name":"sh","version":"1"}}}\n' "$id";;
            *'"tools/list"'*) printf '{"jsonrpc":"2.0","id":%s,"result":{"tools":[{"name":"echo.it","description":"Says its pid","inputSchema":{"type":"object"}},{"name":"shot","inputSchema":{"type":"object"}}]}}\n' "$id";;
            *'"shot"'*) printf '{"jsonrpc":"2.0","id":%s,"result":{"content":[{"type":"image","mimeType":"image/png","data":"AAAA"},{"type":"resource","resource":{"uri":"file:///a.txt","text":"hello"}}]}}\n' "$id";;
            *'"tools/call"'*) if [ -n "$DIE_ONCE" ] && [ ! -e "$DIE_ONCE" ]; then : > "$DIE_ONCE"; echo "dying on purpose" >&2; exit 3; fi
                              printf '{"jsonrpc":"2.0","id":%s,"result":{"content":[{"type":"text","text":"pid %s"}]}}\n' "$id" "$$";;
            *'"id":'*) printf '{"jsonrpc":"2.0","id":%s,"error":{"code":-32601,"message":"Method not found"}}\n' "$id";;
          esac
        done
        """#

    func pool(_ script: String, env: [String: String] = [:], startTimeout: Double = 20) -> MCPServerPool {
        var settings = MCPSettings()
        settings.startTimeoutSeconds = startTimeout
        let server = MCPServerConfig(name: "sh", transport: .stdio(command: "/bin/sh", args: ["-c", script], env: env, cwd: nil))
        return MCPServerPool(servers: [server], settings: settings, environment: [:])
    }

    var role: RoleConfig {
        var role = RoleConfig(name: "r", source: "test")
        role.tools = ["mcp__sh__*"]
        return role
    }

    func context() -> ToolContext {
        ToolContext(sessionId: "s", workerId: "w", workspaceRoot: "/", permissions: ToolPermissions())
    }

    @Test func toolsGetSanitisedNamesAndAnswer() async throws {
        let pool = pool(Self.speaker)
        defer { Task { await pool.close() } }
        let tools = try await pool.tools(for: role, requested: nil)
        #expect(tools.map(\.spec.name) == ["mcp__sh__echo_it", "mcp__sh__shot"])
        #expect(tools[0].spec.description == "Says its pid")
        let output = try await tools[0].run([:], context: context())
        #expect(output.text.hasPrefix("pid ") && !output.isError)
        #expect(output.trace["mcp"]?["server"] == "sh" && output.trace["mcp"]?["tool"] == "echo.it")
        #expect(output.trace["mcp"]?["bytes"] == .int(Int64(output.text.utf8.count)))
        let picture = try await tools[1].run([:], context: context())
        #expect(picture.text == "[image: image/png, 3 bytes, not shown]\n[resource file:///a.txt]\nhello")
        // A role's exact names and a spawn's narrower list are kept to.
        var exact = role
        exact.tools = ["mcp__sh__shot"]
        #expect(try await pool.tools(for: exact, requested: nil).map(\.spec.name) == ["mcp__sh__shot"])
        #expect(try await pool.tools(for: role, requested: ["read_file"]).isEmpty)
        exact.tools = ["mcp__sh__gone"]
        await #expect(throws: MCPClientError.self) { try await pool.tools(for: exact, requested: nil) }
    }

    @Test func aMissingCommandSaysWhichServerAndWhatToCheck() async throws {
        let server = MCPServerConfig(name: "nope", transport: .stdio(command: "/nonexistent/mcp-server", args: [], env: [:], cwd: nil))
        let pool = MCPServerPool(servers: [server], settings: MCPSettings(), environment: [:])
        var role = RoleConfig(name: "r", source: "test")
        role.tools = ["mcp__nope__*"]
        do {
            _ = try await pool.tools(for: role, requested: nil)
            Issue.record("expected an error")
        } catch let error as MCPClientError {
            #expect(error.description.hasPrefix("MCP server nope: cannot start its command"), "\(error)")
            #expect(error.description.contains("No such file"), "\(error)")
        }
    }

    @Test func garbageOnStdoutEndsTheConnectionAndSaysSo() async throws {
        // The log line is written before the garbage: the client ends the server as soon as it
        // reads the garbage, so a log line written after it might never be written at all.
        let pool = pool("echo 'starting' >&2; echo 'Welcome to my server'; " + Self.speaker)
        do {
            _ = try await pool.tools(for: role, requested: nil)
            Issue.record("expected an error")
        } catch let error as MCPClientError {
            #expect(error.description.contains("not a JSON-RPC message to stdout (\"Welcome to my server\")"), "\(error)")
            #expect(error.description.contains("its stderr ends with: starting"), "\(error)")
        }
    }

    @Test func aServerThatHangsAtStartTimesOutWithItsStderr() async throws {
        let pool = pool("echo 'loading the index' >&2; exec sleep 60", startTimeout: 0.5)
        do {
            _ = try await pool.tools(for: role, requested: nil)
            Issue.record("expected an error")
        } catch let error as MCPClientError {
            #expect(error.description.contains("did not answer server/discover or initialize within 0.5 s"), "\(error)")
            #expect(error.description.contains("loading the index"), "\(error)")
        }
        await pool.close()
    }

    @Test func aServerThatDiesMidCallFailsTheCallAndIsStartedAgain() async throws {
        let directory = TemporaryDirectory(prefix: "mcp-die")
        defer { directory.remove() }
        let marker = directory.file("marker")
        let pool = pool(Self.speaker, env: ["DIE_ONCE": marker])
        defer { Task { await pool.close() } }
        let tool = try await pool.tools(for: role, requested: nil)[0]
        let failed = try await tool.run([:], context: context())
        #expect(failed.isError && failed.text.contains("MCP server sh:") && failed.text.contains("exited with status 3"), "\(failed.text)")
        #expect(failed.text.contains("dying on purpose"), "\(failed.text)")
        let again = try await tool.run([:], context: context())
        #expect(!again.isError && again.text.hasPrefix("pid "), "\(again.text)")
    }

    @Test func restartsWaitLongerTheMoreAServerDies() {
        #expect(MCPServerPool.backoff(failures: 0) == .zero && MCPServerPool.backoff(failures: 1) == .zero)
        #expect(MCPServerPool.backoff(failures: 2) == .milliseconds(250) && MCPServerPool.backoff(failures: 3) == .milliseconds(500))
        #expect(MCPServerPool.backoff(failures: 50) == .seconds(30))
    }

    @Test func namesAreSanitisedAndStayUnderSixtyFourCharacters() {
        #expect(MCPToolNaming.names(server: "my server", tools: ["a.b/c d!", "ok-name_1"]) == ["mcp__my_server__a_b_c_d_", "mcp__my_server__ok-name_1"])
        let twins = MCPToolNaming.names(server: "s", tools: ["a.b", "a/b"])
        #expect(twins[0] == "mcp__s__a_b" && twins[1].hasPrefix("mcp__s__a_b_") && twins[1].count == "mcp__s__a_b_".count + 8)
        let long = MCPToolNaming.names(server: "s", tools: [String(repeating: "é", count: 100)])[0]
        #expect(long.count == 64 && long.hasPrefix("mcp__s____"))
        #expect(MCPToolNaming.hash("x") == MCPToolNaming.hash("x"))
    }

    @Test func resultsAreBoundedAndStructuredContentIsKept() {
        let big = MCPResultText.render(["content": [["type": "text", "text": .string(String(repeating: "é", count: 5000))]]], maxBytes: 1001)
        #expect(big.bytes == 10000 && big.text.hasSuffix("[result cut: showing 1000 of 10000 bytes]"))
        let structured = MCPResultText.render(["content": [], "structuredContent": ["n": 1], "isError": true], maxBytes: 100)
        #expect(structured.text == #"{"n":1}"# && structured.isError)
    }
}
