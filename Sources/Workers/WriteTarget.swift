import Foundation
import Workspace
#if canImport(Glibc)
import Glibc
#endif

/// Where `write_file` writes: the target's directory, opened (and created, one directory at
/// a time) beneath the workspace's descriptor and held open, and the name in it. Writing
/// through the held directory means no entry swapped for a symlink meanwhile can move the
/// write outside the workspace.
struct WriteTarget: Sendable {
    let directory: OpenDescriptor
    let name: String
    /// The file's path relative to the workspace root, symlinks resolved.
    let relative: String

    /// `relative` from `WorkspaceDirectory.relative(_:)`, not the root. A symlink at the end
    /// is written through when it leads inside the workspace; a dangling one is refused.
    static func locate(_ relative: String, in workspace: WorkspaceDirectory, shownAs path: String,
                       allowCredentialFiles: Bool) throws -> WriteTarget {
        var relative = relative
        for _ in 0..<2 {
            let name = (relative as NSString).lastPathComponent
            let directory = try openDirectory((relative as NSString).deletingLastPathComponent, in: workspace, shownAs: path)
            var info = stat()
            if fstatat(directory.descriptor, name, &info, AT_SYMLINK_NOFOLLOW) == 0 {
                switch info.st_mode & S_IFMT {
                case S_IFREG: break
                case S_IFDIR: throw ToolError("write_file: \(path) is a directory")
                case S_IFLNK:
                    let (fd, code) = workspace.tryOpen(relative, flags: WorkspaceDirectory.pathOnly)
                    if code == ENOENT { throw ToolError("\(path) is a symlink to a missing target; refusing to write through it") }
                    guard fd >= 0 else { throw workspace.openError(code, shownAs: path) }
                    let target = OpenDescriptor(fd)
                    guard let real = workspace.relativePath(ofDescriptor: target.descriptor) else {
                        throw workspace.openError(EXDEV, shownAs: path)
                    }
                    try WorkspaceDirectory.refuseCredential(real, shownAs: path, allowed: allowCredentialFiles)
                    relative = real
                    continue
                default: throw ToolError("\(path) is a device, socket or FIFO, not a regular file; refused")
                }
            }
            guard let real = workspace.relativePath(ofDescriptor: directory.descriptor) else {
                throw workspace.openError(EXDEV, shownAs: path)
            }
            return WriteTarget(directory: directory, name: name, relative: real.isEmpty ? name : "\(real)/\(name)")
        }
        throw ToolError("\(path): too many levels of symlinks; refused")
    }

    /// The directory at `relative`, created as needed, each step opened beneath the root.
    private static func openDirectory(_ relative: String, in workspace: WorkspaceDirectory, shownAs path: String) throws -> OpenDescriptor {
        let flags = WorkspaceDirectory.pathOnly | O_DIRECTORY
        if let fd = try? workspace.open(relative, flags: flags, shownAs: path) { return OpenDescriptor(fd) }
        var parent = OpenDescriptor(try workspace.open("", flags: flags, shownAs: path))
        var prefix = ""
        for component in relative.split(separator: "/") {
            prefix = prefix.isEmpty ? String(component) : "\(prefix)/\(component)"
            if mkdirat(parent.descriptor, String(component), 0o755) != 0 && errno != EEXIST {
                throw ToolError("write_file: cannot create the directory \(prefix): \(String(cString: strerror(errno)))")
            }
            parent = OpenDescriptor(try workspace.open(prefix, flags: flags, shownAs: path))
        }
        return parent
    }
}

/// A file descriptor closed when the last reference goes.
final class OpenDescriptor: Sendable {
    let descriptor: Int32
    init(_ descriptor: Int32) { self.descriptor = descriptor }
    deinit { close(descriptor) }
}
