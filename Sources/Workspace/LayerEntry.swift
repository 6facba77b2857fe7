import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What a path holds as a review compares it: a regular file's bytes and whether it is
/// executable (the one permission git keeps: mode 100755 or 100644), or a symlink's target
/// (as git keeps a symlink: its target is its content).
enum LayerEntry: Equatable, Sendable {
    case file(Data, executable: Bool)
    case symlink(String)

    /// The bytes a diff shows.
    var content: Data {
        switch self {
        case .file(let data, _): return data
        case .symlink(let target): return Data(target.utf8)
        }
    }

    /// As git decides it: the owner may execute the file.
    static func isExecutable(_ info: stat) -> Bool { info.st_mode & S_IXUSR != 0 }

    var isSymlink: Bool {
        if case .symlink = self { return true }
        return false
    }

    /// The entry at `relative` in the workspace, not following a symlink there (its parent
    /// directories are followed beneath the root); nil when there is none, or it is neither
    /// a regular file nor a symlink.
    static func inWorkspace(_ relative: String, in workspace: WorkspaceDirectory) throws -> LayerEntry? {
        let parent = (relative as NSString).deletingLastPathComponent
        let name = (relative as NSString).lastPathComponent
        let (directory, code) = workspace.tryOpen(parent, flags: WorkspaceDirectory.pathOnly | O_DIRECTORY)
        guard directory >= 0 else {
            if code == ENOENT || code == ENOTDIR || code == ELOOP || code == EXDEV { return nil }
            throw workspace.openError(code, shownAs: relative)
        }
        defer { close(directory) }
        var info = stat()
        guard fstatat(directory, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { return nil }
        switch info.st_mode & S_IFMT {
        case S_IFLNK:
            return symlinkTarget(name, in: directory).map { .symlink($0) }
        case S_IFREG:
            let fd = openat(directory, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)
            guard fd >= 0 else { throw WorkspaceError("\(relative) cannot be read: \(String(cString: strerror(errno)))") }
            return try LayerFiles.readRegular(fd).map { .file($0, executable: isExecutable(info)) }
        default:
            return nil
        }
    }

    /// The entry at the absolute `path` (in a layer's `upper` or `base`), never through a symlink.
    static func at(_ path: String) throws -> LayerEntry? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        if (info.st_mode & S_IFMT) == S_IFLNK {
            return symlinkTarget(path, in: AT_FDCWD).map { .symlink($0) }
        }
        return try LayerFiles.readLayerFile(path).map { .file($0, executable: isExecutable(info)) }
    }

    /// Where the symlink `name` (relative to `directory`) points, as written.
    static func symlinkTarget(_ name: String, in directory: Int32) -> String? {
        var buffer = [UInt8](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = buffer.withUnsafeMutableBufferPointer { pointer in
            pointer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: pointer.count) {
                readlinkat(directory, name, $0, pointer.count - 1)
            }
        }
        guard count >= 0 else { return nil }
        return String(decoding: buffer[..<count], as: UTF8.self)
    }

    /// Why a symlink the worker made at `relative` pointing to `target` is not applied: it
    /// leads outside the workspace (by `..` or an absolute path elsewhere), or into a protected
    /// path. Judged on the text of the target, as the link would be followed from its directory.
    static func symlinkRefusal(_ relative: String, target: String, workspaceRoot: String, protected: ProtectedPaths) -> String? {
        let directory = (relative as NSString).deletingLastPathComponent
        var parts: [Substring] = []
        if target.hasPrefix("/") {
            let normalized = WorkspacePath.lexicallyNormalized(target)
            guard normalized == workspaceRoot || normalized.hasPrefix(workspaceRoot + "/") else {
                return outside(target)
            }
            parts = normalized.dropFirst(workspaceRoot.count).split(separator: "/")
        } else {
            for part in (directory.split(separator: "/") + target.split(separator: "/")) where part != "." {
                if part == ".." {
                    guard parts.popLast() != nil else { return outside(target) }
                } else {
                    parts.append(part)
                }
            }
        }
        if let match = protected.match(parts.joined(separator: "/")) {
            return "the worker made this a symlink to \(target), which leads into \(match), a protected path; apply never carries such a link. "
                + "Apply the other files with `paths`, or discard."
        }
        return nil
    }

    private static func outside(_ target: String) -> String {
        "the worker made this a symlink to \(target), which leads outside the workspace; apply never carries such a link "
            + "(what it points to would be read or written through the workspace). Apply the other files with `paths`, or discard."
    }
}
