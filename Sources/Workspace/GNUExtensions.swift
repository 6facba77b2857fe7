import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// glibc functions that Swift's Glibc module hides behind `_GNU_SOURCE`, looked up once.
enum GNUExtensions {
    private typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32
    private typealias AddChdir = @convention(c) (UnsafeMutableRawPointer, UnsafePointer<CChar>) -> Int32
    /// `syscall(2)` with the four arguments `openat2` takes (glibc's is variadic, which Swift
    /// cannot call; its assembly reads the registers the same either way).
    private typealias Syscall4 = @convention(c) (Int, Int, UnsafeRawPointer, UnsafeRawPointer, Int) -> Int

    private static let pipe2Function: Pipe2? = dlsym(nil, "pipe2").map { unsafeBitCast($0, to: Pipe2.self) }
    private static let syscallFunction: Syscall4? = dlsym(nil, "syscall").map { unsafeBitCast($0, to: Syscall4.self) }
    private static let addChdirFunction: AddChdir? =
        dlsym(nil, "posix_spawn_file_actions_addchdir_np").map { unsafeBitCast($0, to: AddChdir.self) }
    private typealias AddCloseFrom = @convention(c) (UnsafeMutableRawPointer, Int32) -> Int32
    private static let addCloseFromFunction: AddCloseFrom? =
        dlsym(nil, "posix_spawn_file_actions_addclosefrom_np").map { unsafeBitCast($0, to: AddCloseFrom.self) }

    private typealias GetXattr = @convention(c) (UnsafePointer<CChar>, UnsafePointer<CChar>, UnsafeMutableRawPointer?, Int) -> Int
    private typealias SetXattr = @convention(c) (Int32, UnsafePointer<CChar>, UnsafeRawPointer, Int, Int32) -> Int32
    private static let lgetxattrFunction: GetXattr? = dlsym(nil, "lgetxattr").map { unsafeBitCast($0, to: GetXattr.self) }
    private static let fsetxattrFunction: SetXattr? = dlsym(nil, "fsetxattr").map { unsafeBitCast($0, to: SetXattr.self) }

    /// The first byte of the extended attribute `name` of `path` (not following a symlink).
    static func firstXattrByte(_ path: String, _ name: String) -> UInt8? {
        guard let lgetxattrFunction else { return nil }
        var value: UInt8 = 0
        return lgetxattrFunction(path, name, &value, 1) == 1 ? value : nil
    }

    /// Sets the extended attribute `name` of the open file `fd` to `value`.
    @discardableResult
    static func setXattr(_ fd: Int32, _ name: String, _ value: String) -> Bool {
        guard let fsetxattrFunction else { return false }
        return value.withCString { fsetxattrFunction(fd, name, $0, strlen($0), 0) } == 0
    }

    /// `O_PATH` (a descriptor that names a file without opening it for I/O): 010000000 on
    /// every architecture bosun builds for.
    static let openPathFlag: Int32 = 0o10000000

    /// `syscall(number, a, b, c, d)`; -1 with `errno` ENOSYS when the C library has no syscall().
    static func syscall4(_ number: Int, _ a: Int, _ b: UnsafeRawPointer, _ c: UnsafeRawPointer, _ d: Int) -> Int {
        guard let syscallFunction else { errno = ENOSYS; return -1 }
        return syscallFunction(number, a, b, c, d)
    }

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

    /// Makes the spawned child close every descriptor from `lowest` up before it runs its
    /// program, so it inherits none this process opened without close-on-exec (a file being
    /// written, which would make running that file fail with "Text file busy" for as long as
    /// the child lives). glibc 2.34 and later; on an older C library children inherit them.
    static func addCloseFrom(_ actions: inout posix_spawn_file_actions_t, _ lowest: Int32) {
        guard let addCloseFromFunction else { return }
        _ = withUnsafeMutablePointer(to: &actions) { addCloseFromFunction(UnsafeMutableRawPointer($0), lowest) }
    }

    /// Makes the spawned child start in `directory`.
    static func addChdir(_ actions: inout posix_spawn_file_actions_t, _ directory: String) throws {
        guard let addChdirFunction else { throw WorkspaceError("this system's C library cannot set a spawned process's directory") }
        let result = withUnsafeMutablePointer(to: &actions) { addChdirFunction(UnsafeMutableRawPointer($0), directory) }
        guard result == 0 else { throw WorkspaceError("cannot use \(directory) as the working directory: \(String(cString: strerror(result)))") }
    }
}
