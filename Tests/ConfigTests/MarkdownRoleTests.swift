import Foundation
import Testing
@testable import Config

@Suite struct MarkdownRoleTests {
    @Test func claudeCodeAgentFilesLoad() throws {
        let box = try ConfigSandbox()
        defer { box.remove() }
        try box.write("ws/.claude/agents/code-reviewer.md", """
        ---
        name: code-reviewer
        description: Expert code review specialist. Use after writing code.
        tools: Read, Grep, Glob, Bash, TodoWrite
        model: sonnet
        color: blue
        hooks: { PreToolUse: [] }
        ---

        You are a senior code reviewer.
        Check for bugs first.
        """)
        try box.write("ws/.claude/agents/planner.md", """
        ---
        name: planner
        description: Plans.
        model: inherit
        ---
        Plan carefully.
        """)
        try box.trustWorkspace()
        let config = try ConfigLoader.load(explicitPath: nil, workspaceRoot: box.workspace, environment: box.environment)
        let reviewer = try config.role(named: "code-reviewer")
        #expect(reviewer.description == "Expert code review specialist. Use after writing code.")
        #expect(reviewer.tools == ["read_file", "search", "list_files", "run_command"])
        #expect(reviewer.permissions == ToolPermissions(exec: true))
        #expect(reviewer.model == "mid")
        #expect(reviewer.prompt == "You are a senior code reviewer.\nCheck for bugs first.")
        #expect(reviewer.source.hasSuffix(".claude/agents/code-reviewer.md:2"))
        #expect(config.warnings.contains { $0.contains("TodoWrite") })
        #expect(config.warnings.contains { $0.contains("code-reviewer.md:7: Claude Code key hooks") }, "\(config.warnings)")
        let planner = try config.role(named: "planner")
        #expect(planner.model == "orchestrator" && planner.tools == RoleConfig.readOnlyTools)
        #expect(try config.resolveModel(planner.model).modelId == "claude-opus-4-5")
    }

    /// As in Claude Code: `~/.claude/agents` (or `$CLAUDE_CONFIG_DIR/agents`) for every
    /// project, the project's `.claude/agents` winning on a name both define.
    @Test func userLevelClaudeCodeAgentsLoadAndProjectAgentsReplaceThem() throws {
        let box = try ConfigSandbox()
        defer { box.remove() }
        try box.write("home/.claude/agents/linter.md", "---\nname: linter\ndescription: Lints, from home.\n---\nLint.\n")
        try box.write("home/.claude/agents/tester.md", "---\nname: tester\ndescription: Tests, from home.\n---\nTest.\n")
        try box.write("ws/.claude/agents/tester.md", "---\nname: tester\ndescription: Tests, from the project.\n---\nTest here.\n")
        try box.trustWorkspace()
        let config = try ConfigLoader.load(explicitPath: nil, workspaceRoot: box.workspace, environment: box.environment)
        #expect(try config.role(named: "linter").description == "Lints, from home.")
        #expect(try config.role(named: "linter").source.hasSuffix("home/.claude/agents/linter.md:2"))
        #expect(try config.role(named: "tester").description == "Tests, from the project.")

        try box.write("claude-dir/agents/auditor.md", "---\nname: auditor\ndescription: Audits.\n---\nAudit.\n")
        var environment = box.environment
        environment["CLAUDE_CONFIG_DIR"] = "\(box.root)/claude-dir"
        let relocated = try ConfigLoader.load(explicitPath: nil, workspaceRoot: box.workspace, environment: environment)
        #expect(try relocated.role(named: "auditor").description == "Audits.")
        #expect(throws: ConfigError.self) { try relocated.role(named: "linter") }
    }

    @Test func bosunRoleFilesLoadAndReplaceABuiltInRole() throws {
        let box = try ConfigSandbox()
        defer { box.remove() }
        try box.write("ws/.bosun/roles/writer.md", """
        ---
        description: House-style writer.
        model: fast
        timeoutSeconds: 42
        ---
        Write in the house style.
        """)
        try box.trustWorkspace()
        let config = try ConfigLoader.load(explicitPath: nil, workspaceRoot: box.workspace, environment: box.environment)
        let writer = try config.role(named: "writer")
        #expect(writer.timeoutSeconds == 42 && writer.model == "fast" && writer.prompt == "Write in the house style.")
        #expect(writer.maxSteps == RoleConfig(name: "x").maxSteps, "a role file defines the role whole")
    }

    @Test func roleFileErrorsPointIntoTheMarkdownFile() throws {
        let box = try ConfigSandbox()
        defer { box.remove() }
        let file = try box.write("ws/.bosun/roles/bad.md", "---\ndescription: x\nmaxSteps: many\n---\nbody\n")
        try box.trustWorkspace()
        do {
            _ = try ConfigLoader.load(explicitPath: nil, workspaceRoot: box.workspace, environment: box.environment)
            Issue.record("expected an error")
        } catch let error as ConfigError {
            #expect(error.file == file && error.line == 3 && error.key == "roles.bad.maxSteps", "\(error)")
        }
        try box.write("ws/.bosun/roles/bad.md", "no front matter\n")
        try box.trustWorkspace()
        #expect(throws: ConfigError.self) {
            try ConfigLoader.load(explicitPath: nil, workspaceRoot: box.workspace, environment: box.environment)
        }
    }

    @Test func summariesListEveryRole() throws {
        let summaries = BosunConfig.builtIn.roleSummaries()
        #expect(summaries.map(\.name) == ["analyst", "coder", "coordinator", "evaluator", "planner", "researcher", "synthesizer", "transformer", "worker", "writer"])
        let data = try JSONEncoder().encode(summaries)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"timeoutSeconds\":900"))
    }
}

@Suite struct EffectiveConfigTests {
    @Test func theEffectiveConfigMasksKeysAndParsesAsYAML() throws {
        let environment = ["ANTHROPIC_API_KEY": "sk-ant-secret-value-123456789", "BOSUN_MOCK_URL": "http://127.0.0.1:9/v1"]
        let text = BosunConfig.builtIn.effectiveYAML(environment: environment)
        #expect(text.contains("apiKeyEnv: ANTHROPIC_API_KEY (set)"))
        #expect(text.contains("apiKeyEnv: OPENAI_API_KEY (NOT SET)"))
        #expect(text.contains("http://127.0.0.1:9/v1 (from BOSUN_MOCK_URL when set)"))
        #expect(!text.contains("sk-ant-secret-value"))
        #expect(text.contains("cacheRead: 0.3\n"), "prices print without float noise")
        let node = try ConfigNode.parse(yaml: text, file: "out")
        #expect(node["roles"]?["coder"]?["timeoutSeconds"] != nil)
    }
}
