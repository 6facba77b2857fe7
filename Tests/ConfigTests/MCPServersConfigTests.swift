import Foundation
import Testing
@testable import Config

@Suite struct MCPServersConfigTests {
    private func load(_ yaml: String, environment extra: [String: String] = [:]) throws -> BosunConfig {
        let box = try ConfigSandbox()
        defer { box.remove() }
        let file = try box.write("config.yaml", yaml)
        return try ConfigLoader.load(explicitPath: file, workspaceRoot: box.workspace, environment: box.environment.merging(extra) { $1 })
    }

    @Test func readsClaudeCodesShapeForBothTransports() throws {
        let config = try load("""
            mcpServers:
              github:
                command: npx
                args: ["-y", "@modelcontextprotocol/server-github"]
                env: { GITHUB_TOKEN: "${GH_TOKEN}" }
              docs:
                type: http
                url: https://docs.example.com/mcp
                headers: { Authorization: "Bearer ${DOCS_KEY:-none-given}" }
            mcp: { workspaceServers: true, callTimeoutSeconds: 5, maxResultBytes: 2048 }
            roles:
              triager: { model: fast, tools: [read_file, "mcp__github__*", mcp__docs__search] }
            """, environment: ["GH_TOKEN": "ghp_secret_value"])
        #expect(config.mcp.servers["github"]?.transport == .stdio(command: "npx", args: ["-y", "@modelcontextprotocol/server-github"],
                                                                   env: ["GITHUB_TOKEN": "${GH_TOKEN}"], cwd: nil))
        #expect(config.mcp.servers["docs"]?.transport == .http(url: "https://docs.example.com/mcp",
                                                                headers: ["Authorization": "Bearer ${DOCS_KEY:-none-given}"]))
        #expect(config.mcp.workspaceServers && config.mcp.callTimeoutSeconds == 5 && config.mcp.maxResultBytes == 2048)
        let role = try config.role(named: "triager")
        #expect(role.offersMCPTool("mcp__github__create_issue") && role.offersMCPTool("mcp__docs__search"))
        #expect(!role.offersMCPTool("mcp__docs__fetch") && !role.offersMCPTool("mcp__gitlab__x"))
        #expect(role.mayUseMCPServer(toolPrefix: "mcp__github__") && role.mayUseMCPServer(toolPrefix: "mcp__docs__"))
        #expect(!role.mayUseMCPServer(toolPrefix: "mcp__git__"))
        // Env and header values are secrets, once expanded.
        let secrets = config.secretValues(environment: ["GH_TOKEN": "ghp_secret_value"])
        #expect(secrets.contains("ghp_secret_value") && secrets.contains("Bearer none-given"))
    }

    @Test func expandsVariablesWithDefaults() {
        let env = ["HOME": "/home/u", "EMPTY": ""]
        #expect(MCPServerConfig.expand("${HOME}/bin:${EMPTY:-x}:${UNSET}:${UNSET:-d}", environment: env) == "/home/u/bin:x::d")
        #expect(MCPServerConfig.expand("no ${ end", environment: env) == "no ${ end")
    }

    @Test(arguments: [
        ("mcpServers: { s: { args: [x] } }", "mcpServers.s.command", "needs a command"),
        ("mcpServers: { s: { type: sse, url: 'http://h/sse' } }", "mcpServers.s.type", "Streamable HTTP"),
        ("mcpServers: { s: { url: 'ftp://h' } }", "mcpServers.s.url", "http:// or https://"),
        ("mcpServers: { s: { url: 'http://h/mcp', command: x } }", "mcpServers.s.command", "only url and headers"),
        ("mcpServers: { s: { command: x, headers: { a: b } } }", "mcpServers.s.headers", "takes env"),
        ("mcpServers: { s: { command: x, envv: {} } }", "mcpServers.s.envv", "unknown key"),
        ("mcp: { maxResultBytes: 10 }", "mcp.maxResultBytes", "at least 1024"),
        ("roles: { r: { model: fast, tools: [mcp__] } }", "roles.r.tools", "mcp__<server>__<tool>"),
        ("mcpServers: { s: { url: 'http://h/mcp', headers: { Authorization: 'Bearer abc' } } }", "mcpServers.s.headers.Authorization", "${VARIABLE}"),
        ("mcpServers: { s: { command: x, env: { GH: ghp_0123456789abcdefghijklmn } } }", "mcpServers.s.env.GH", "${VARIABLE}"),
    ])
    func refusesBadEntriesNamingTheField(yaml: String, key: String, says: String) throws {
        do {
            _ = try load(yaml)
            Issue.record("expected an error for \(yaml)")
        } catch let error as ConfigError {
            #expect(error.key == key, "\(error)")
            #expect("\(error)".contains(says), "\(error)")
        }
    }

    @Test func readsACPAndMCPJSONShapes() throws {
        let acp = try MCPServerConfig.fromACPJSON(["name": "fs", "command": "/bin/fs", "args": ["--root", "/"],
                                                   "env": [["name": "TOKEN", "value": "abcdefgh"]]], field: "mcpServers[0]")
        #expect(acp == MCPServerConfig(name: "fs", transport: .stdio(command: "/bin/fs", args: ["--root", "/"], env: ["TOKEN": "abcdefgh"], cwd: nil)))
        let http = try MCPServerConfig.fromACPJSON(["type": "http", "name": "web", "url": "http://127.0.0.1:9/mcp",
                                                    "headers": [["name": "X-Key", "value": "k"]]], field: "mcpServers[1]")
        #expect(http.transport == .http(url: "http://127.0.0.1:9/mcp", headers: ["X-Key": "k"]))
        #expect(throws: MCPServerConfigError.self) { try MCPServerConfig.fromACPJSON(["command": "x"], field: "mcpServers[2]") }
        #expect(throws: MCPServerConfigError.self) {
            try MCPServerConfig.fromClaudeCodeJSON(name: "x", ["command": "y", "args": "not-a-list"], field: "mcpServers.x")
        }
    }

    @Test func claudeCodeAgentsKeepTheirMCPTools() throws {
        let box = try ConfigSandbox()
        defer { box.remove() }
        try box.write("ws/.claude/agents/triager.md", """
            ---
            name: triager
            description: Triages issues.
            tools: Read, mcp__github__*, mcp__docs__search
            ---
            Triage.
            """)
        try box.trustWorkspace()
        let config = try ConfigLoader.load(explicitPath: nil, workspaceRoot: box.workspace, environment: box.environment)
        #expect(try config.role(named: "triager").tools == ["read_file", "mcp__github__*", "mcp__docs__search"])
        #expect(!config.warnings.contains { $0.contains("mcp__") }, "\(config.warnings)")
    }

    @Test func globsMatchLikeAShell() {
        #expect(RoleConfig.glob("mcp__github__*", matches: "mcp__github__create_issue"))
        #expect(RoleConfig.glob("mcp__*__search", matches: "mcp__docs__search"))
        #expect(RoleConfig.glob("mcp__db__q?ery", matches: "mcp__db__query"))
        #expect(!RoleConfig.glob("mcp__github__*", matches: "mcp__gitlab__x"))
        #expect(!RoleConfig.glob("mcp__a", matches: "mcp__ab"))
    }
}

/// What `bosun config check` says of the MCP servers a session would have.
@Suite struct MCPServersConfigCheckTests {
    @Test func showsEachServerWithItsSecretsRedacted() throws {
        let box = try ConfigSandbox()
        defer { box.remove() }
        let file = try box.write("config.yaml", """
            mcpServers:
              github: { command: /bin/sh, args: ["-c", "exec server"], env: { GITHUB_TOKEN: "${GH_TOKEN}", MODE: "quiet-mode-x1" } }
              docs: { url: "https://docs.example.com/mcp", headers: { Authorization: "Bearer ${DOCS_KEY}" } }
            """)
        let environment = box.environment.merging(["GH_TOKEN": "ghp_the_real_secret"]) { $1 }
        let config = try ConfigLoader.load(explicitPath: file, workspaceRoot: box.workspace, environment: environment)
        let text = config.effectiveYAML(environment: environment)
        #expect(!text.contains("ghp_the_real_secret") && !text.contains("quiet-mode-x1"), "\(text)")
        #expect(text.contains("GITHUB_TOKEN: ${GH_TOKEN} (GH_TOKEN set)"), "\(text)")
        #expect(text.contains("MODE: (redacted, 13 characters)"), "\(text)")
        #expect(text.contains("Authorization: Bearer ${DOCS_KEY} (DOCS_KEY NOT SET)"), "\(text)")
        #expect(text.contains("url: https://docs.example.com/mcp") && text.contains("source: mcpServers"), "\(text)")
        #expect(text.contains("workspaceServers: false (a workspace's .mcp.json is not used)"), "\(text)")
    }

    @Test func namesTheProblemsItCanSeeWithoutStartingAnything() throws {
        let box = try ConfigSandbox()
        defer { box.remove() }
        let file = try box.write("config.yaml", """
            mcpServers:
              missing: { command: no-such-mcp-server-anywhere }
              local: { command: ./not-here.sh }
              fine: { command: sh, env: { TOKEN: "${FINE_TOKEN}", LEVEL: "${LEVEL:-info}" } }
            mcp: { workspaceServers: true }
            roles:
              triager: { model: fast, tools: [read_file, "mcp__github__*", "mcp__fine__*"] }
            """)
        try box.write("ws/.mcp.json", #"{"mcpServers": {"fine": {"command": "sh"}}}"#)
        let environment = box.environment.merging(["PATH": "/usr/bin:/bin"]) { $1 }
        let warnings = try ConfigLoader.load(explicitPath: file, workspaceRoot: box.workspace, environment: environment)
            .mcpWarnings(environment: environment)
        #expect(warnings.contains { $0.contains("\"missing\"") && $0.contains("no-such-mcp-server-anywhere is not on PATH") }, "\(warnings)")
        #expect(warnings.contains { $0.contains("\"local\"") && $0.contains("not-here.sh is not an executable file") }, "\(warnings)")
        #expect(warnings.contains { $0.contains("\"fine\"") && $0.contains("${FINE_TOKEN}") && !$0.contains("LEVEL") }, "\(warnings)")
        #expect(warnings.contains { $0.contains("role \"triager\" lists mcp__github__*, which names no configured MCP server") }, "\(warnings)")
        #expect(!warnings.contains { $0.contains("mcp__fine__*") }, "\(warnings)")
        #expect(warnings.contains { $0.contains(".mcp.json") && $0.contains("bosun trust") }, "\(warnings)")
    }
}
