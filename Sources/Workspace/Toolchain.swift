import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The user's toolchain as a sandboxed command sees it: the directories on `PATH` (and the
/// prefixes their programs need: a virtualenv, an nvm node, pyenv, cargo and rustup, pip's
/// `--user` packages), shown read-only, so that `pytest` from a virtualenv or `cargo` from
/// `~/.cargo/bin` runs inside the sandbox as it does outside. Directories that do not exist,
/// that the system directories already show, or that lie in the workspace (shown with it)
/// are left out.
public struct Toolchain: Sendable, Hashable {
    /// `PATH`'s absolute entries, in order: where a program is looked for.
    public var searchPath: [String]
    /// The directories to show read-only, beyond the system directories and the workspace.
    public var directories: [String]

    public init(path: String?, home: String?, workspaceRoot: String) {
        searchPath = (path ?? "").split(separator: ":").map(String.init).filter { $0.hasPrefix("/") }
        var found: [String] = []
        func add(_ directory: String) {
            let clean = Self.normalized(directory)
            guard Self.isDirectory(clean), !found.contains(clean),
                  !Sandbox.systemPaths.contains(where: { clean == $0 || clean.hasPrefix($0 + "/") }),
                  !Self.contains(workspaceRoot, clean), !Self.contains(clean, workspaceRoot),
                  home.map({ !Self.contains(clean, $0) }) ?? true else { return }
            found.append(clean)
        }
        for entry in searchPath {
            let directory = Self.normalized(entry)
            add(directory)
            for prefix in Self.prefixes(of: directory, home: home) { add(prefix) }
        }
        directories = found
    }

    /// What a program on `directory` needs besides it.
    static func prefixes(of directory: String, home: String?) -> [String] {
        let parent = (directory as NSString).deletingLastPathComponent
        let name = (directory as NSString).lastPathComponent
        if let home, directory == home + "/.local/bin" { return [home + "/.local/lib"] }
        if let home, directory == home + "/.cargo/bin" { return [home + "/.cargo", home + "/.rustup"] }
        if name == "shims" { return [parent] } // pyenv, rbenv
        guard name == "bin", parent != "/", parent != home else { return [] }
        let venvConfig = parent + "/pyvenv.cfg"
        if FileManager.default.fileExists(atPath: venvConfig) {
            // The virtualenv, and the Python it was made from when that is not the system's.
            var prefixes = [parent]
            if let base = baseInterpreter(venvConfig) { prefixes.append((base as NSString).deletingLastPathComponent) }
            return prefixes
        }
        return isDirectory(parent + "/lib") ? [parent] : []
    }

    /// `home` of a virtualenv's `pyvenv.cfg`: the directory of the Python it was made from.
    static func baseInterpreter(_ config: String) -> String? {
        guard let text = try? String(contentsOfFile: config, encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if parts.count == 2, parts[0] == "home", parts[1].hasPrefix("/") { return parts[1] }
        }
        return nil
    }

    /// Where `program` is found as the sandbox sees it (a path with a `/` relative to `cwd`,
    /// a bare name on `PATH`); nil when it is nowhere, which makes the command
    /// `command_not_found` before it runs. With a writing worker's `layer`, a path in the
    /// workspace is looked up as its commands see it: the layer on top (a script the worker
    /// made is there, one it deleted is not).
    public func locate(_ program: String, cwd: String, layer: Layer? = nil) -> String? {
        if program.contains("/") {
            let path = program.hasPrefix("/") ? program : cwd + "/" + program
            return Self.file(path, through: layer) == .executable ? path : nil
        }
        return searchPath.lazy.map { "\($0)/\(program)" }.first { Self.file($0, through: layer) == .executable }
    }

    /// Whether `program`, a path, names a file that cannot be run (no execute permission):
    /// the worker can fix that, so it is told so rather than `command_not_found`.
    public func isPresentButNotExecutable(_ program: String, cwd: String, layer: Layer? = nil) -> Bool {
        guard program.contains("/") else { return false }
        return Self.file(program.hasPrefix("/") ? program : cwd + "/" + program, through: layer) == .notExecutable
    }

    enum FileKind { case executable, notExecutable, missing }

    /// What lies at `path`, through the layer when the path is in its workspace.
    static func file(_ path: String, through layer: Layer?) -> FileKind {
        var target = path
        if let layer {
            let normalized = WorkspacePath.lexicallyNormalized(path)
            let root = layer.workspaceRoot
            if normalized == root || normalized.hasPrefix(root + "/") {
                switch layer.lookup(String(normalized.dropFirst(root.count))) {
                case .deleted: return .missing
                case .layer(let copy): target = copy
                case .workspace: break
                }
            }
        }
        var info = stat()
        guard stat(target, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            // A symlink the worker made in its layer may lead to a path only the sandbox resolves.
            return target != path && lstat(target, &info) == 0 && (info.st_mode & S_IFMT) == S_IFLNK ? .executable : .missing
        }
        return access(target, X_OK) == 0 ? .executable : .notExecutable
    }

    /// What a command that is not found is told: which program, and the `PATH` searched.
    public func notFound(_ program: String) -> String {
        let searched = searchPath.isEmpty ? "(PATH is empty)" : searchPath.joined(separator: ":")
        return """
            command not found: \(program) is not on the PATH the sandbox searched (\(searched)). \
            This is the setup's problem, not the task's: install it, or start bosun with a PATH \
            that holds it (a virtualenv's bin, ~/.local/bin, ~/.cargo/bin, …).
            """
    }

    /// Whether a sandboxed command's output is bubblewrap saying it could not find the program
    /// (`bwrap: execvp pytest: No such file or directory`).
    public static func bwrapReportsNotFound(_ output: Data) -> Bool {
        let head = String(decoding: output.prefix(512), as: UTF8.self)
        return head.hasPrefix("bwrap: execvp ") && head.contains("No such file or directory")
    }

    private static func normalized(_ path: String) -> String {
        var clean = (path as NSString).standardizingPath
        while clean.count > 1 && clean.hasSuffix("/") { clean.removeLast() }
        return clean
    }

    /// Whether `path` is `ancestor` or lies beneath it.
    private static func contains(_ ancestor: String, _ path: String) -> Bool {
        path == ancestor || path.hasPrefix(ancestor.hasSuffix("/") ? ancestor : ancestor + "/")
    }

    private static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

}
