import ArgumentParser
import Config
import Foundation

/// `bosun trust`: lets a workspace's own config and roles apply, for their exact content.
struct TrustCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trust",
        abstract: "Trust a workspace's own config, role files and .mcp.json, as they are now.",
        discussion: """
            A workspace's .bosun/config.yaml, .bosun/roles/*.md and .claude/agents/*.md may come from a cloned \
            repository or have been written by a worker, and they can point a provider's baseURL (and so your API \
            key) at any server or give a role exec; its .mcp.json (used only with mcp.workspaceServers: true) can \
            start any program. bosun applies them only after you trust their exact content: \
            this command records a SHA-256 digest of those files (and one of .mcp.json), per workspace, in \
            $XDG_CONFIG_HOME/bosun/trusted-workspaces.json (else ~/.config/bosun/), outside every workspace. Any \
            later edit, added or removed file needs `bosun trust` again; until then bosun ignores them and says so \
            on stderr (and to an MCP client, as a log message). Your own config (--config, $BOSUN_CONFIG, \
            $XDG_CONFIG_HOME/bosun/config.yaml, ~/.claude/agents) never needs trust.
            """
    )

    @Argument(help: ArgumentHelp("The workspace root (default: the current directory).", valueName: "DIR"))
    var path: String?

    @Flag(help: "Show the workspace's config files and whether their content is trusted; change nothing.")
    var show = false

    @Flag(help: "Forget the trust given to this workspace.")
    var revoke = false

    func validate() throws {
        if show && revoke { throw ValidationError("give --show or --revoke, not both") }
    }

    func run() throws {
        let root = URL(fileURLWithPath: path ?? FileManager.default.currentDirectoryPath).resolvingSymlinksInPath().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ValidationError("\(root) is not a directory; give the workspace root")
        }
        let environment = ProcessInfo.processInfo.environment
        let files = try WorkspaceConfigFiles.read(root: root)
        if revoke {
            let revoked = try WorkspaceTrust.revoke(root: root, environment: environment)
            print(revoked ? "revoked trust in \(root)" : "\(root) was not trusted")
            return
        }
        if show {
            let record = WorkspaceTrust.records(environment: environment)[root]
            print(root)
            for file in files.relativePaths { print("  \(file)") }
            if files.isEmpty { print("  (no workspace config or role files)") }
            print("sha256 \(files.digest)")
            switch (record, WorkspaceTrust.isTrusted(files, environment: environment)) {
            case (_, true): print("trusted since \(record?.trustedAt ?? "?")")
            case (.some(let record), false): print("NOT trusted: the content changed since it was trusted at \(record.trustedAt)")
            case (nil, false): print("NOT trusted")
            }
            if let digest = files.mcpJSONDigest {
                let trusted = WorkspaceTrust.isMCPJSONTrusted(files, environment: environment)
                let changed = record?.mcpJSONSha256 != nil
                print("  .mcp.json sha256 \(digest): " + (trusted ? "trusted" : changed ? "NOT trusted: changed since it was trusted" : "NOT trusted"))
            }
            return
        }
        guard !files.isEmpty || files.mcpJSON != nil else {
            print("\(root) has no workspace config, role files or .mcp.json; nothing to trust")
            return
        }
        try WorkspaceTrust.trust(files, environment: environment)
        let trusted = files.relativePaths + (files.mcpJSON == nil ? [] : [".mcp.json"])
        print("trusted \(trusted.joined(separator: ", ")) in \(root) (sha256 \(files.digest))")
    }
}
