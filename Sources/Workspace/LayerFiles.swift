import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The file operations a layer makes: reading the workspace beneath its descriptor,
/// writing into the upper layer without following its symlinks, and writing the reviewed
/// result back into the workspace (`apply`).
enum LayerFiles {
    /// The workspace's regular file at `relative`, nil when there is none (or it is not a
    /// regular file). Opened beneath the root, so no symlink leads outside.
    static func readWorkspaceFile(_ relative: String, root: String) throws -> Data? {
        try readWorkspaceFile(relative, in: WorkspaceDirectory(root))
    }

    /// `readWorkspaceFile(_:root:)` beneath a workspace already open.
    static func readWorkspaceFile(_ relative: String, in workspace: WorkspaceDirectory) throws -> Data? {
        let (fd, code) = workspace.tryOpen(relative, flags: O_RDONLY | O_NONBLOCK | O_NOCTTY)
        guard fd >= 0 else {
            if code == ENOENT || code == ENOTDIR || code == ELOOP || code == EXDEV { return nil }
            throw workspace.openError(code, shownAs: relative)
        }
        return try readRegular(fd)
    }

    /// The content of the regular file open on `fd` (which it closes); nil for anything else.
    static func readRegular(_ fd: Int32) throws -> Data? {
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return try handle.readToEnd() ?? Data()
    }

    /// The layer's own copy at `path` (from `Layer.lookup`), never through a symlink.
    static func readLayerFile(_ path: String) throws -> Data? {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        return try readRegular(fd)
    }

    /// The regular files and symlinks of the workspace under `relative` (itself, if it is
    /// one), without following symlinks.
    static func workspaceFiles(under relative: String, root: String) -> [String] {
        var info = stat()
        guard lstat(root + "/" + relative, &info) == 0 else { return [] }
        guard (info.st_mode & S_IFMT) == S_IFDIR else { return [relative] }
        var found: [String] = []
        for entry in DirectoryReading.entries(in: root + "/" + relative) {
            found += workspaceFiles(under: relative + "/" + entry.name, root: root)
        }
        return found
    }

    /// Opens (creating) the directory `relative` in the upper layer, one component at a
    /// time with `O_NOFOLLOW`. A whiteout in the way (the worker deleted that directory
    /// with a command) becomes an opaque directory, as overlayfs itself would make it.
    static func openUpperDirectory(_ relative: String, upper: String) throws -> Int32 {
        var fd = open(upper, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw WorkspaceError("the worker's layer cannot be opened: \(String(cString: strerror(errno)))") }
        for component in relative.split(separator: "/").map(String.init) {
            var info = stat()
            if fstatat(fd, component, &info, AT_SYMLINK_NOFOLLOW) == 0 && Layer.isWhiteout(info) {
                unlinkat(fd, component, 0)
                if mkdirat(fd, component, 0o755) == 0 {
                    let child = openat(fd, component, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                    if child >= 0 { GNUExtensions.setXattr(child, Layer.opaqueAttribute, "y"); close(child) }
                }
            } else if mkdirat(fd, component, 0o755) != 0 && errno != EEXIST {
                let problem = String(cString: strerror(errno))
                close(fd)
                throw WorkspaceError("cannot create the directory \(relative) in the worker's layer: \(problem)")
            }
            let next = openat(fd, component, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            close(fd)
            guard next >= 0 else {
                throw WorkspaceError("\(relative) cannot be written in the worker's layer: \(component) is not a directory there")
            }
            fd = next
        }
        return fd
    }

    /// The mode of the regular file `name` in `directory`, or `fallback` when there is none.
    static func mode(of name: String, in directory: Int32, fallback: mode_t = 0o644) -> mode_t {
        var info = stat()
        guard fstatat(directory, name, &info, AT_SYMLINK_NOFOLLOW) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return fallback }
        return info.st_mode & 0o777
    }

    /// Opens (creating) the workspace directory that holds `relative`, beneath the root, and
    /// returns it with its real path relative to the root (symlinks inside resolved).
    static func openWorkspaceParent(of relative: String, in workspace: WorkspaceDirectory) throws -> (fd: Int32, real: String) {
        let parent = (relative as NSString).deletingLastPathComponent
        let flags = WorkspaceDirectory.pathOnly | O_DIRECTORY
        var (fd, code) = workspace.tryOpen(parent, flags: flags)
        if fd < 0 && (code == ENOENT || code == ENOTDIR) {
            var prefix = ""
            for component in parent.split(separator: "/") {
                let above = try workspace.open(prefix, flags: flags, shownAs: relative)
                defer { close(above) }
                prefix = prefix.isEmpty ? String(component) : prefix + "/" + component
                if mkdirat(above, String(component), 0o755) != 0 && errno != EEXIST {
                    throw WorkspaceError("cannot create the directory \(prefix): \(String(cString: strerror(errno)))")
                }
            }
            (fd, code) = workspace.tryOpen(parent, flags: flags)
        }
        guard fd >= 0 else { throw workspace.openError(code, shownAs: relative) }
        guard let real = workspace.relativePath(ofDescriptor: fd) else {
            close(fd)
            throw workspace.openError(EXDEV, shownAs: relative)
        }
        return (fd, real)
    }
}
