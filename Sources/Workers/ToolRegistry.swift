import Config
import Foundation
import HTTP
import Workspace

/// Builds the tools a worker gets from its role, with the policy's limits and the claims
/// authority shared by every worker (a session's is its trace store, so claims hold across
/// processes).
public struct ToolRegistry: Sendable {
    public let policy: ToolPolicy
    /// Where `write_file` claims paths.
    public let claims: any PathClaims
    let http: HTTPClient
    /// What sandboxed tools must never see.
    let privatePaths: [String]
    /// The tools that depend on nothing but the registry, made once with their specs (a spec
    /// encodes its schema): each worker gets a copy.
    private let readFile: ReadFileTool
    private let listFiles: ListFilesTool
    private let search: SearchTool
    private let fetchURL: FetchURLTool
    private let writeFile: WriteFileTool

    /// `privatePaths`: bosun's own files and directories (its config, the trace store's
    /// directory), hidden from sandboxed tools wherever they live.
    public init(policy: ToolPolicy, claims: any PathClaims, privatePaths: [String] = [], http: HTTPClient = .shared) {
        self.policy = policy
        self.claims = claims
        self.privatePaths = privatePaths
        self.http = http
        readFile = ReadFileTool(policy: policy)
        listFiles = ListFilesTool(policy: policy)
        search = SearchTool(policy: policy, privatePaths: privatePaths)
        fetchURL = FetchURLTool(policy: policy, http: http)
        writeFile = WriteFileTool(policy: policy, claims: claims)
    }

    /// Every tool name a role can list (`submit_result` belongs to the worker loop).
    public static let knownToolNames = RoleConfig.toolNames

    /// The tools for a worker of `role`: `requested` (the spawn's `tools`) must be a subset
    /// of the role's; nil means all of the role's. Tools needing a permission the role does
    /// not grant are refused.
    public func tools(for role: RoleConfig, requested: [String]?) throws -> [any WorkerTool] {
        let names = requested ?? role.tools
        for name in names where !role.tools.contains(name) && !role.offersMCPTool(name) {
            let known = Self.knownToolNames.contains(name) || RoleConfig.isMCPToolPattern(name) ? "" : " (there is no such tool)"
            throw ToolError("tool \(name)\(known) is not offered by role \(role.name); it offers: \(role.tools.joined(separator: ", "))")
        }
        // MCP tools come from the session's MCP servers (`SessionEnvironment.externalTools`).
        return try names.filter { !RoleConfig.isMCPToolPattern($0) }.map { name in
            switch name {
            case "read_file": return readFile
            case "list_files": return listFiles
            case "search": return search
            case "fetch_url": return fetchURL
            case AskTool.name: return AskTool()
            case "run_command":
                guard role.permissions.exec else { throw ToolError("role \(role.name) lists run_command without the exec permission") }
                return RunCommandTool(policy: policy, privatePaths: privatePaths, limits: Self.sandboxLimits(role.sandbox))
            case "write_file":
                guard role.permissions.write else { throw ToolError("role \(role.name) lists write_file without the write permission") }
                return writeFile
            default:
                throw ToolError("unknown tool \(name); known tools: \(Self.knownToolNames.joined(separator: ", "))")
            }
        }
    }

    /// The sandbox bounds of a role's commands: the defaults, with what its `sandbox:` sets.
    static func sandboxLimits(_ overrides: SandboxOverrides) -> SandboxLimits {
        var limits = SandboxLimits()
        if let value = overrides.tmpfsMB { limits.tmpfsMB = value }
        if let value = overrides.maxProcesses { limits.maxProcesses = value }
        if let value = overrides.memoryMB { limits.memoryMB = value }
        if let value = overrides.maxOpenFiles { limits.maxOpenFiles = value }
        if let value = overrides.maxFileMB { limits.maxFileMB = value }
        return limits
    }

    /// Releases every path claim of a worker; the worker loop calls it when the worker ends.
    public func releaseClaims(holder: String) async throws {
        try await claims.releaseClaims(holder: holder)
    }
}
