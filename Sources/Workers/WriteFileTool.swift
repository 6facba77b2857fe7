import BosunJSON
import Config
import Foundation
import Providers
import Workspace
#if canImport(Glibc)
import Glibc
#endif

/// `write_file`: writes a file inside the workspace, for roles with the `write` permission.
///
/// The tool claims the path itself before changing anything (claim-before-change, no
/// separate claim tool): the first write to a path claims it for the worker, later writes
/// renew the claim, and a path another worker holds is refused with who holds it. Claims
/// last until the worker ends (the worker loop releases them) or their lease runs out.
/// The file is replaced atomically (written beside it, then renamed over it).
///
/// A worker with a layer writes into it, never into the workspace (`apply` carries the
/// change over after review); one without (role `isolation: none`) writes the workspace.
/// Protected paths (`ProtectedPaths`) are refused either way.
struct WriteFileTool: WorkerTool {
    let policy: ToolPolicy
    let claims: any PathClaims
    /// Made once: a spec encodes its schema, and every model call of a run sends it.
    let spec: ToolSpec

    init(policy: ToolPolicy, claims: any PathClaims) {
        self.policy = policy
        self.claims = claims
        spec = Self.spec(policy: policy)
    }

    static func spec(policy: ToolPolicy) -> ToolSpec {
        ToolSpec(name: "write_file", description: """
            Write a text file in the workspace (creating directories as needed), replacing it, or appending \
            with append: true. Writing claims the path for you; a path claimed by another worker is refused. \
            At most \(policy.writeMaxBytes) bytes.
            """, inputSchema: [
                "type": "object",
                "properties": [
                    "path": ["type": "string", "description": "File path relative to the workspace root"],
                    "content": ["type": "string"],
                    "append": ["type": "boolean", "description": "Append instead of replacing"],
                ],
                "required": ["path", "content"],
                "additionalProperties": false,
            ])
    }

    func run(_ input: JSONValue, context: ToolContext) async throws -> ToolOutput {
        guard context.permissions.write else {
            throw ToolError("write_file is not allowed: this worker's role does not grant the write permission")
        }
        let args = try ToolInput(input, tool: "write_file")
        let path = try args.requiredString("path")
        let content = Data(try args.requiredString("content").utf8)
        let append = try args.bool("append") ?? false
        guard content.count <= policy.writeMaxBytes else {
            throw ToolError("write_file: \(content.count) bytes is over the \(policy.writeMaxBytes)-byte limit (tools.writeMaxBytes)")
        }
        let workspace = try WorkspaceDirectory(context.workspaceRoot)
        let relativePath = try workspace.relative(path)
        if relativePath.isEmpty { throw ToolError("write_file: \(path) is a directory") }
        try WorkspaceDirectory.refuseCredential(relativePath, shownAs: path, allowed: policy.allowCredentialFiles)
        let protected = ProtectedPaths(extra: policy.protectedPaths)
        if let refusal = protected.refusal(relativePath, shownAs: path, by: "write_file") { throw refusal }
        if let layer = context.layer {
            // No claim: layers keep workers apart, and `apply` finds what overlaps.
            let (written, summary) = try await BlockingWork.run { [policy] in
                (try LayerWrite(layer: layer, policy: policy).write(content, to: relativePath, append: append, shownAs: path),
                 try layer.summary())
            }
            return ToolOutput(text: "\(append ? "appended" : "wrote") \(content.count) bytes to \(relativePath) (\(written) bytes now) in this worker's layer; the workspace changes only when the changes are applied after review",
                              layer: summary)
        }
        let target = try await BlockingWork.run { [policy] in
            try WriteTarget.locate(relativePath, in: workspace, shownAs: path, allowCredentialFiles: policy.allowCredentialFiles)
        }
        let relative = target.relative
        if let refusal = protected.refusal(relative, shownAs: path, by: "write_file") { throw refusal }
        try await claim(relative, in: workspace, context: context)
        try Task.checkCancellation()
        let written = try await BlockingWork.run { [policy] in
            try Self.writeAtomically(content, to: target, append: append, maxBytes: policy.writeMaxBytes)
        }
        return ToolOutput(text: "\(append ? "appended" : "wrote") \(content.count) bytes to \(relative) (\(written) bytes now; claimed by this worker)")
    }

    /// Claims `relative` for the worker, or refuses with who holds it.
    private func claim(_ relative: String, in workspace: WorkspaceDirectory, context: ToolContext) async throws {
        switch try await claims.claim(path: "\(workspace.path)/\(relative)", holder: context.workerId, sessionId: context.sessionId,
                                      lease: policy.claimLeaseSeconds) {
        case .granted:
            break
        case .heldBy(let holder, let sessionId, let until):
            throw ToolError("""
                write_file: \(relative) is claimed by worker \(holder) (session \(sessionId)) until \
                \(ISO8601DateFormatter().string(from: until)); do not write it. Report the conflict or choose another path.
                """)
        }
    }

    /// Writes beside the target, in the directory held open, and renames over it; returns the file's new size.
    private static func writeAtomically(_ content: Data, to target: WriteTarget, append: Bool, maxBytes: Int) throws -> Int {
        let directory = target.directory.descriptor
        let relative = target.relative
        var data = content
        var mode: mode_t = 0o644
        var info = stat()
        if fstatat(directory, target.name, &info, AT_SYMLINK_NOFOLLOW) == 0 {
            mode = info.st_mode & 0o777
            if append {
                let existing = openat(directory, target.name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
                guard existing >= 0 else { throw ToolError("write_file: cannot read \(relative) to append to it") }
                let handle = FileHandle(fileDescriptor: existing, closeOnDealloc: true)
                data = (try handle.readToEnd() ?? Data()) + content
                guard data.count <= maxBytes else {
                    throw ToolError("write_file: appending would make \(relative) \(data.count) bytes, over the \(maxBytes)-byte limit")
                }
            }
        }
        try WholeFile.replace(target.name, in: directory, with: data, mode: mode, shownAs: relative)
        return data.count
    }
}
