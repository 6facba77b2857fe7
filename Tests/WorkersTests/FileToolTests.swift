import BosunJSON
import Config
import Foundation
import Testing
@testable import Workers

@Suite struct FileToolTests {
    @Test func readFileServesRangesCapsAndRefusesBinary() async throws {
        let workspace = try TestWorkspace()
        defer { workspace.remove() }
        try workspace.write("lines.txt", (1...100).map { "line \($0)" }.joined(separator: "\n") + "\n")
        try Data([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01]).write(to: URL(fileURLWithPath: "\(workspace.root)/image.png"))
        let tool = ReadFileTool(policy: ToolPolicy(readMaxBytes: 50))
        let context = workspace.context()
        let range = await call(ReadFileTool(policy: ToolPolicy()), ["path": "lines.txt", "offset": 10, "limit": 2], context)
        #expect(range.text == "line 10\nline 11\n[lines 10-11 of 100]", "\(range.text)")
        let capped = await call(tool, ["path": "lines.txt"], context)
        #expect(capped.text.hasPrefix("line 1\nline 2") && capped.text.contains("[truncated at 50 bytes"), "\(capped.text)")
        let binary = await call(tool, ["path": "image.png"], context)
        #expect(binary.text.contains("binary file (6 bytes)"))
        let past = await call(tool, ["path": "lines.txt", "offset": 500], context)
        #expect(past.isError && past.text.contains("past the end"))
        let missing = await call(tool, ["path": "nope.txt"], context)
        #expect(missing.isError && missing.text.contains("no such file"))
        let directory = await call(tool, ["path": "."], context)
        #expect(directory.isError && directory.text.contains("list_files"))
        let badInput = await call(tool, ["path": 5], context)
        #expect(badInput.isError && badInput.text.contains("`path` must be a string"))
    }

    private func populated() throws -> TestWorkspace {
        let workspace = try TestWorkspace()
        try workspace.write(".gitignore", "build/\n*.log\n!keep.log\n/rootonly.txt\n")
        try workspace.write("Sources/App/main.swift", "let greeting = \"hello\"\nprint(greeting)\n")
        try workspace.write("Sources/App/util.swift", "func helper() {}\n")
        try workspace.write("Sources/Lib/.gitignore", "generated.swift\n")
        try workspace.write("Sources/Lib/generated.swift", "let hello = 1\n")
        try workspace.write("Sources/Lib/lib.swift", "let Hello = 2\n")
        try workspace.write("build/out.swift", "let hello = 3\n")
        try workspace.write("debug.log", "hello log\n")
        try workspace.write("keep.log", "hello kept\n")
        try workspace.write("rootonly.txt", "hello root\n")
        try workspace.write("docs/rootonly.txt", "hello docs\n")
        try workspace.write(".git/config", "hello git\n")
        try workspace.write("README.md", "# Hello\n")
        return workspace
    }

    @Test func listFilesHonoursGitignoreGlobsAndLimits() async throws {
        let workspace = try populated()
        defer { workspace.remove() }
        let tool = ListFilesTool(policy: ToolPolicy())
        let all = await call(tool, [:], workspace.context())
        #expect(all.text.split(separator: "\n") == [".gitignore", "README.md", "Sources/App/main.swift", "Sources/App/util.swift",
                                                  "Sources/Lib/.gitignore", "Sources/Lib/lib.swift", "docs/rootonly.txt", "keep.log"], "\(all.text)")
        let swift = await call(tool, ["glob": "*.swift"], workspace.context())
        #expect(swift.text == "Sources/App/main.swift\nSources/App/util.swift\nSources/Lib/lib.swift")
        let anchored = await call(tool, ["glob": "Sources/**/m*.swift"], workspace.context())
        #expect(anchored.text == "Sources/App/main.swift")
        let braces = await call(tool, ["glob": "*.{md,log}"], workspace.context())
        #expect(braces.text == "README.md\nkeep.log")
        let sub = await call(tool, ["path": "Sources/Lib"], workspace.context())
        #expect(sub.text == "Sources/Lib/.gitignore\nSources/Lib/lib.swift")
        let limited = await call(tool, ["limit": 2], workspace.context())
        #expect(limited.text.hasSuffix("[stopped at 2 paths; narrow with path or glob]"))
    }

    @Test func searchFindsMatchesOutsideIgnoredFiles() async throws {
        let workspace = try populated()
        defer { workspace.remove() }
        let tool = SearchTool(policy: ToolPolicy())
        let hits = await call(tool, ["pattern": "hello"], workspace.context())
        #expect(hits.text.split(separator: "\n") == ["Sources/App/main.swift:1: let greeting = \"hello\"", "docs/rootonly.txt:1: hello docs",
                                                   "keep.log:1: hello kept"], "\(hits.text)")
        let folded = await call(tool, ["pattern": "^let hello", "caseInsensitive": true, "glob": "*.swift"], workspace.context())
        #expect(folded.text == "Sources/Lib/lib.swift:1: let Hello = 2", "\(folded.text)")
        let oneFile = await call(tool, ["pattern": "print", "path": "Sources/App/main.swift"], workspace.context())
        #expect(oneFile.text == "Sources/App/main.swift:2: print(greeting)")
        let none = await call(tool, ["pattern": "zzz"], workspace.context())
        #expect(none.text == "no matches")
        let bad = await call(tool, ["pattern": "("], workspace.context())
        #expect(bad.isError && bad.text.contains("invalid regular expression"))
        let capped = await call(SearchTool(policy: ToolPolicy(searchMaxMatches: 1)), ["pattern": "hello"], workspace.context())
        #expect(capped.text.hasSuffix("[stopped at 1 matches; narrow the pattern, path or glob]"))
    }

    @Test func htmlBecomesReadableText() {
        let html = """
            <html><head><title>A &amp; B</title><style>p{}</style></head><body><script>alert(1)</script>
            <h1>Heading</h1><p>First&nbsp;para with <a href="/x">a link</a>.</p><ul><li>one</li><li>two &#8212; &#x41;</li></ul>
            <!-- hidden --><table><tr><td>c1</td><td>c2</td></tr></table></body></html>
            """
        let text = HTMLText.text(fromHTML: html)
        #expect(text.hasPrefix("Title: A & B\n\n# Heading"), "\(text)")
        #expect(text.contains("First para with a link."))
        #expect(text.contains("- one\n- two — A"))
        #expect(!text.contains("alert") && !text.contains("hidden") && !text.contains("<"))
    }

    @Test(arguments: [
        ("127.0.0.1", "loopback"), ("10.1.2.3", "private"), ("172.31.255.255", "private"), ("192.168.0.1", "private"),
        ("169.254.169.254", "link-local"), ("0.0.0.0", "unspecified"), ("100.64.1.1", "carrier-grade"), ("224.0.0.1", "multicast"),
        ("::1", "loopback"), ("::", "unspecified"), ("fe80::1", "link-local"), ("fd12::1", "private"), ("::ffff:8.8.8.8", "IPv4-mapped"),
        ("64:ff9b::7f00:1", "NAT64"), ("2002:7f00:1::", "6to4"), ("ff02::1", "multicast"),
        // IPv4-translated (::ffff:0:0/96), local-use NAT64 (64:ff9b:1::/48), and the rest of ::/8.
        ("::ffff:0:127.0.0.1", "IPv4-translated"), ("::ffff:0:8.8.8.8", "IPv4-translated"), ("64:ff9b:1::a00:1", "NAT64"),
        ("::1:0:0:7f00:1", "reserved"), ("2001:10::1", "IETF"), ("3fff::1", "documentation"),
    ])
    func privateAddressesAreClassified(_ literal: String, _ reason: String) throws {
        let address = try #require(IPAddress(literal: literal))
        #expect(AddressPolicy.refusalReason(address)?.contains(reason) == true, "\(literal): \(String(describing: AddressPolicy.refusalReason(address)))")
    }

    @Test func publicAddressesPass() throws {
        for literal in ["8.8.8.8", "1.1.1.1", "172.32.0.1", "2606:4700:4700::1111", "2a00:1450:4001::1"] {
            #expect(AddressPolicy.refusalReason(try #require(IPAddress(literal: literal))) == nil, "\(literal)")
        }
    }

    @Test func theRegistryOffersASubsetOfTheRolesTools() throws {
        let registry = ToolRegistry(policy: ToolPolicy(), claims: InMemoryClaims())
        let researcher = try BosunConfig.builtIn.role(named: "researcher")
        #expect(try registry.tools(for: researcher, requested: ["read_file"]).map(\.spec.name) == ["read_file"])
        #expect(Set(try registry.tools(for: researcher, requested: nil).map(\.spec.name)) == Set(researcher.tools))
        do {
            _ = try registry.tools(for: researcher, requested: ["write_file"])
            Issue.record("expected a refusal")
        } catch let error as ToolError {
            #expect(error.message.contains("not offered by role researcher"))
        }
        #expect(ToolRegistry.knownToolNames.count == 7)
    }

    @Test func everyToolSpecIsAValidSchemaThatAcceptsItsOwnExample() throws {
        let registry = ToolRegistry(policy: ToolPolicy(), claims: InMemoryClaims())
        let all = RoleConfig(name: "all", tools: RoleConfig.toolNames, permissions: ToolPermissions(write: true, exec: true))
        let examples: [String: JSONValue] = [
            "read_file": ["path": "a.txt", "offset": 1, "limit": 5], "list_files": ["glob": "*.swift"],
            "search": ["pattern": "x", "caseInsensitive": true], "fetch_url": ["url": "https://example.com"],
            "run_command": ["command": ["swift", "test"], "timeoutSeconds": 30], "write_file": ["path": "a.txt", "content": "x"],
            "ask": ["question": "Which database?", "options": ["postgres", "sqlite"]],
        ]
        for tool in try registry.tools(for: all, requested: nil) {
            #expect(JSONSchemaValidator.problems(inSchema: tool.spec.inputSchema).isEmpty, "\(tool.spec.name)")
            let example = try #require(examples[tool.spec.name])
            #expect(JSONSchemaValidator.validate(example, against: tool.spec.inputSchema).isEmpty, "\(tool.spec.name)")
            #expect(!JSONSchemaValidator.validate(["unexpected": 1], against: tool.spec.inputSchema).isEmpty, "\(tool.spec.name)")
        }
    }
}
