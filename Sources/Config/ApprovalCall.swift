import BosunJSON
import Foundation
import Workspace

/// A tool call as approval rules see it: the tool, and the names its input goes by.
///
/// - `run_command`: the argv. Deny and ask rules also see the program by its name when it
///   is given by path, the command behind a wrapper (`env`, `timeout 5`, `xargs`, …) and
///   each command of a `sh -c` script (`CommandForms`); an allow rule must match the argv as
///   written.
/// - `read_file`, `write_file`, `list_files`, `search`: the path (`.` when none is given),
///   relative to the workspace root, once with `.` and `..` applied and once with symlinks
///   resolved: `src/../.git/config` is `.git/config`, and a symlink `src/cfg` to `.git` is
///   `.git` too. Allow rules must match both; a path that leaves the workspace matches none.
/// - `fetch_url`: the URL rebuilt from its parts (scheme and host in lower case, no user
///   information, no default port, no fragment), and for `domain:` its host. Deny and ask
///   rules also see the URL as written; allow rules only the rebuilt one, so
///   `https://docs.rs@evil.example/` is a URL of `evil.example`.
/// - any other tool (MCP tools included): its name only.
public struct ApprovalCall: Sendable {
    public let tool: String
    let subject: Subject
    /// The call in rule syntax: `run_command(npm test)`, `write_file(src/a.swift)`.
    public let text: String

    /// What a call's input is known as: `decisive` must all match an allow rule; any of
    /// `all` (which holds them) is enough for a deny or ask rule.
    struct Forms<T: Sendable>: Sendable {
        var decisive: [T]
        var all: [T]
    }

    enum Subject: Sendable {
        case none
        case command(Forms<[String]>)
        case path(Forms<String>)
        case url(Forms<String>, hosts: Forms<String>)
    }

    /// `workspaceRoot`: what relative paths are relative to (its real path is used).
    public init(tool: String, input: JSONValue, workspaceRoot: String) {
        self.tool = tool
        if ApprovalRule.commandTools.contains(tool), let argv = input["command"]?.arrayValue?.compactMap(\.stringValue),
           !argv.isEmpty, argv.count == input["command"]?.arrayValue?.count {
            subject = .command(Forms(decisive: [argv], all: CommandForms.all(argv)))
            text = "\(tool)(\(argv.map(ShellWords.quoted).joined(separator: " ")))"
        } else if ApprovalRule.pathTools.contains(tool) {
            let path = input["path"]?.stringValue ?? "."
            subject = .path(Self.pathForms(path, root: workspaceRoot))
            text = "\(tool)(\(path))"
        } else if ApprovalRule.urlTools.contains(tool), let url = input["url"]?.stringValue {
            let (urls, hosts) = Self.urlForms(url)
            subject = .url(urls, hosts: hosts)
            text = "\(tool)(\(url))"
        } else {
            subject = .none
            text = tool
        }
    }

    /// What identifies the call for an `allow_always` answer: the tool and the decisive
    /// forms of its input, so the same command, path or URL is not asked again.
    public var identity: String {
        switch subject {
        case .none: return tool
        case .command(let forms): return "\(tool)\u{0}" + forms.decisive.map { $0.joined(separator: "\u{1}") }.joined(separator: "\u{2}")
        case .path(let forms): return "\(tool)\u{0}" + forms.all.joined(separator: "\u{2}")
        case .url(let forms, _): return "\(tool)\u{0}" + forms.all.joined(separator: "\u{2}")
        }
    }

    /// The SHA-256 of `identity`: how the trace store keeps an `allow_always` call without
    /// keeping its input, which may hold a secret.
    public var identityDigest: String { SHA256.hex(of: Array(identity.utf8)) }

    private static func pathForms(_ path: String, root: String) -> Forms<String> {
        let realRoot = (try? WorkspacePath.realPath(root)).flatMap { $0 } ?? root
        let lexical = WorkspacePath.lexicallyNormalized(path.hasPrefix("/") ? path : realRoot + "/" + path)
        let real = try? WorkspacePath.resolve(path, in: realRoot, forWriting: true)
        // A path that leaves the workspace (by `..`, by a symlink, or absolutely) matches no
        // allow rule; the tool refuses it anyway.
        var inside = real != nil
        var all: [String] = []
        for absolute in [lexical] + (real.map { [$0] } ?? []) {
            var form = absolute
            if absolute == realRoot {
                form = "."
            } else if absolute.hasPrefix(realRoot + "/") {
                form = String(absolute.dropFirst(realRoot.count + 1))
            } else {
                inside = false
            }
            if !all.contains(form) { all.append(form) }
        }
        return Forms(decisive: inside ? all : [], all: all)
    }

    /// The URL rebuilt from its parts, and its host, as `fetch_url` connects to them.
    private static func urlForms(_ raw: String) -> (Forms<String>, Forms<String>) {
        guard let (url, host) = rebuilt(raw) else {
            return (Forms(decisive: [], all: [raw]), Forms(decisive: [], all: []))
        }
        return (Forms(decisive: [url], all: url == raw ? [url] : [url, raw]), Forms(decisive: [host], all: [host]))
    }

    /// `scheme://host[:port]/path[?query]`, scheme and host in lower case; nil when the
    /// text is no http(s) URL with a host.
    public static func rebuilt(_ raw: String) -> (url: String, host: String)? {
        guard !raw.utf8.contains(0), let parts = URLComponents(string: raw), let scheme = parts.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = parts.host?.lowercased(), !host.isEmpty else { return nil }
        let defaultPort = scheme == "https" ? 443 : 80
        let port = parts.port.flatMap { $0 == defaultPort ? nil : ":\($0)" } ?? ""
        var url = "\(scheme)://\(host)\(port)\(parts.percentEncodedPath.isEmpty ? "/" : parts.percentEncodedPath)"
        if let query = parts.percentEncodedQuery { url += "?\(query)" }
        return (url, host)
    }
}

extension ApprovalCall {
    /// A call written in rule syntax, for `bosun config check --explain`:
    /// `run_command(npm test -- -t parser)` (the command's words as a shell would split
    /// them), `write_file(src/a.swift)`, `fetch_url(https://docs.rs/)`, `mcp__github__create_issue`.
    public init(parsing text: String, workspaceRoot: String) throws(ApprovalRuleError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let open = trimmed.firstIndex(of: "("), trimmed.hasSuffix(")") else {
            if trimmed.contains("(") || trimmed.isEmpty {
                throw ApprovalRuleError("write the call as tool(input), e.g. run_command(npm test) or write_file(src/a.swift)")
            }
            self.init(tool: trimmed, input: [:], workspaceRoot: workspaceRoot)
            return
        }
        let tool = String(trimmed[..<open])
        let inner = String(trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)])
        let input: JSONValue
        if ApprovalRule.commandTools.contains(tool) {
            let (tokens, unterminated) = ShellWords.tokens(inner)
            var argv: [String] = []
            for token in tokens {
                guard case .word(let pieces) = token, !unterminated else {
                    throw ApprovalRuleError("run_command runs one argv, not a shell line: give one command's words, quoted as in a shell")
                }
                argv.append(ShellWords.text(pieces))
            }
            guard !argv.isEmpty else { throw ApprovalRuleError("give the command, e.g. run_command(npm test)") }
            input = ["command": .array(argv.map(JSONValue.string))]
        } else if ApprovalRule.pathTools.contains(tool) {
            input = ["path": .string(inner)]
        } else if ApprovalRule.urlTools.contains(tool) {
            input = ["url": .string(inner)]
        } else {
            throw ApprovalRuleError("\(tool) is matched by its name only; write \(tool) without (…)")
        }
        self.init(tool: tool, input: input, workspaceRoot: workspaceRoot)
    }
}
