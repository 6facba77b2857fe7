import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// bubblewrap, as `run_command` uses it: the whole filesystem read-only (the workspace
/// included), the home directory's credential stores hidden, a private `/tmp`, fresh `/dev`
/// and `/proc`, no network, new PID/IPC/UTS namespaces, a new session (no terminal
/// injection), and death with bosun.
public enum Sandbox {
    /// Under the home directory, what a command must not read: keys, tokens and passwords,
    /// and conversations (Claude Code's, bosun's trace store). A command's output goes to the
    /// model provider, so whatever it can read can leave the machine. Inside the sandbox only,
    /// directories are empty and files cannot be opened (a read-only `/dev/null` over them).
    static let hiddenHomePaths = [
        ".ssh", ".gnupg", ".aws", ".azure", ".config/gcloud", ".kube", ".docker", ".config/gh",
        ".netrc", ".git-credentials", ".pgpass", ".pypirc", ".npmrc", ".cargo/credentials", ".cargo/credentials.toml",
        ".claude", ".claude.json", ".local/state/bosun",
    ]

    /// `bwrap` on PATH, when it is there and can actually create namespaces here (it cannot
    /// in some containers); probed once per process.
    public static let bwrapPath: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/bwrap"
            if access(candidate, X_OK) == 0 && probe(candidate) { return candidate }
        }
        return nil
    }()

    /// The argv that runs `command` inside the sandbox, starting in `cwd`, with the
    /// `hiddenHomePaths` of `home` hidden.
    public static func wrap(_ command: [String], bwrap: String, workspaceRoot: String, cwd: String, home: String?) -> [String] {
        var argv = [bwrap, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"]
        // Re-expose the workspace (read-only) in case it lives under /tmp, which the tmpfs hid.
        argv += ["--ro-bind", workspaceRoot, workspaceRoot]
        // Then hide, even inside the workspace (a workspace that is the home directory).
        if let home, home.hasPrefix("/") {
            for relative in hiddenHomePaths {
                // Where a symlink leads: bwrap cannot mount over the link itself.
                guard let path = (try? WorkspacePath.realPath("\(home)/\(relative)")) ?? nil else { continue }
                var info = stat()
                guard stat(path, &info) == 0 else { continue }
                // Never over the workspace itself (one kept under, say, ~/.config/gh).
                if workspaceRoot == path || workspaceRoot.hasPrefix(path + "/") { continue }
                argv += (info.st_mode & S_IFMT) == S_IFDIR ? ["--tmpfs", path] : ["--ro-bind", "/dev/null", path]
            }
        }
        argv += ["--unshare-all", "--die-with-parent", "--new-session", "--chdir", cwd, "--"]
        return argv + command
    }

    /// Runs `bwrap ... true` and reports whether it worked.
    private static func probe(_ bwrap: String) -> Bool {
        let argv = [bwrap, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--unshare-all", "--die-with-parent", "--", "true"]
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
