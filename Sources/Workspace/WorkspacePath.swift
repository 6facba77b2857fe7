import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Resolves the paths tools are given to real paths inside the workspace root.
///
/// A path may be relative to the root or absolute; either way the result is the real path
/// (every symlink resolved) and must lie inside the root's real path. Refused, with a
/// `WorkspaceError` the model can act on: NUL bytes, over-long paths, anything that resolves
/// outside the root (`..`, absolute paths, symlinks pointing out, `/proc/self/...`), and
/// device files, sockets and FIFOs.
public enum WorkspacePath {
    /// Linux's PATH_MAX and NAME_MAX.
    static let maxPathBytes = 4096
    static let maxNameBytes = 255

    /// The real path of `path` inside `root`. For reading, the path must exist. For writing,
    /// it need not: its deepest existing ancestor is resolved and the rest appended, and a
    /// dangling symlink at the end is refused (writing through it could land anywhere).
    public static func resolve(_ path: String, in root: String, forWriting: Bool) throws -> String {
        try validateSyntax(path)
        let realRoot = try realRootPath(root)
        let normalized = lexicallyNormalized(path.hasPrefix("/") ? path : realRoot + "/" + path)

        if let existing = try existing(normalized, realRoot: realRoot, original: path) { return existing.real }
        guard forWriting else { throw missing(path) }
        if isSymlink(normalized) {
            throw WorkspaceError("\(path) is a symlink to a missing target; refusing to write through it")
        }
        // Walk up to the deepest existing ancestor, resolve it, and re-append the rest.
        var missing: [String] = []
        var ancestor = normalized
        while true {
            missing.insert((ancestor as NSString).lastPathComponent, at: 0)
            ancestor = (ancestor as NSString).deletingLastPathComponent
            if ancestor.isEmpty || ancestor == "/" { ancestor = "/"; break }
            if isSymlink(ancestor), (try realPath(ancestor)) == nil {
                throw WorkspaceError("\(path) goes through a symlink to a missing target; refusing to write there")
            }
            if (try realPath(ancestor)) != nil { break }
        }
        guard let realAncestor = try realPath(ancestor) else { throw WorkspaceError("\(path): cannot resolve its directory") }
        try requireInside(realAncestor, root: realRoot, original: path)
        let result = ([realAncestor == "/" ? "" : realAncestor] + missing).joined(separator: "/")
        try requireInside(result, root: realRoot, original: path)
        return result
    }

    /// `resolve(path, in: root, forWriting: false)`, and whether the path is a directory (the
    /// check already made it, so callers need not stat it again).
    public static func resolveExisting(_ path: String, in root: String) throws -> (real: String, isDirectory: Bool) {
        try validateSyntax(path)
        let realRoot = try realRootPath(root)
        let normalized = lexicallyNormalized(path.hasPrefix("/") ? path : realRoot + "/" + path)
        guard let existing = try existing(normalized, realRoot: realRoot, original: path) else { throw missing(path) }
        return existing
    }

    static func realRootPath(_ root: String) throws -> String {
        try realPath(root) ?? { throw WorkspaceError("the workspace root \(root) does not exist") }()
    }

    static func missing(_ path: String) -> WorkspaceError { WorkspaceError("\(path): no such file or directory in the workspace") }

    /// The real path of `normalized` (absolute, lexically normalized) when it exists, checked
    /// to lie inside `realRoot` and to be a regular file or directory; nil when it does not exist.
    static func existing(_ normalized: String, realRoot: String, original: String) throws -> (real: String, isDirectory: Bool)? {
        guard let real = try realPath(normalized) else { return nil }
        try requireInside(real, root: realRoot, original: original)
        return (real, try requireOrdinaryFile(real, original: original))
    }

    /// `real` relative to the workspace root (`src/a.swift`); `.` for the root itself.
    public static func relative(_ real: String, to root: String) -> String {
        let realRoot = (try? realPath(root)).flatMap { $0 } ?? root
        if real == realRoot { return "." }
        return real.hasPrefix(realRoot + "/") ? String(real.dropFirst(realRoot.count + 1)) : real
    }

    static func validateSyntax(_ path: String) throws {
        if path.isEmpty { throw WorkspaceError("the path is empty; give a path relative to the workspace root") }
        if path.utf8.contains(0) { throw WorkspaceError("the path contains a NUL byte; refused") }
        if path.utf8.count > maxPathBytes { throw WorkspaceError("the path is longer than \(maxPathBytes) bytes; refused") }
        if path.split(separator: "/").contains(where: { $0.utf8.count > maxNameBytes }) {
            throw WorkspaceError("a path component is longer than \(maxNameBytes) bytes; refused")
        }
    }

    /// Removes `.` and empty components and applies `..` lexically (never above `/`).
    public static func lexicallyNormalized(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." { _ = parts.popLast(); continue }
            parts.append(part)
        }
        return "/" + parts.joined(separator: "/")
    }

    /// `realpath(3)`, nil when the path does not exist.
    public static func realPath(_ path: String) throws -> String? {
        guard let resolved = realpath(path, nil) else {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            if errno == ELOOP { throw WorkspaceError("\(path): too many levels of symlinks; refused") }
            if errno == ENAMETOOLONG { throw WorkspaceError("the path is too long; refused") }
            throw WorkspaceError("\(path): \(String(cString: strerror(errno)))")
        }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    private static func isSymlink(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFLNK
    }

    private static func requireInside(_ real: String, root: String, original: String) throws {
        guard real == root || real.hasPrefix(root == "/" ? "/" : root + "/") else {
            throw WorkspaceError("\(original) resolves outside the workspace (\(root)); tools may only touch files inside it")
        }
    }

    /// Whether `real` is a directory; throws unless it is one or a regular file.
    static func requireOrdinaryFile(_ real: String, original: String) throws -> Bool {
        var info = stat()
        guard stat(real, &info) == 0 else { throw WorkspaceError("\(original): \(String(cString: strerror(errno)))") }
        let type = info.st_mode & S_IFMT
        guard type == S_IFREG || type == S_IFDIR else {
            throw WorkspaceError("\(original) is a device, socket or FIFO, not a regular file; refused")
        }
        return type == S_IFDIR
    }
}
