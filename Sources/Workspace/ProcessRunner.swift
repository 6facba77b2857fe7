import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// How a child process ended.
public struct ProcessOutcome: Sendable {
    /// The exit code, when it exited normally.
    public var exitCode: Int32?
    /// The signal that killed it, otherwise.
    public var signal: Int32?
    /// Its stdout and stderr, interleaved as written, up to the cap.
    public var output: Data
    /// Bytes it wrote in all, `output` included.
    public var totalOutputBytes: Int
    /// The last bytes it wrote past `output`, when the run asked to keep a tail (so the end
    /// of a long test log, where the failures are, survives the cap).
    public var outputTail = Data()
    public var timedOut: Bool
    /// A process outside the group (one that made itself a new session) kept the output
    /// open after the command ended; reading stopped without waiting for it.
    public var outputAbandoned: Bool = false
}

/// Runs an argv (never through a shell) in a process group of its own, collects its merged
/// output up to a cap, and kills the whole group with SIGKILL on timeout or when the calling
/// task is cancelled, so no descendant outlives a worker's deadline.
public enum ProcessRunner {
    /// The descriptor a held command waits on (`run`'s `maxProcesses`).
    public static let releaseFD: Int32 = 3

    /// `outputCap` bytes of output are kept from the start, and `tailCap` more from the end.
    ///
    /// With `maxProcesses`, the command is held: it gets a pipe at `releaseFD` and must wait
    /// for a byte on it before it starts any process (bubblewrap's `--block-fd`, which
    /// `Sandbox.wrap` adds with `releaseFD`). Meanwhile it and what it started so far go into
    /// a pids cgroup of their own where one can be made (`PidsCgroup`), so every later
    /// process starts inside; the cgroup is removed once the command has ended.
    public static func run(_ argv: [String], cwd: String?, environment: [String: String], timeout: Double,
                    outputCap: Int, tailCap: Int = 0, maxProcesses: Int? = nil) async throws -> ProcessOutcome {
        guard let executable = argv.first, !executable.isEmpty else { throw WorkspaceError("the command is empty") }
        try Task.checkCancellation()
        let hold = try maxProcesses.map { _ in try GNUExtensions.cloexecPipe() }
        // The read end stays open here until the byte is written, so the write cannot raise
        // SIGPIPE however early the command ends.
        defer { if let hold { close(hold.read); close(hold.write) } }
        let (pid, readEnd) = try spawn(argv, cwd: cwd, environment: environment, held: hold?.read)
        let cgroup = maxProcesses.flatMap { PidsCgroup(holding: pid, maxProcesses: $0) }
        if let hold { _ = write(hold.write, "!", 1) }
        let state = Mutex(RunState())
        let killGroup = { @Sendable (timedOut: Bool) in
            state.withLock { s in
                guard !s.reaped else { return }
                if timedOut { s.timedOut = true }
                // Safe until reaped: the leader's pid is not reused while we have not waited for it.
                kill(-pid, SIGKILL)
            }
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout) { killGroup(true) }

        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let reader = Thread {
                    let (data, tail, total, abandoned) = readAll(readEnd, cap: outputCap, tailCap: tailCap) {
                        state.withLock { s in s.reapedAt.map { Date().timeIntervalSince($0) > outputGraceSeconds } ?? false }
                    }
                    close(readEnd)
                    state.withLock { $0.outputAbandoned = abandoned }
                    state.withLock { $0.output = (data, tail, total) }
                    let outcome = state.withLock { $0.finish() }
                    if let outcome { continuation.resume(returning: outcome) }
                }
                reader.start()
                let waiter = Thread {
                    // Wait without reaping, kill what is left of the group, then reap.
                    var info = siginfo_t()
                    while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) == -1 && errno == EINTR {}
                    _ = state.withLock { _ in kill(-pid, SIGKILL) }
                    var status: Int32 = 0
                    while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
                    cgroup?.remove()
                    let outcome = state.withLock { s -> ProcessOutcome? in
                        s.reaped = true
                        s.reapedAt = Date()
                        s.status = status
                        return s.finish()
                    }
                    if let outcome { continuation.resume(returning: outcome) }
                }
                waiter.start()
            }
        } onCancel: {
            killGroup(false)
        }
    }

    private struct RunState {
        var reaped = false
        var reapedAt: Date?
        var outputAbandoned = false
        var timedOut = false
        var status: Int32?
        var output: (head: Data, tail: Data, total: Int)?
        var delivered = false

        /// The outcome, once both the exit status and the output are in (exactly once).
        mutating func finish() -> ProcessOutcome? {
            guard !delivered, let status, let output else { return nil }
            delivered = true
            let exited = status & 0x7f == 0
            return ProcessOutcome(exitCode: exited ? (status >> 8) & 0xff : nil, signal: exited ? nil : status & 0x7f,
                                  output: output.head, totalOutputBytes: output.total, outputTail: output.tail,
                                  timedOut: timedOut, outputAbandoned: outputAbandoned)
        }
    }

    /// How long output may stay open after the command's process group is gone.
    static let outputGraceSeconds = 1.0

    /// Reads until EOF, keeping the first `cap` bytes and the last `tailCap` of the rest, and
    /// counting all. Polls, so that it can give up when `shouldGiveUp` says the command ended
    /// long enough ago.
    private static func readAll(_ fd: Int32, cap: Int, tailCap: Int, shouldGiveUp: () -> Bool) -> (Data, Data, Int, Bool) {
        var kept = Data()
        var tail = Data()
        var total = 0
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, 200)
            if ready < 0 && errno == EINTR { continue }
            if ready == 0 {
                if shouldGiveUp() { return (kept, tail, total, true) }
                continue
            }
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            total += n
            let head = kept.count < cap ? min(n, cap - kept.count) : 0
            if head > 0 { kept.append(contentsOf: buffer[0..<head]) }
            if tailCap > 0 && head < n {
                tail.append(contentsOf: buffer[head..<n])
                if tail.count > 2 * tailCap { tail = tail.suffix(tailCap) }
            }
        }
        return (kept, tail.suffix(tailCap), total, false)
    }

    /// posix_spawnp with stdin from /dev/null, stdout and stderr into one pipe, a new process
    /// group, default signal handling, an empty signal mask and no other descriptor of ours.
    /// `held`: a descriptor the child gets as `releaseFD`.
    private static func spawn(_ argv: [String], cwd: String?, environment: [String: String],
                              held: Int32?) throws -> (pid_t, Int32) {
        let pipe = try GNUExtensions.cloexecPipe()
        defer { close(pipe.write) }
        do {
            return (try spawn(argv, cwd: cwd, environment: environment, input: nil, output: pipe.write, errors: pipe.write,
                              held: held), pipe.read)
        } catch {
            close(pipe.read)
            throw error
        }
    }

    /// A long-lived child that talks over pipes (an MCP server on stdio): its stdin, stdout
    /// and stderr, each end close-on-exec in this process. The child leads a process group
    /// of its own, so `kill(-pid, …)` ends it and whatever it started.
    public struct PipedChild: Sendable {
        public var pid: pid_t
        /// Write to the child's stdin.
        public var input: Int32
        /// Read the child's stdout.
        public var output: Int32
        /// Read the child's stderr.
        public var errors: Int32
    }

    public static func spawnPiped(_ argv: [String], cwd: String?, environment: [String: String]) throws -> PipedChild {
        let input = try GNUExtensions.cloexecPipe()
        let output = try GNUExtensions.cloexecPipe()
        let errors = try GNUExtensions.cloexecPipe()
        defer { [input.read, output.write, errors.write].forEach { close($0) } }
        do {
            let pid = try spawn(argv, cwd: cwd, environment: environment, input: input.read, output: output.write, errors: errors.write)
            return PipedChild(pid: pid, input: input.write, output: output.read, errors: errors.read)
        } catch {
            [input.write, output.read, errors.read].forEach { close($0) }
            throw error
        }
    }

    /// `input` nil: stdin from /dev/null. `held`: a descriptor the child gets as `releaseFD`.
    private static func spawn(_ argv: [String], cwd: String?, environment: [String: String], input: Int32?,
                              output: Int32, errors: Int32, held: Int32? = nil) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let input {
            posix_spawn_file_actions_adddup2(&actions, input, 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        posix_spawn_file_actions_adddup2(&actions, output, 1)
        posix_spawn_file_actions_adddup2(&actions, errors, 2)
        if let held {
            // Through a spare descriptor: a dup2 onto itself would keep close-on-exec.
            let spare: Int32 = 100
            posix_spawn_file_actions_adddup2(&actions, held, spare)
            posix_spawn_file_actions_adddup2(&actions, spare, releaseFD)
            posix_spawn_file_actions_addclose(&actions, spare)
        }
        GNUExtensions.addCloseFrom(&actions, held == nil ? 3 : releaseFD + 1)
        if let cwd { try GNUExtensions.addChdir(&actions, cwd) }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let cArgs = argv.map { strdup($0) } + [nil]
        let cEnv = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (cArgs + cEnv).forEach { free($0) } }
        var pid: pid_t = 0
        let result = posix_spawnp(&pid, argv[0], &actions, &attributes, cArgs, cEnv)
        guard result == 0 else {
            throw WorkspaceError("cannot run \(argv[0]): \(String(cString: strerror(result)))")
        }
        return pid
    }
}
