import BosunJSON
import Foundation
import Testing
@testable import Config

/// Approval patterns: what each matches, the escape attempts each must not let through, and
/// the errors for patterns that cannot be used.
@Suite struct ApprovalRuleTests {
    /// A policy of one set of rules (a role's).
    private func policy(allow: [String] = [], ask: [String] = [], deny: [String] = [],
                        otherwise: ApprovalDecision = .allow) throws -> ApprovalPolicy {
        try ApprovalPolicy([ApprovalRules(allow: allow, ask: ask, deny: deny, otherwise: otherwise, origin: "role r")])
    }

    private func command(_ argv: [String], root: String = "/tmp") -> ApprovalCall {
        ApprovalCall(tool: "run_command", input: ["command": .array(argv.map(JSONValue.string))], workspaceRoot: root)
    }

    private func file(_ path: String, tool: String = "write_file", root: String) -> ApprovalCall {
        ApprovalCall(tool: tool, input: ["path": .string(path), "content": "x"], workspaceRoot: root)
    }

    private func fetch(_ url: String) -> ApprovalCall {
        ApprovalCall(tool: "fetch_url", input: ["url": .string(url)], workspaceRoot: "/tmp")
    }

    // MARK: - Commands

    struct CommandCase: Sendable, CustomStringConvertible {
        var pattern: String
        var argv: [String]
        var matches: Bool
        var description: String { "\(pattern) vs \(argv)" }
    }

    static let commandCases: [CommandCase] = [
        CommandCase(pattern: "npm test *", argv: ["npm", "test"], matches: true),
        CommandCase(pattern: "npm test *", argv: ["npm", "test", "--", "-t", "parser"], matches: true),
        CommandCase(pattern: "npm test *", argv: ["npm", "testing"], matches: false),
        CommandCase(pattern: "npm test", argv: ["npm", "test", "x"], matches: false),
        CommandCase(pattern: "npm run test:*", argv: ["npm", "run", "test", "unit"], matches: true),
        CommandCase(pattern: "git * main", argv: ["git", "merge", "--ff-only", "main"], matches: true),
        CommandCase(pattern: "git * main", argv: ["git", "merge", "main2"], matches: false),
        CommandCase(pattern: "ls*", argv: ["lsof"], matches: true),
        CommandCase(pattern: "ls*", argv: ["ls", "-la"], matches: false),
        CommandCase(pattern: "echo 'a b'", argv: ["echo", "a b"], matches: true),
        CommandCase(pattern: "echo 'a b'", argv: ["echo", "a", "b"], matches: false),
        CommandCase(pattern: "echo '*'", argv: ["echo", "x"], matches: false),
        CommandCase(pattern: "echo \\*", argv: ["echo", "*"], matches: true),
        CommandCase(pattern: "*", argv: ["anything", "at", "all"], matches: true),
        // Escape attempts: a shell line squeezed into one argv never matches word by word.
        CommandCase(pattern: "npm test *", argv: ["npm", "test;", "rm", "-rf", "/"], matches: false),
        CommandCase(pattern: "npm test *", argv: ["npm test; rm -rf /"], matches: false),
        CommandCase(pattern: "npm test *", argv: ["sh", "-c", "npm test; rm -rf /"], matches: false),
        CommandCase(pattern: "npm test *", argv: ["./npm", "test"], matches: false),
    ]

    @Test(arguments: commandCases)
    func allowRulesMatchTheArgvWordByWord(_ testCase: CommandCase) throws {
        let verdict = try policy(allow: ["run_command(\(testCase.pattern))"], otherwise: .deny).decide(command(testCase.argv))
        #expect((verdict.decision == .allow) == testCase.matches, "\(verdict)")
    }

    static let denyEscapes: [[String]] = [
        ["rm", "-rf", "/"],
        ["/bin/rm", "-rf", "/"],
        ["env", "FOO=1", "rm", "-rf", "/"],
        ["timeout", "5", "rm", "-rf", "/"],
        ["nice", "-n", "10", "/usr/bin/rm", "x"],
        ["xargs", "-n", "1", "rm"],
        ["sh", "-c", "npm test; rm -rf /"],
        ["bash", "-lc", "echo hi && rm -rf / || true"],
        ["sh", "-c", "echo $(rm -rf /)"],
        ["busybox", "rm", "x"],
    ]

    @Test(arguments: denyEscapes)
    func aDenyRuleSeesThroughPathsWrappersAndShellScripts(_ argv: [String]) throws {
        let verdict = try policy(deny: ["run_command(rm *)"]).decide(command(argv))
        #expect(verdict.decision == .deny, "\(argv): \(verdict)")
        #expect(verdict.rule == "run_command(rm *)")
    }

    @Test func anAllowRuleDoesNotApproveWhatAWrapperRuns() throws {
        let rules = try policy(allow: ["run_command(env *)", "run_command(npm test *)"], ask: ["run_command(rm *)"])
        #expect(rules.decide(command(["env", "npm", "test"])).decision == .allow)
        #expect(rules.decide(command(["env", "rm", "x"])).decision == .ask)
    }

    // MARK: - Paths

    @Test func pathRulesMatchThePathInsideTheWorkspace() throws {
        let box = try ConfigSandbox()
        defer { box.remove() }
        try box.write("ws/src/a.swift", "")
        try box.write("ws/.git/config", "")
        try FileManager.default.createSymbolicLink(atPath: "\(box.workspace)/src/cfg", withDestinationPath: "../.git")
        let rules = try policy(allow: ["write_file(src/**)"], deny: ["write_file(/.git/**)"], otherwise: .ask)
        let root = box.workspace
        #expect(rules.decide(file("src/a.swift", root: root)).decision == .allow)
        #expect(rules.decide(file("./src/new/b.swift", root: root)).decision == .allow)
        #expect(rules.decide(file("\(root)/src/a.swift", root: root)).decision == .allow)
        #expect(rules.decide(file("README.md", root: root)).decision == .ask)
        // `..` is applied before matching, and a symlink is followed: both are .git's.
        #expect(rules.decide(file("src/../.git/config", root: root)).decision == .deny)
        #expect(rules.decide(file("src/cfg/config", root: root)).decision == .deny)
        let allowOnly = try policy(allow: ["write_file(src/**)"], otherwise: .ask)
        #expect(allowOnly.decide(file("src/cfg/config", root: root)).decision == .ask)
        #expect(allowOnly.decide(file("src/../../outside.txt", root: root)).decision == .ask)
        #expect(allowOnly.decide(file("/etc/passwd", root: root)).decision == .ask)
    }

    @Test func aPatternWithoutASlashMatchesANameAtAnyDepth() throws {
        let box = try ConfigSandbox()
        defer { box.remove() }
        let rules = try policy(deny: ["read_file(.env)", "read_file(*.pem)"])
        #expect(rules.decide(file("config/.env", tool: "read_file", root: box.workspace)).decision == .deny)
        #expect(rules.decide(file("a/b/key.pem", tool: "read_file", root: box.workspace)).decision == .deny)
        #expect(rules.decide(file("a/b/key.pub", tool: "read_file", root: box.workspace)).decision == .allow)
        // list_files and search are matched on the directory they are given, `.` by default.
        let listing = ApprovalCall(tool: "list_files", input: [:], workspaceRoot: box.workspace)
        #expect(try policy(deny: ["list_files(/.)"]).decide(listing).decision == .deny)
    }

    // MARK: - URLs and other tools

    @Test func urlRulesMatchTheURLFetchURLConnectsTo() throws {
        let rules = try policy(allow: ["fetch_url(https://docs.*)"], deny: ["fetch_url(domain:*.evil.example)"], otherwise: .ask)
        #expect(rules.decide(fetch("https://docs.swift.org/x")).decision == .allow)
        #expect(rules.decide(fetch("HTTPS://DOCS.swift.org:443/x")).decision == .allow)
        #expect(rules.decide(fetch("https://example.com/docs.html")).decision == .ask)
        // User information is not the host: this URL goes to evil.example.
        #expect(rules.decide(fetch("https://docs.swift.org@www.evil.example/")).decision == .deny)
        #expect(try policy(allow: ["fetch_url(https://docs.*)"], otherwise: .ask)
            .decide(fetch("https://docs.swift.org@elsewhere.example/")).decision == .ask)
        #expect(rules.decide(fetch("not a url")).decision == .ask)
    }

    @Test func mcpAndBareToolNamesMatchByName() throws {
        let rules = try policy(ask: ["mcp__github__*"], deny: ["mcp__db", "fetch_url"])
        let call = { (tool: String) in ApprovalCall(tool: tool, input: [:], workspaceRoot: "/tmp") }
        #expect(rules.decide(call("mcp__github__create_issue")).decision == .ask)
        #expect(rules.decide(call("mcp__db__drop")).decision == .deny)
        #expect(rules.decide(call("mcp__dbx__drop")).decision == .allow)
        #expect(rules.decide(fetch("https://docs.swift.org")).decision == .deny)
    }

    @Test func theDefaultNeverAppliesToAskingOrWaitingForChildren() throws {
        let call = { (tool: String) in ApprovalCall(tool: tool, input: [:], workspaceRoot: "/tmp") }
        let closed = try policy(otherwise: .deny)
        #expect(closed.decide(call("ask")).decision == .allow)
        #expect(closed.decide(call("await_workers")).decision == .allow)
        #expect(closed.decide(call("spawn_worker")).decision == .deny)
        #expect(try policy(deny: ["ask"], otherwise: .deny).decide(call("ask")).decision == .deny)
    }

    // MARK: - Precedence and narrowing

    @Test func denyWinsOverAskAndAskOverAllow() throws {
        let rules = try policy(allow: ["run_command(git *)"], ask: ["run_command(git push *)"], deny: ["run_command(git push --force *)"])
        #expect(rules.decide(command(["git", "status"])).decision == .allow)
        #expect(rules.decide(command(["git", "push", "origin"])).decision == .ask)
        let forced = rules.decide(command(["git", "push", "--force", "origin"]))
        #expect(forced.decision == .deny)
        #expect(forced.explanation == "deny rule run_command(git push --force *) of role r")
        #expect(rules.decide(command(["ls"])).explanation == "default of role r (allow: no rule matched)")
    }

    @Test func anAddedSetNarrowsButNeverWidens() throws {
        let role = ApprovalRules(ask: ["run_command(npm publish *)"], deny: ["run_command(rm *)"], otherwise: .allow, origin: "role r")
        let spawn = ApprovalRules(allow: ["run_command(*)"], deny: ["write_file"], otherwise: .ask, origin: "spawn")
        let both = try ApprovalPolicy([role, spawn])
        // The spawn's allow of everything widens nothing: the role's deny and ask still hold.
        #expect(both.decide(command(["rm", "x"])).decision == .deny)
        let publish = both.decide(command(["npm", "publish"]))
        #expect(publish.decision == .ask && publish.origin == "role r")
        // What the spawn narrows, it narrows: its deny and its default.
        #expect(both.decide(ApprovalCall(tool: "write_file", input: ["path": "a"], workspaceRoot: "/tmp")).decision == .deny)
        #expect(both.decide(ApprovalCall(tool: "read_file", input: ["path": "a"], workspaceRoot: "/tmp")).decision == .ask)
        #expect(both.decide(command(["ls"])).decision == .allow)
    }

    // MARK: - Errors

    static let badPatterns: [(pattern: String, says: String)] = [
        ("run_command(npm test && rm *)", "`&&` is a shell operator"),
        ("run_command(npm test | tee x)", "`|` is a shell operator"),
        ("run_command(* rm)", "starts with the program"),
        ("run_command()", "empty specifier"),
        ("run_command(echo 'open)", "never closed"),
        ("run_command(npm test", "does not close"),
        ("Bash(npm test *)", "bosun's tool is run_command: write run_command(npm test *)"),
        ("hack", "unknown tool \"hack\""),
        ("submit_result", "cannot be ruled"),
        ("write_file(../x)", ".. component"),
        ("read_file(~/secrets/**)", "outside the workspace"),
        ("read_file(//etc/passwd)", "outside the workspace"),
        ("write_file(src/{a,b)", "not a valid glob"),
        ("fetch_url(docs.rs)", "neither a URL pattern"),
        ("fetch_url(domain:)", "takes a host name"),
        ("mcp__github__x(owner)", "matched by name only"),
        ("spawn_worker(reviewer)", "takes no specifier"),
    ]

    @Test(arguments: badPatterns.indices)
    func aPatternThatCannotBeUsedSaysWhy(_ index: Int) {
        let (pattern, says) = Self.badPatterns[index]
        #expect {
            _ = try ApprovalRule(pattern)
        } throws: { error in
            (error as? ApprovalRuleError)?.message.contains(says) == true
        }
    }

    @Test func aBadPatternInTheConfigNamesTheFileLineRoleAndPattern() throws {
        let box = try ConfigSandbox()
        defer { box.remove() }
        let file = try box.write("config.yaml", """
            roles:
              cleaner:
                tools: [run_command]
                permissions: [exec]
                approval:
                  ask: [run_command]
                  deny:
                    - run_command(rm *)
                    - Bash(rm -rf *)
            """)
        do {
            _ = try ConfigLoader.load(explicitPath: file, workspaceRoot: box.workspace, environment: box.environment)
            Issue.record("expected a ConfigError")
        } catch let error as ConfigError {
            #expect(error.file == file && error.line == 9, "\(error)")
            #expect(error.key == "roles.cleaner.approval.deny[1]", "\(error)")
            #expect(error.message.contains("role cleaner: deny pattern \"Bash(rm -rf *)\""), "\(error)")
            #expect(error.message.contains("write run_command(rm -rf *)"), "\(error)")
        }
        try box.write("config.yaml", "roles:\n  r:\n    approval: { default: maybe }\n")
        #expect(throws: ConfigError.self) {
            try ConfigLoader.load(explicitPath: file, workspaceRoot: box.workspace, environment: box.environment)
        }
    }

    @Test func rolesReadTheirRulesFromYAMLAndFromMarkdownFrontMatter() throws {
        let box = try ConfigSandbox()
        defer { box.remove() }
        let file = try box.write("config.yaml", """
            roles:
              cleaner:
                tools: [run_command]
                permissions: [exec]
                approval: { deny: run_command(rm *), default: ask }
            """)
        try box.write("ws/.bosun/roles/publisher.md", """
            ---
            tools: [run_command, fetch_url]
            permissions: [exec]
            approval:
              allow: [fetch_url(domain:docs.rs)]
              ask: [run_command(npm publish *)]
            ---
            Publish the package.
            """)
        try box.trustWorkspace()
        let config = try ConfigLoader.load(explicitPath: file, workspaceRoot: box.workspace, environment: box.environment)
        let cleaner = try config.role(named: "cleaner").approval
        #expect(cleaner == ApprovalRules(deny: ["run_command(rm *)"], otherwise: .ask, origin: "role cleaner"))
        let publisher = try config.role(named: "publisher").approval
        #expect(publisher.allow == ["fetch_url(domain:docs.rs)"] && publisher.ask == ["run_command(npm publish *)"])
        #expect(try config.role(named: "worker").approval.isEmpty)
    }
}
