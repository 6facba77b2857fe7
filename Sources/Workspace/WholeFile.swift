import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writing bytes whole: every byte to a descriptor (past partial writes and interruptions),
/// and a file replaced in one step, so a reader never sees half of it.
public enum WholeFile {
    /// Writes all of `data` to `fd`; the `errno` that stopped it, or nil.
    public static func write(_ data: Data, to fd: Int32) -> Int32? {
        data.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                offset += n
            }
            return nil
        }
    }

    /// Writes `data` as `name` in the directory `directory` (a descriptor): beside it first,
    /// with exactly `mode` (the umask does not narrow it), flushed to disk, then renamed over
    /// it. `path` is how errors name the file.
    public static func replace(_ name: String, in directory: Int32, with data: Data, mode: mode_t, shownAs path: String) throws {
        let temporary = ".\(name).bosun-\(UUID().uuidString).tmp"
        let fd = openat(directory, temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard fd >= 0 else { throw WorkspaceError("cannot write \(path): \(String(cString: strerror(errno)))") }
        var failure = write(data, to: fd) ?? 0
        if failure == 0 && fchmod(fd, mode) != 0 { failure = errno }
        if failure == 0 && fsync(fd) != 0 { failure = errno }
        close(fd)
        if failure == 0 && renameat(directory, temporary, directory, name) != 0 { failure = errno }
        if failure != 0 {
            unlinkat(directory, temporary, 0)
            throw WorkspaceError("writing \(path) failed: \(String(cString: strerror(failure)))")
        }
    }
}
