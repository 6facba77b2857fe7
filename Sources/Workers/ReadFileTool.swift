import BosunJSON
import Config
import Foundation
import Providers
import Workspace

/// `read_file`: a text file of the workspace, whole or a range of lines, up to a size cap.
struct ReadFileTool: WorkerTool {
    let policy: ToolPolicy
    /// Made once: a spec encodes its schema, and every model call of a run sends it.
    let spec: ToolSpec

    init(policy: ToolPolicy) {
        self.policy = policy
        spec = Self.spec(policy: policy)
    }

    static func spec(policy: ToolPolicy) -> ToolSpec {
        ToolSpec(name: "read_file", description: """
            Read a text file in the workspace. Paths are relative to the workspace root. Use offset \
            (first line, from 1) and limit (number of lines) for large files. Output is capped at \
            \(policy.readMaxBytes) bytes; binary files are not shown.
            """, inputSchema: [
                "type": "object",
                "properties": [
                    "path": ["type": "string", "description": "File path relative to the workspace root"],
                    "offset": ["type": "integer", "minimum": 1, "description": "First line to read, from 1"],
                    "limit": ["type": "integer", "minimum": 1, "description": "Number of lines to read"],
                ],
                "required": ["path"],
                "additionalProperties": false,
            ])
    }

    func run(_ input: JSONValue, context: ToolContext) async throws -> ToolOutput {
        let args = try ToolInput(input, tool: "read_file")
        let path = try args.requiredString("path")
        let offset = try args.int("offset", minimum: 1) ?? 1
        let limit = try args.int("limit", minimum: 1)
        return try await BlockingWork.run { [policy] in
            try Self.read(path, offset: offset, limit: limit, root: context.workspaceRoot, layer: context.layer, policy: policy)
        }
    }

    /// Opens the file beneath the workspace's descriptor (no path race can lead out) and reads
    /// it; with a layer, the worker's own copy comes first (never through a symlink).
    private static func read(_ path: String, offset: Int, limit: Int?, root: String, layer: Layer?, policy: ToolPolicy) throws -> ToolOutput {
        let workspace = try WorkspaceDirectory(root)
        let relative = try workspace.relative(path)
        try WorkspaceDirectory.refuseCredential(relative, shownAs: path, allowed: policy.allowCredentialFiles)
        // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below.
        let flags = O_RDONLY | O_NONBLOCK | O_NOCTTY
        let descriptor: Int32
        switch layer?.lookup(relative) ?? .workspace {
        case .deleted:
            throw ToolError("\(path): no such file or directory in the workspace (this worker deleted it)")
        case .layer(let copy):
            descriptor = open(copy, flags | O_NOFOLLOW | O_CLOEXEC)
            guard descriptor >= 0 else { throw ToolError("\(path) is a symlink or special file in this worker's layer; not read") }
        case .workspace:
            descriptor = try workspace.open(relative, flags: flags, shownAs: path)
        }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw ToolError("\(path): \(String(cString: strerror(errno)))") }
        if (info.st_mode & S_IFMT) == S_IFDIR { throw ToolError("\(path) is a directory; use list_files to see what is in it") }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw ToolError("\(path) is a device, socket or FIFO, not a regular file; refused") }
        // A symlink inside the workspace may lead to a credential file under another name.
        if layer == nil, let real = workspace.relativePath(ofDescriptor: descriptor) {
            try WorkspaceDirectory.refuseCredential(real, shownAs: path, allowed: policy.allowCredentialFiles)
        }
        let size = Int(info.st_size)

        // Without a range, a few times the output cap is enough to count lines near the start;
        // with one, read up to 16 MiB more so that later lines can be reached.
        let readBound = policy.readMaxBytes * 4 + (limit == nil && offset == 1 ? 0 : 16 * 1024 * 1024)
        let data = try handle.read(upToCount: min(max(size, 1), readBound)) ?? Data()
        if Self.looksBinary(data) {
            return ToolOutput(text: "\(path) is a binary file (\(size) bytes); not shown")
        }
        let text = String(decoding: data, as: UTF8.self)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        let first = offset - 1
        guard first < max(lines.count, 1) else {
            if data.count < size {
                throw ToolError("read_file reaches only the first \(data.count) bytes of \(path) (\(lines.count) lines); offset \(offset) is beyond them. Use search to find what you need.")
            }
            throw ToolError("\(path) has \(lines.count) lines; offset \(offset) is past the end")
        }
        let last = min(lines.count, limit.map { first + $0 } ?? lines.count)
        var shown = lines[first..<last].joined(separator: "\n")
        var notes: [String] = []
        if shown.utf8.count > policy.readMaxBytes {
            shown = String(decoding: Data(shown.utf8.prefix(policy.readMaxBytes)), as: UTF8.self)
            let shownLines = shown.split(separator: "\n", omittingEmptySubsequences: false).count
            notes.append("[truncated at \(policy.readMaxBytes) bytes: showing lines \(offset)-\(first + shownLines) of \(lines.count)\(data.count < size ? "+" : ""); read further with offset]")
        } else if first > 0 || last < lines.count || data.count < size {
            notes.append("[lines \(offset)-\(last) of \(lines.count)\(data.count < size ? "+" : "")]")
        }
        return ToolOutput(text: ([shown] + notes).joined(separator: "\n"))
    }

    /// A NUL byte in the first 8 KiB, or bytes that are not UTF-8, mean binary.
    static func looksBinary(_ data: Data) -> Bool {
        let head = data.prefix(8192)
        if head.contains(0) { return true }
        // Allow a multi-byte character cut at the end of the sample.
        var sample = Array(head)
        for _ in 0..<3 where String(validating: sample, as: UTF8.self) == nil && !sample.isEmpty {
            sample.removeLast()
        }
        return String(validating: sample, as: UTF8.self) == nil
    }
}
