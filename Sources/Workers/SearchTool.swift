import BosunJSON
import Config
import Foundation
import Providers
import Workspace

/// `search`: a regular expression over the workspace's text files, honouring `.gitignore`.
///
/// ripgrep does the matching, as a child process: its engine runs in time linear in the
/// input whatever the pattern, and a worker's deadline or cancel kills it (an in-process
/// backtracking engine once held two threads of the cooperative pool for 41 s on one
/// pathological pattern). It runs in the sandbox when bubblewrap is there, so however the
/// workspace's entries are swapped while it walks, nothing outside the workspace exists for it.
struct SearchTool: WorkerTool {
    let policy: ToolPolicy
    /// The sandbox binary, found when the tool runs.
    let bubblewrap: Bubblewrap
    /// ripgrep; nil when it is not installed.
    let ripgrep: String?
    /// Paths the sandbox hides wherever they live (the trace store's directory, bosun's config files).
    let privatePaths: [String]
    /// Made once: a spec encodes its schema, and every model call of a run sends it.
    let spec: ToolSpec
    /// Longest line shown in a match, so one minified file cannot flood the answer.
    static let maxLineLength = 300
    /// Output kept from ripgrep: its JSON lines for a few thousand matches.
    static let outputCap = 8 << 20

    /// `rg` on PATH, looked up once.
    static let ripgrepPath: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/rg" }.first { access($0, X_OK) == 0 }
    }()

    init(policy: ToolPolicy, bubblewrap: Bubblewrap = .probedWhenRun, ripgrep: String? = Self.ripgrepPath,
         privatePaths: [String] = []) {
        self.policy = policy
        self.bubblewrap = bubblewrap
        self.ripgrep = ripgrep
        self.privatePaths = privatePaths
        spec = Self.spec(policy: policy)
    }

    static func spec(policy: ToolPolicy) -> ToolSpec {
        ToolSpec(name: "search", description: """
            Search the workspace's text files for a regular expression (Rust regex syntax, as ripgrep), line by line; \
            skips .git, what .gitignore ignores, binary files, symlinks and files over \(policy.searchMaxFileBytes) bytes. \
            Answers `path:line: text`, at most `limit` matches (cap \(policy.searchMaxMatches)).
            """, inputSchema: [
                "type": "object",
                "properties": [
                    "pattern": ["type": "string", "description": "Regular expression"],
                    "path": ["type": "string", "description": "Directory or file to search (default: the workspace root)"],
                    "glob": ["type": "string", "description": "Only files whose path matches this glob"],
                    "caseInsensitive": ["type": "boolean"],
                    "limit": ["type": "integer", "minimum": 1],
                ],
                "required": ["pattern"],
                "additionalProperties": false,
            ])
    }

    func run(_ input: JSONValue, context: ToolContext) async throws -> ToolOutput {
        let args = try ToolInput(input, tool: "search")
        let pattern = try args.requiredString("pattern")
        let path = try args.string("path") ?? "."
        let glob = try args.string("glob").map { try GlobPattern($0) }
        let limit = min(try args.int("limit", minimum: 1) ?? policy.searchMaxMatches, policy.searchMaxMatches)
        let caseInsensitive = try args.bool("caseInsensitive") == true
        guard let ripgrep else {
            throw ToolError("""
                search is unavailable: it needs ripgrep (rg), which is not installed on this machine. Ask the operator \
                to install it (apt-get install ripgrep); meanwhile use list_files and read_file.
                """)
        }
        let bubblewrap = self.bubblewrap
        let (root, start, bwrap) = try await BlockingWork.run { () throws -> (String, String, String?) in
            let workspace = try WorkspaceDirectory(context.workspaceRoot)
            let start = try workspace.relative(path)
            // The start must exist inside the workspace; the same answer for every path outside.
            let descriptor = try workspace.open(start, flags: WorkspaceDirectory.pathOnly, shownAs: path)
            close(descriptor)
            return (workspace.path, start, bubblewrap.blockingPath)
        }
        var command = [ripgrep, "--json", "--no-config", "--sort", "path", "--hidden", "--no-require-git",
                       "--no-ignore-dot", "--no-ignore-global", "--no-ignore-exclude", "--glob", "!.git",
                       "--max-filesize", String(policy.searchMaxFileBytes), "--max-count", String(limit + 1)]
        if caseInsensitive { command.append("--ignore-case") }
        command += ["--regexp", pattern, "--", start.isEmpty ? "." : start]
        let argv: [String]
        if let bwrap {
            let view = SandboxView(workspaceRoot: root, privatePaths: privatePaths, layer: context.layer)
            argv = Sandbox.wrap(command, bwrap: bwrap, view: view, cwd: root)
        } else if policy.sandbox == .allowUnsandboxed, context.layer == nil {
            argv = command
        } else {
            throw ToolError("""
                search is unavailable: bubblewrap (bwrap) is not installed or cannot create namespaces here, and \
                search only runs sandboxed (a worker with a layer sees its changes only there). Ask the operator to install it (apt-get install bubblewrap) or to set \
                tools.sandbox: allowUnsandboxed in bosun's config.
                """)
        }
        let outcome = try await ProcessRunner.run(argv, cwd: bwrap == nil ? root : nil, environment: ["PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8"],
                                                  timeout: policy.commandTimeoutSeconds, outputCap: Self.outputCap)
        try Task.checkCancellation()
        if outcome.timedOut {
            throw ToolError("search: gave up after \(Int(policy.commandTimeoutSeconds)) s; narrow the path or the pattern")
        }
        return try Self.render(outcome, pattern: pattern, limit: limit, glob: glob, allowCredentials: policy.allowCredentialFiles)
    }

    /// `path:line: text` for each match ripgrep reported, filtered by the glob.
    static func render(_ outcome: ProcessOutcome, pattern: String, limit: Int, glob: GlobPattern?, allowCredentials: Bool) throws -> ToolOutput {
        var matches: [String] = []
        var more = outcome.totalOutputBytes > outcome.output.count
        var problems: [String] = []
        let decoder = JSONDecoder()
        for line in outcome.output.split(separator: UInt8(ascii: "\n")) {
            guard line.first == UInt8(ascii: "{") else {
                problems.append(String(decoding: line, as: UTF8.self))
                continue
            }
            guard let message = try? decoder.decode(RipgrepMessage.self, from: Data(line)), message.type == "match",
                  let data = message.data, var relative = data.path?.text, let number = data.lineNumber else { continue }
            if relative.hasPrefix("./") { relative.removeFirst(2) }
            if let glob, !glob.matches(relative) { continue }
            if !allowCredentials && CredentialPaths.match(relative) != nil { continue }
            if matches.count == limit { more = true; break }
            var text = data.lines?.text ?? ""
            while text.hasSuffix("\n") || text.hasSuffix("\r") { text.removeLast() }
            let shown = text.count > maxLineLength ? String(text.prefix(maxLineLength)) + "…" : text
            matches.append("\(relative):\(number): \(shown)")
        }
        // Exit 2 is an error: a pattern ripgrep cannot parse, or a file it could not read.
        if matches.isEmpty && outcome.exitCode == 2 && !problems.isEmpty {
            let said = problems.joined(separator: "\n").prefix(2_000)
            if said.contains("regex parse error") || said.contains("error: ") && said.contains("regex") {
                throw ToolError("search: invalid regular expression \"\(pattern)\" (Rust regex syntax, as ripgrep):\n\(said)")
            }
            throw ToolError("search: \(said)")
        }
        if matches.isEmpty { return ToolOutput(text: "no matches") }
        if more { matches.append("[stopped at \(limit) matches; narrow the pattern, path or glob]") }
        return ToolOutput(text: matches.joined(separator: "\n"))
    }
}

extension SearchTool {
    /// A search under this sandbox binary (nil: none), rather than the one probed when it runs.
    init(policy: ToolPolicy, bwrap: String?, ripgrep: String? = Self.ripgrepPath, privatePaths: [String] = []) {
        self.init(policy: policy, bubblewrap: .given(bwrap), ripgrep: ripgrep, privatePaths: privatePaths)
    }
}

/// The fields of ripgrep's `--json` lines that `search` reads.
private struct RipgrepMessage: Decodable {
    struct Text: Decodable { var text: String? }
    struct Payload: Decodable {
        var path: Text?
        var lines: Text?
        var lineNumber: Int?
        enum CodingKeys: String, CodingKey { case path, lines, lineNumber = "line_number" }
    }
    var type: String
    var data: Payload?
}
