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
struct WriteFileTool: WorkerTool {
    let policy: ToolPolicy
    let claims: any PathClaims

    var spec: ToolSpec {
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
        let root = try WorkspacePath.resolve(".", in: context.workspaceRoot, forWriting: false)
        let target = try WorkspacePath.resolve(path, in: root, forWriting: true)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: target, isDirectory: &isDirectory), isDirectory.boolValue {
            throw ToolError("write_file: \(path) is a directory")
        }
        let relative = WorkspacePath.relative(target, to: root)
        switch try await claims.claim(path: target, holder: context.workerId, sessionId: context.sessionId, lease: policy.claimLeaseSeconds) {
        case .granted:
            break
        case .heldBy(let holder, let sessionId, let until):
            throw ToolError("""
                write_file: \(relative) is claimed by worker \(holder) (session \(sessionId)) until \
                \(ISO8601DateFormatter().string(from: until)); do not write it. Report the conflict or choose another path.
                """)
        }
        try Task.checkCancellation()
        let written = try writeAtomically(content, to: target, append: append, root: root, shownAs: relative)
        return ToolOutput(text: "\(append ? "appended" : "wrote") \(content.count) bytes to \(relative) (\(written) bytes now; claimed by this worker)")
    }

    /// Writes beside the target and renames over it; returns the file's new size.
    private func writeAtomically(_ content: Data, to target: String, append: Bool, root: String, shownAs relative: String) throws -> Int {
        let fm = FileManager.default
        let directory = (target as NSString).deletingLastPathComponent
        do {
            try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw ToolError("write_file: cannot create the directory of \(relative): \(error.localizedDescription)")
        }
        // The directory may have been swapped for a symlink meanwhile: check again where it really is.
        guard let realDirectory = try WorkspacePath.realPath(directory), realDirectory == root || realDirectory.hasPrefix(root + "/") else {
            throw ToolError("write_file: the directory of \(relative) resolves outside the workspace; refused")
        }
        var data = content
        var mode: mode_t = 0o644
        var info = stat()
        if lstat(target, &info) == 0 {
            mode = info.st_mode & 0o7777
            if append {
                guard let existing = fm.contents(atPath: target) else { throw ToolError("write_file: cannot read \(relative) to append to it") }
                data = existing + content
                guard data.count <= policy.writeMaxBytes else {
                    throw ToolError("write_file: appending would make \(relative) \(data.count) bytes, over the \(policy.writeMaxBytes)-byte limit")
                }
            }
        }
        let temporary = "\(realDirectory)/.\((target as NSString).lastPathComponent).bosun-\(UUID().uuidString).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard fd >= 0 else { throw ToolError("write_file: cannot write in the directory of \(relative): \(String(cString: strerror(errno)))") }
        var failure: Int32 = 0
        data.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 { if errno == EINTR { continue }; failure = errno; break }
                offset += n
            }
        }
        if failure == 0 && fsync(fd) != 0 { failure = errno }
        close(fd)
        if failure == 0 && rename(temporary, "\(realDirectory)/\((target as NSString).lastPathComponent)") != 0 { failure = errno }
        if failure != 0 {
            unlink(temporary)
            throw ToolError("write_file: writing \(relative) failed: \(String(cString: strerror(failure)))")
        }
        return data.count
    }
}
