import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The workspace root held open as a directory descriptor: every file a tool opens is
/// opened beneath it (`BeneathOpener`), so that no symlink, `..` or entry swapped while the
/// tool works can lead outside the workspace.
///
/// Paths are first placed lexically: absolute ones must name the root or a path under it,
/// `..` may not climb above it. A path outside is refused with the same answer whether or
/// not it exists, so the tools cannot be used to probe the rest of the machine.
public final class WorkspaceDirectory: Sendable {
    /// `O_PATH`, which Swift's Glibc hides: a descriptor that names a file or directory without opening it for I/O.
    public static let pathOnly = BeneathOpener.O_PATH
    /// The root's real path.
    public let path: String
    /// The root as the caller named it, for absolute paths written that way.
    private let givenPath: String
    private let descriptor: Int32

    public init(_ root: String) throws {
        path = try WorkspacePath.realRootPath(root)
        givenPath = WorkspacePath.lexicallyNormalized(root)
        descriptor = Glibc.open(path, BeneathOpener.O_PATH | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw WorkspaceError("the workspace root \(root) cannot be opened as a directory: \(String(cString: strerror(errno)))")
        }
    }

    deinit { close(descriptor) }

    /// `path` relative to the root, lexically normalized (`""` for the root itself), or a
    /// refusal when it lies outside.
    public func relative(_ path: String) throws -> String {
        try WorkspacePath.validateSyntax(path)
        var normalized: String
        if path.hasPrefix("/") {
            normalized = WorkspacePath.lexicallyNormalized(path)
            guard let inside = [self.path, givenPath].lazy.compactMap({ Self.strip($0, from: normalized) }).first else {
                throw outside(path)
            }
            normalized = inside
        } else {
            var parts: [Substring] = []
            for part in path.split(separator: "/") where part != "." {
                if part == ".." {
                    guard parts.popLast() != nil else { throw outside(path) }
                } else {
                    parts.append(part)
                }
            }
            normalized = parts.joined(separator: "/")
        }
        return normalized
    }

    /// `normalized` relative to `root`, nil when it is not under it.
    private static func strip(_ root: String, from normalized: String) -> String? {
        if normalized == root { return "" }
        if root == "/" { return String(normalized.dropFirst()) }
        return normalized.hasPrefix(root + "/") ? String(normalized.dropFirst(root.count + 1)) : nil
    }

    private func outside(_ path: String) -> WorkspaceError {
        WorkspaceError("\(path) is outside the workspace (\(self.path)); tools may only touch files inside it")
    }

    /// Opens `relative` (from `relative(_:)`) beneath the root. `shownAs` names the path in errors.
    public func open(_ relative: String, flags: Int32, mode: mode_t = 0, shownAs: String) throws -> Int32 {
        let (fd, code) = tryOpen(relative, flags: flags, mode: mode)
        guard fd < 0 else { return fd }
        throw openError(code, shownAs: shownAs)
    }

    /// `open` without the error: the descriptor, or -1 and the `errno` (`EXDEV` for a way out).
    public func tryOpen(_ relative: String, flags: Int32, mode: mode_t = 0) -> (descriptor: Int32, errno: Int32) {
        let fd = BeneathOpener.open(relative, beneath: descriptor, flags: flags, mode: mode)
        return (fd, fd < 0 ? errno : 0)
    }

    /// The refusal for an `errno` of an open beneath the root.
    public func openError(_ code: Int32, shownAs path: String) -> WorkspaceError {
        switch code {
        case ENOENT, ENOTDIR: return WorkspacePath.missing(path)
        case EXDEV: return WorkspaceError("\(path) resolves outside the workspace (\(self.path)) through a symlink (or an absolute symlink); tools may only touch files inside it")
        case ELOOP: return WorkspaceError("\(path): too many levels of symlinks; refused")
        case ENXIO, EWOULDBLOCK: return WorkspaceError("\(path) is a device, socket or FIFO, not a regular file; refused")
        default: return WorkspaceError("\(path): \(String(cString: strerror(code)))")
        }
    }

    /// Where an open descriptor inside the workspace is now, relative to the root; nil if
    /// it is no longer under it.
    public func relativePath(ofDescriptor fd: Int32) -> String? {
        BeneathOpener.currentPath(of: fd).flatMap { Self.strip(path, from: $0) }
    }

    /// Refuses credential files (`CredentialPaths`) unless `allowed`.
    public static func refuseCredential(_ relative: String, shownAs path: String, allowed: Bool) throws {
        guard !allowed, let match = CredentialPaths.match(relative) else { return }
        throw WorkspaceError("""
            \(path) is a credential file (\(match)); tools do not read or write credentials, even inside the workspace, \
            because what a tool sees goes to the model provider. The operator can allow it with tools.allowCredentialFiles: true.
            """)
    }
}
