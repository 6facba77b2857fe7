import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// glibc functions that Swift's Glibc module hides behind `_GNU_SOURCE`, looked up once.
enum GNUExtensions {
    private typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32
    private typealias AddChdir = @convention(c) (UnsafeMutableRawPointer, UnsafePointer<CChar>) -> Int32

    private static let pipe2Function: Pipe2? = dlsym(nil, "pipe2").map { unsafeBitCast($0, to: Pipe2.self) }
    private static let addChdirFunction: AddChdir? =
        dlsym(nil, "posix_spawn_file_actions_addchdir_np").map { unsafeBitCast($0, to: AddChdir.self) }

    /// A pipe whose two ends are close-on-exec from the start, so a process spawned by
    /// another thread at the same moment cannot inherit them (and hold our EOF hostage).
    static func cloexecPipe() throws -> (read: Int32, write: Int32) {
        var fds: [Int32] = [0, 0]
        guard let pipe2Function else { throw WorkspaceError("this system's C library has no pipe2") }
        guard pipe2Function(&fds, O_CLOEXEC) == 0 else {
            throw WorkspaceError("cannot create a pipe: \(String(cString: strerror(errno)))")
        }
        return (fds[0], fds[1])
    }

    /// Makes the spawned child start in `directory`.
    static func addChdir(_ actions: inout posix_spawn_file_actions_t, _ directory: String) throws {
        guard let addChdirFunction else { throw WorkspaceError("this system's C library cannot set a spawned process's directory") }
        let result = withUnsafeMutablePointer(to: &actions) { addChdirFunction(UnsafeMutableRawPointer($0), directory) }
        guard result == 0 else { throw WorkspaceError("cannot use \(directory) as the working directory: \(String(cString: strerror(result)))") }
    }
}
