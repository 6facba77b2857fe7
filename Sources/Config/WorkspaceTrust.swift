import Foundation

/// A workspace's own config: `.bosun/config.yaml` (when it is the project config), and the
/// role files `.bosun/roles/*.md` and `.claude/agents/*.md`, read once, and its `.mcp.json`.
/// They may have been written by a worker or shipped with a cloned repository, and they can
/// send the API key to any `baseURL`, grant any role `exec` or start any program, so they
/// apply only once the user trusts this exact content (`WorkspaceTrust`).
public struct WorkspaceConfigFiles: Sendable, Equatable {
    /// The workspace root, a real path.
    public var root: String
    /// Each file's absolute path and its text, in the order they are merged.
    public var files: [(path: String, text: String)]
    /// The text of `.mcp.json`, when present. Trust covers it with a digest of its own
    /// (`mcpJSONDigest`): it matters only where the config opts in (`mcp.workspaceServers`),
    /// so a repository's `.mcp.json` never keeps its config and roles from applying.
    public var mcpJSON: String?

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.root == rhs.root && lhs.files.map(\.path) == rhs.files.map(\.path) && lhs.files.map(\.text) == rhs.files.map(\.text)
            && lhs.mcpJSON == rhs.mcpJSON
    }

    public var mcpJSONPath: String { "\(root)/.mcp.json" }

    /// The files present in `root`. Trust covers them all, `.bosun/config.yaml` too when
    /// `--config` or `$BOSUN_CONFIG` names another project config, so one digest holds
    /// however bosun is started.
    public static func read(root: String) throws -> WorkspaceConfigFiles {
        let config = "\(root)/.bosun/config.yaml"
        var paths = MarkdownRoles.files(in: "\(root)/.claude/agents") + MarkdownRoles.files(in: "\(root)/.bosun/roles")
        if FileManager.default.fileExists(atPath: config) { paths.append(config) }
        let files = try paths.map { path in
            do {
                return (path, try String(contentsOfFile: path, encoding: .utf8))
            } catch {
                throw ConfigError(file: path, message: "cannot read this workspace config file: \(error.localizedDescription)")
            }
        }
        let mcpJSON = FileManager.default.contents(atPath: "\(root)/.mcp.json").map { String(decoding: $0, as: UTF8.self) }
        return WorkspaceConfigFiles(root: root, files: files, mcpJSON: mcpJSON)
    }

    /// No config or role files (whether there is a `.mcp.json` aside).
    public var isEmpty: Bool { files.isEmpty }

    /// The paths relative to the root (`.bosun/config.yaml`), as the user sees them.
    public var relativePaths: [String] { files.map { String($0.path.dropFirst(root.count + 1)) } }

    /// SHA-256 over every file's relative path, length and text: any edit, added or removed
    /// file gives another digest.
    public var digest: String {
        var hash = SHA256()
        for (relative, file) in zip(relativePaths, files) {
            let text = Array(file.text.utf8)
            hash.update(Array("\(relative)\0\(text.count)\0".utf8))
            hash.update(text)
        }
        return hash.hexDigest()
    }

    /// SHA-256 over `.mcp.json`'s text; nil without one.
    public var mcpJSONDigest: String? { mcpJSON.map { SHA256.hex(of: Array($0.utf8)) } }

    func text(of path: String) -> String? { files.first { $0.path == path }?.text }
}

/// The user's record of trusted workspace config: for each workspace root, the digest of the
/// content they trusted, kept outside every workspace in
/// `$XDG_CONFIG_HOME/bosun/trusted-workspaces.json` (else `~/.config/bosun/…`), a directory
/// the sandbox never shows a worker.
public enum WorkspaceTrust {
    public struct Record: Codable, Sendable, Equatable {
        /// The digest of the config and role files (`WorkspaceConfigFiles.digest`).
        public var sha256: String
        public var files: [String]
        public var trustedAt: String
        /// The digest of `.mcp.json` when it was trusted; nil when there was none.
        public var mcpJSONSha256: String?
    }

    /// Where the records are kept.
    public static func storePath(environment: [String: String]) -> String? {
        ConfigLoader.userConfigPath(environment: environment).map {
            ($0 as NSString).deletingLastPathComponent + "/trusted-workspaces.json"
        }
    }

    public static func records(environment: [String: String]) -> [String: Record] {
        guard let path = storePath(environment: environment),
              let data = FileManager.default.contents(atPath: path),
              let records = try? JSONDecoder().decode([String: Record].self, from: data) else { return [:] }
        return records
    }

    public static func isTrusted(_ files: WorkspaceConfigFiles, environment: [String: String]) -> Bool {
        records(environment: environment)[files.root]?.sha256 == files.digest
    }

    /// Whether the user trusts the workspace's `.mcp.json` as it is now (true without one).
    public static func isMCPJSONTrusted(_ files: WorkspaceConfigFiles, environment: [String: String]) -> Bool {
        guard let digest = files.mcpJSONDigest else { return true }
        return records(environment: environment)[files.root]?.mcpJSONSha256 == digest
    }

    /// Records `files` (and `.mcp.json`) as trusted, replacing what was trusted for its root before.
    public static func trust(_ files: WorkspaceConfigFiles, environment: [String: String]) throws {
        var all = records(environment: environment)
        all[files.root] = Record(sha256: files.digest, files: files.relativePaths + (files.mcpJSON == nil ? [] : [".mcp.json"]),
                                 trustedAt: Date().formatted(.iso8601), mcpJSONSha256: files.mcpJSONDigest)
        try save(all, environment: environment)
    }

    /// Forgets `root`'s trust; false when there was none.
    @discardableResult
    public static func revoke(root: String, environment: [String: String]) throws -> Bool {
        var all = records(environment: environment)
        guard all.removeValue(forKey: root) != nil else { return false }
        try save(all, environment: environment)
        return true
    }

    private static func save(_ records: [String: Record], environment: [String: String]) throws {
        guard let path = storePath(environment: environment) else {
            throw ConfigError(message: "cannot tell where to keep trust records: set HOME or XDG_CONFIG_HOME")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do {
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            try encoder.encode(records).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw ConfigError(file: path, message: "cannot write the trust records: \(error.localizedDescription)")
        }
    }

    /// What bosun tells the user about workspace config it ignored, and how to apply it.
    public static func notice(for files: WorkspaceConfigFiles, environment: [String: String]) -> String {
        let changed = records(environment: environment)[files.root] != nil
        return "ignoring this workspace's own config, "
            + (changed ? "which changed since you trusted it" : "which you have not trusted")
            + ": \(files.relativePaths.joined(separator: ", ")) in \(files.root). A workspace's config can send your API "
            + "key to another server or give a role exec, so it applies only once you trust this exact content: review it, "
            + "then run `bosun trust \(files.root)` (`bosun trust --show \(files.root)` lists what it covers)"
    }

    /// What bosun tells the user when the config opts in to the workspace's `.mcp.json` but
    /// the user has not trusted its content.
    public static func mcpJSONNotice(for files: WorkspaceConfigFiles, environment: [String: String]) -> String {
        let changed = records(environment: environment)[files.root]?.mcpJSONSha256 != nil
        return "not starting the servers of \(files.mcpJSONPath), "
            + (changed ? "which changed since you trusted it" : "which you have not trusted")
            + " (mcp.workspaceServers is on). A server there is a program bosun would run, so its servers are used only "
            + "once you trust this exact content: review it, then run `bosun trust \(files.root)`"
    }
}
