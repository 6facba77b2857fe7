import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What one sandboxed command may use of the machine. The defaults let five workers run
/// commands at once on a laptop: at most 2 × 256 MB of tmpfs each, 256 processes, 2 GB of
/// writable memory per process.
///
/// Each bound is the kernel's: the tmpfs sizes are the mounts' own, the others are resource
/// limits set inside the sandbox once its user namespace exists (so the process count is the
/// command's own, not the user's), and, where bosun may make one (as root, which the kernel
/// exempts from the process limit), a pids cgroup per command (`PidsCgroup`).
public struct SandboxLimits: Sendable, Hashable {
    /// The size of each private tmpfs (`/tmp` and the home directory), in MB.
    public var tmpfsMB: Int
    /// Processes and threads the command may run at once.
    public var maxProcesses: Int
    /// Writable memory each process may map (`RLIMIT_DATA`), in MB.
    public var memoryMB: Int
    /// Open files per process (`RLIMIT_NOFILE`).
    public var maxOpenFiles: Int
    /// The largest file a process may write (`RLIMIT_FSIZE`), in MB.
    public var maxFileMB: Int

    public init(tmpfsMB: Int = 256, maxProcesses: Int = 256, memoryMB: Int = 2_048, maxOpenFiles: Int = 1_024,
                maxFileMB: Int = 1_024) {
        self.tmpfsMB = tmpfsMB
        self.maxProcesses = maxProcesses
        self.memoryMB = memoryMB
        self.maxOpenFiles = maxOpenFiles
        self.maxFileMB = maxFileMB
    }

    static let megabyte = 1 << 20

    /// The argv that sets the limits inside the sandbox and then runs `command` in place of
    /// the shell (`exec`, so signals and the exit status are the command's). POSIX `sh`:
    /// `ulimit -n`, `-d` (KiB) and `-f` (512-byte blocks) everywhere; the process count is
    /// `-u` in bash and `-p` in dash. A limit that cannot be set stops the command. A program
    /// that is not there is reported as bubblewrap reports it when it runs the command itself
    /// (`Toolchain.bwrapReportsNotFound`), exit status 1.
    func limitedCommand(_ command: [String]) -> [String] {
        let script = """
            ulimit -n \(maxOpenFiles) && ulimit -d \(memoryMB * 1_024) && ulimit -f \(maxFileMB * 2_048) && \
            { ulimit -u \(maxProcesses) 2>/dev/null || ulimit -p \(maxProcesses); } || \
            { echo "bosun: the sandbox's resource limits could not be set" >&2; exit 125; }
            command -v -- "$1" >/dev/null 2>&1 || { printf 'bwrap: execvp %s: No such file or directory\\n' "$1" >&2; exit 1; }
            exec "$@"
            """
        return ["/bin/sh", "-c", script, "bosun-sandbox"] + command
    }

    /// Which limit a command's end shows it met, said so that a worker (or its operator)
    /// can act on it; nil when none shows. Read from how it ended and what it wrote, since
    /// each limit surfaces as an ordinary error in the program that met it.
    public func limitMet(exitCode: Int32?, signal: Int32?, output: String) -> String? {
        if signal == SIGXFSZ || exitCode == 128 + SIGXFSZ || output.contains("File size limit exceeded") {
            return "a file reached the sandbox's limit of \(maxFileMB) MB per file (sandbox.maxFileMB of the role)"
        }
        if output.contains("No space left on device") {
            return "a disk was full: the sandbox's /tmp and home directory hold \(tmpfsMB) MB each (sandbox.tmpfsMB of the role)"
        }
        let forkFailures = ["fork: Resource temporarily unavailable", "fork: retry", "Cannot fork", "can't fork",
                            "BlockingIOError: [Errno 11]", "Resource temporarily unavailable"]
        if forkFailures.contains(where: output.contains) {
            return "the command met the sandbox's limit of \(maxProcesses) processes (sandbox.maxProcesses of the role)"
        }
        let memoryFailures = ["Cannot allocate memory", "MemoryError", "out of memory", "Out of memory", "bad_alloc"]
        if memoryFailures.contains(where: output.contains) {
            return "a process met the sandbox's limit of \(memoryMB) MB of memory (sandbox.memoryMB of the role)"
        }
        if output.contains("Too many open files") {
            return "a process met the sandbox's limit of \(maxOpenFiles) open files (sandbox.maxOpenFiles of the role)"
        }
        return nil
    }
}
