import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What a sandboxed command sees of the machine, besides the system directories.
public struct SandboxView: Sendable, Hashable {
    /// The workspace's real path; shown at the same path.
    public var workspaceRoot: String
    /// Whether the command may change what it sees of the workspace: with a layer, its
    /// writes go into the layer (`run_command` of a writing worker); without, into the
    /// workspace itself (a `command` check that says `writable`).
    public var workspaceWritable: Bool
    /// The home directory: the command gets an empty, private one at this path.
    public var home: String?
    /// Paths that must never be visible wherever they live (the trace store's directory,
    /// bosun's config files): hidden even when they lie under a system directory or in
    /// the workspace.
    public var privatePaths: [String]
    /// The user's toolchain directories (`Toolchain.directories`), shown read-only.
    public var toolchain: [String]
    /// A writing worker's layer: the workspace is shown through an overlay with the layer on
    /// top, so the command sees the worker's changes and, if writable, makes them in the layer.
    public var layer: Layer?
    /// Paths under the workspace shown read-only whatever else is writable (`.git`, …).
    public var protectedPaths: ProtectedPaths

    /// What the command may use of the machine.
    public var limits: SandboxLimits

    public init(workspaceRoot: String, workspaceWritable: Bool = false, home: String? = nil, privatePaths: [String] = [],
                toolchain: [String] = [], layer: Layer? = nil, protectedPaths: ProtectedPaths = ProtectedPaths(),
                limits: SandboxLimits = SandboxLimits()) {
        self.workspaceRoot = workspaceRoot
        self.workspaceWritable = workspaceWritable
        self.home = home
        self.privatePaths = privatePaths
        self.toolchain = toolchain
        self.layer = layer
        self.protectedPaths = protectedPaths
        self.limits = limits
    }
}

/// bubblewrap, as `run_command` and `search` use it. The view is built from an allow-list:
/// a fresh root holding only the system directories (read-only), the user's toolchain
/// directories (read-only, `Toolchain`), the workspace (read-only unless the view says
/// otherwise), a private `/tmp`, an empty home, fresh `/dev` and `/proc`. Everything else of the machine (other homes, `/root`, `/var`, the trace store,
/// mounted volumes) does not exist inside.
///
/// The command runs as an unprivileged uid (65534) in a user namespace of its own, with
/// every capability dropped and `no_new_privs` set (bubblewrap sets it), so it cannot
/// remount, unmount or mount anything, even when bosun runs as root. It also gets no
/// network, new PID/IPC/UTS/cgroup namespaces, a new session (no terminal injection), and
/// dies with bosun. It is bounded by the view's `SandboxLimits`: sized tmpfs mounts, and
/// resource limits set by `/bin/sh` inside before it becomes the command.
///
/// When bosun runs as root, the sandbox's uid maps to root outside, so files only root may
/// read would be readable by their owner; the system's own secrets among them are hidden
/// (`hiddenSystemPaths`).
public enum Sandbox {
    /// The system directories shown read-only, when they exist (a symlink, as `/bin` is on
    /// merged-/usr systems, is recreated as the same symlink).
    static let systemPaths = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt", "/nix"]

    /// Files under the system directories that only root may read: password hashes, host
    /// keys, sudo rules, TLS private keys. Hidden because the sandbox's uid owns root's files.
    static let hiddenSystemPaths = ["/etc/shadow", "/etc/shadow-", "/etc/gshadow", "/etc/gshadow-", "/etc/sudoers",
                                    "/etc/sudoers.d", "/etc/ssl/private", "/etc/ssh"]

    /// Under a home directory, conversations a command must not read (Claude Code's, bosun's
    /// trace store in its default place); hidden when the workspace shows the home directory.
    static let conversationPaths = [".claude", ".local/state/bosun"]

    /// The uid and gid commands run as inside their user namespace (`nobody`).
    static let unprivilegedID = "65534"

    /// `bwrap` on PATH, when it is there and can actually create namespaces here (it cannot
    /// in some containers); probed once per process. The first read runs bubblewrap and waits
    /// for it: read it where blocking is allowed (`Bubblewrap.probedWhenRun`).
    public static let bwrapPath: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/bwrap"
            if access(candidate, X_OK) == 0 && probe(candidate) { return candidate }
        }
        return nil
    }()

    /// The argv that runs `command` inside the sandbox described by `view`, starting in `cwd`.
    /// With `releaseFD`, the sandbox starts no process until a byte arrives on that
    /// descriptor (`ProcessRunner.run` with `maxProcesses` holds it so).
    public static func wrap(_ command: [String], bwrap: String, view: SandboxView, cwd: String,
                            releaseFD: Int32? = nil) -> [String] {
        var argv = [bwrap]
        var visible: [String] = []
        for path in systemPaths {
            var info = stat()
            guard lstat(path, &info) == 0 else { continue }
            if (info.st_mode & S_IFMT) == S_IFLNK, let target = symlinkTarget(path) {
                argv += ["--symlink", target, path]
            } else {
                argv += ["--ro-bind", path, path]
                visible.append(path)
            }
        }
        let tmpfsSize = String(view.limits.tmpfsMB * SandboxLimits.megabyte)
        argv += ["--dev", "/dev", "--proc", "/proc", "--perms", "1777", "--size", tmpfsSize, "--tmpfs", "/tmp"]
        // The home directory: empty and private (before the workspace, which may lie inside it).
        if let home = view.home, home.hasPrefix("/"), home != "/" {
            argv += ["--perms", "0700", "--size", tmpfsSize, "--tmpfs", home]
        }
        // The user's toolchain (after the home, where much of it lives; before the workspace).
        for directory in view.toolchain {
            argv += ["--ro-bind", directory, directory]
            visible.append(directory)
        }
        argv += [view.workspaceWritable ? "--bind" : "--ro-bind", view.workspaceRoot, view.workspaceRoot]
        visible.append(view.workspaceRoot)
        for protected in view.protectedPaths.paths {
            let path = view.workspaceRoot + "/" + protected
            var info = stat()
            guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) != S_IFLNK else { continue }
            argv += ["--ro-bind", path, path]
        }
        // Then hide, wherever it would show: credential stores in a workspace that is (or holds) the
        // home directory, the system's secrets, bosun's own private paths. Never the workspace itself.
        var hidden = hiddenSystemPaths + view.privatePaths
        if let home = view.home, home.hasPrefix("/") {
            hidden += (CredentialPaths.homeRelative + conversationPaths).map { "\(home)/\($0)" }
        }
        for path in hidden {
            // Where a symlink leads: bwrap cannot mount over the link itself.
            guard let real = (try? WorkspacePath.realPath(path)) ?? nil else { continue }
            guard visible.contains(where: { real == $0 || real.hasPrefix($0 + "/") }) else { continue }
            if view.workspaceRoot == real || view.workspaceRoot.hasPrefix(real + "/") { continue }
            var info = stat()
            guard stat(real, &info) == 0 else { continue }
            argv += (info.st_mode & S_IFMT) == S_IFDIR ? ["--tmpfs", real] : ["--ro-bind", "/dev/null", real]
        }
        argv += ["--unshare-all", "--unshare-user", "--uid", unprivilegedID, "--gid", unprivilegedID, "--cap-drop", "ALL",
                 "--die-with-parent", "--new-session", "--chdir", cwd]
        if let releaseFD { argv += ["--block-fd", String(releaseFD)] }
        argv += ["--"] + view.limits.limitedCommand(command)
        guard let layer = view.layer else { return argv }
        return overlayPrefix(layer: layer) + argv
    }

    /// What mounts the layer over the workspace before bubblewrap starts: a user and mount
    /// namespace of the command's own (`unshare`, util-linux), where the overlay is mounted at
    /// the workspace's own path (`userxattr`: the attributes a user namespace may set), then
    /// bubblewrap binds it. bubblewrap 0.8, Debian's, has no overlay option of its own. The
    /// paths go to `mount` as arguments, never through the shell's parsing.
    static func overlayPrefix(layer: Layer) -> [String] {
        let options = "lowerdir=\(layer.workspaceRoot),upperdir=\(layer.upper),workdir=\(layer.work),userxattr"
        return [systemProgram("unshare"), "--user", "--map-root-user", "--mount", "--", "/bin/sh", "-c",
                "\(systemProgram("mount")) -t overlay bosun-layer -o \"$1\" \"$2\" && shift 2 && exec \"$@\"", "bosun-layer",
                options, layer.workspaceRoot]
    }

    /// util-linux's programs are looked up in the system's directories, never the user's PATH.
    static func systemProgram(_ name: String) -> String {
        ["/usr/bin", "/bin", "/usr/sbin", "/sbin"].map { "\($0)/\(name)" }.first { access($0, X_OK) == 0 } ?? "/usr/bin/\(name)"
    }

    /// Characters overlayfs's options cannot carry in a path.
    static let overlayUnsafeCharacters: Set<Character> = [",", ":", "\\", "\""]

    /// Why the layer cannot be mounted for commands, if it cannot.
    public static func overlayProblem(_ layer: Layer) -> String? {
        for path in [layer.workspaceRoot, layer.upper, layer.work] where path.contains(where: overlayUnsafeCharacters.contains) {
            return "the path \(path) holds a comma, colon, backslash or quote, which an overlay mount cannot name"
        }
        return nil
    }

    /// Where the symlink at `path` points, as written.
    private static func symlinkTarget(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink(path, &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Runs a trivial command in the sandbox this type builds and reports whether it worked.
    private static func probe(_ bwrap: String) -> Bool {
        let argv = wrap(["true"], bwrap: bwrap, view: SandboxView(workspaceRoot: "/tmp"), cwd: "/")
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for fd in Int32(0)...2 { posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0) }
        let cArgs = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, bwrap, &actions, nil, cArgs, environ) == 0 else { return false }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        return status == 0
    }
}

/// Which bubblewrap binary a tool or check runs its commands under.
public enum Bubblewrap: Sendable, Equatable {
    /// `Sandbox.bwrapPath`, read when a command runs, on a blocking thread: its first read
    /// in a process runs the probe and waits for it, which must not happen where tools and
    /// checks are made (on the session's actor, in a worker's first spawn).
    case probedWhenRun
    /// This binary; nil: none is usable.
    case given(String?)

    /// The binary, probing it first if this is the process's first read of `Sandbox.bwrapPath`;
    /// only on a thread that may block (inside `BlockingWork.run`).
    public var blockingPath: String? {
        switch self {
        case .probedWhenRun: Sandbox.bwrapPath
        case .given(let path): path
        }
    }

    /// The binary, any probe run on a blocking thread.
    public func path() async throws -> String? {
        switch self {
        case .probedWhenRun: try await BlockingWork.run { Sandbox.bwrapPath }
        case .given(let path): path
        }
    }
}
