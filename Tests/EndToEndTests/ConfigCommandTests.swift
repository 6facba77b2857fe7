import BosunJSON
import Foundation
import Testing
import TestSupport

/// `bosun config check` and `bosun roles`, run as a user runs them.
@Suite struct ConfigCommandTests {
    /// An empty workspace, so no stray `.bosun/` or `.claude/agents/` changes the answer.
    let directory = TemporaryDirectory(prefix: "bosun-cli")
    var workspace: String { directory.path }

    func bosun(_ arguments: [String], environment: [String: String] = [:]) throws -> ProcessResult {
        var env = ProcessInfo.processInfo.environment
        env["XDG_CONFIG_HOME"] = NSTemporaryDirectory() + "bosun-no-user-config-\(UUID().uuidString)"
        env["CLAUDE_CONFIG_DIR"] = NSTemporaryDirectory() + "bosun-no-user-agents-\(UUID().uuidString)"
        env.removeValue(forKey: "BOSUN_CONFIG")
        return try runProcess(BosunBinary.path, arguments, environment: env.merging(environment) { $1 })
    }

    @Test func checkPrintsTheEffectiveConfigWithKeysMasked() throws {
        defer { directory.remove() }
        let run = try bosun(["config", "check", "--workspace", workspace], environment: ["ANTHROPIC_API_KEY": "sk-ant-e2e-secret-0123456789"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("apiKeyEnv: ANTHROPIC_API_KEY (set)"))
        #expect(!run.stdout.contains("sk-ant-e2e-secret"))
        #expect(run.stdout.contains("coder:") && run.stderr.contains("config OK"))
    }

    /// An unset key is said once, naming every role it stops (it was said ten times over,
    /// once per built-in role), with how to try bosun without one.
    @Test func checkWarnsOnceAboutAnUnsetKeyNamingEveryRoleItStops() throws {
        defer { directory.remove() }
        let unset = try bosun(["config", "check", "--workspace", workspace], environment: ["ANTHROPIC_API_KEY": ""])
        #expect(unset.status == 0, "\(unset.stderr)")
        let warnings = unset.stderr.split(separator: "\n").filter { $0.hasPrefix("warning: ") }
        #expect(warnings.count == 1, "\(unset.stderr)")
        #expect(warnings.first?.hasPrefix("""
            warning: roles "analyst", "coder", "coordinator", "evaluator", "planner", "researcher", "synthesizer", \
            "transformer", "worker" and "writer" (provider anthropic) cannot run here: provider "anthropic" needs an API key: \
            set the environment variable ANTHROPIC_API_KEY
            """) == true, "\(unset.stderr)")
        #expect(warnings.first?.hasSuffix("To try bosun without a key, run it as `bosun serve --mock`") == true, "\(unset.stderr)")
        #expect(unset.stderr.contains("config OK (1 source, 10 roles, 1 warning)"), "\(unset.stderr)")
        let set = try bosun(["config", "check", "--workspace", workspace], environment: ["ANTHROPIC_API_KEY": "sk-ant-e2e-secret-0123456789"])
        #expect(!set.stderr.contains("warning:"), "\(set.stderr)")
    }

    @Test func anUnknownCommandIsAnErrorNotServesUsage() throws {
        let run = try bosun(["frobnicate"])
        #expect(run.status == 64)
        #expect(run.stderr.contains("unknown command 'frobnicate'") && !run.stderr.contains("--max-message-bytes"), "\(run.stderr)")
        #expect(run.stdout.isEmpty)
    }

    @Test func checkReportsFileLineAndKeyAndExitsTwo() throws {
        defer { directory.remove() }
        let file = try directory.write("bad.yaml", "session:\n  maxConcurrentWorkers: 4\nroles:\n  coder:\n    timeoutSeconds: x\n")
        let run = try bosun(["config", "check", "--config", file])
        #expect(run.status == 2)
        #expect(run.stderr == "error: \(file):5: roles.coder.timeoutSeconds: expected a positive number, got \"x\"\n", "\(run.stderr)")
        #expect(run.stdout.isEmpty)
    }

    @Test func rolesListsTheRolesAsTheMethodDoes() throws {
        defer { directory.remove() }
        let run = try bosun(["roles", "--json", "--workspace", workspace])
        #expect(run.status == 0, "\(run.stderr)")
        let roles = try JSONValue.parse(run.stdout)["roles"]?.arrayValue ?? []
        #expect(roles.compactMap { $0["name"]?.stringValue } == ["analyst", "coder", "coordinator", "evaluator", "planner", "researcher", "synthesizer", "transformer", "worker", "writer"])
        #expect(roles.first { $0["name"] == "coder" }?["limits"]?["timeoutSeconds"] == 900)
        let text = try bosun(["roles", "--workspace", workspace])
        #expect(text.stdout.contains("coder\n") && text.stdout.contains("limits:  15 min, 40 steps"))
    }
}
