import Foundation

/// The one way bosun runs git in a workspace. A repository's own config (`.git/config`, the
/// files it includes, `config.worktree`) may have been written by a worker or shipped with a
/// clone, and git runs programs that config names: hooks, fsmonitor, `core.sshCommand`,
/// `remote.*.uploadpack`, filter, diff and merge drivers, credential helpers, `ext::`
/// remotes. bosun's git runs outside the sandbox, as the user, so none of them may run:
///
/// - hooks and fsmonitor are always off, the terminal prompt, askpass, the git:// proxy
///   command, the pager and the editor are off through the environment (which beats any
///   config), and only the `file`, `git`, `http`, `https` and `ssh` transports are allowed
///   (no `ext::`, `fd::` or remote helper);
/// - `remote.*.uploadpack` and `.receivepack`, which git reads first-wins, are replaced by
///   the command's own `--upload-pack`/`--receive-pack`;
/// - every other key that names a program is read first (`git config --list --show-scope`,
///   which runs nothing) and, when the repository sets it, overridden on the command line
///   (which beats repository config) with the user's own value from the system or global
///   config, or with a value that runs nothing. Credential helpers are a list: a repository
///   that adds one gets the list cleared and the user's own helpers added back.
///
/// The user's own git config (system and global) stays in force: credentials, ssh keys and
/// URL rewrites work as in the user's shell. Callers must not let git recurse into
/// submodules (`--no-recurse-submodules`, `--ignore-submodules`): a submodule's config is a
/// repository config this reading does not cover.
public enum HardenedGit {
    /// What a git run gave: whether it exited 0 in time, and its output (stdout and stderr).
    public struct Outcome: Sendable {
        public var ok: Bool
        public var text: String
    }

    /// The transports git may use; `GIT_ALLOW_PROTOCOL` overrides every `protocol.*.allow`.
    static let allowedProtocols = "file:git:http:https:ssh"

    /// Runs `git <arguments>` in `repository` with no program the repository names.
    public static func run(_ arguments: [String], in repository: String, timeout: Double = 30) async -> Outcome {
        let listing = await launch(["config", "--list", "--show-scope", "-z"], in: repository,
                                   overrides: [], timeout: timeout, outputCap: 1 << 20)
        guard listing.ok else { return listing }
        let entries = ConfigEntry.parse(listing.text)
        return await launch(withPackPrograms(arguments, entries), in: repository, overrides: neutralizing(entries),
                            timeout: timeout, outputCap: 16_384)
    }

    /// git reads `remote.*.uploadpack` and `.receivepack` first-wins (a later value is an
    /// error, "more than one uploadpack given, using the first"), so no command-line setting
    /// replaces the repository's; the command's own `--upload-pack` or `--receive-pack` does.
    static func withPackPrograms(_ arguments: [String], _ entries: [ConfigEntry]) -> [String] {
        let options = ["fetch": "--upload-pack=git-upload-pack", "pull": "--upload-pack=git-upload-pack",
                       "ls-remote": "--upload-pack=git-upload-pack", "push": "--receive-pack=git-receive-pack"]
        guard let subcommand = arguments.first, let option = options[subcommand],
              entries.contains(where: { $0.isRepository && $0.key.hasPrefix("remote.")
                  && ($0.key.hasSuffix(".uploadpack") || $0.key.hasSuffix(".receivepack")) }) else { return arguments }
        return [subcommand, option] + arguments.dropFirst()
    }

    private static func launch(_ arguments: [String], in repository: String, overrides: [(String, String)],
                               timeout: Double, outputCap: Int) async -> Outcome {
        let always = [("core.fsmonitor", "false"), ("core.hooksPath", "/dev/null")]
        var environment = ProcessInfo.processInfo.environment.filter { ["PATH", "HOME", "LANG", "SSH_AUTH_SOCK"].contains($0.key) }
        environment.merge([
            "GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "", "GIT_PROXY_COMMAND": "", "GIT_PAGER": "cat",
            "GIT_EDITOR": ":", "GIT_ALLOW_PROTOCOL": allowedProtocols, "GIT_OPTIONAL_LOCKS": "0",
        ]) { $1 }
        // Passed as GIT_CONFIG_KEY_n/VALUE_n rather than `-c`: a key with `=` in its URL part
        // cannot be misread, and git's own children (the https helper) inherit them.
        let settings = always + overrides
        environment["GIT_CONFIG_COUNT"] = String(settings.count)
        for (index, (key, value)) in settings.enumerated() {
            environment["GIT_CONFIG_KEY_\(index)"] = key
            environment["GIT_CONFIG_VALUE_\(index)"] = value
        }
        do {
            let outcome = try await ProcessRunner.run(["git", "--no-pager", "-C", repository] + arguments, cwd: repository,
                                                      environment: environment, timeout: timeout, outputCap: outputCap)
            let text = String(decoding: outcome.output, as: UTF8.self)
            let ok = outcome.exitCode == 0 && !outcome.timedOut
            return Outcome(ok: ok, text: outcome.timedOut ? "timed out after \(Int(timeout)) s\n" + text : text)
        } catch {
            return Outcome(ok: false, text: "\(error)")
        }
    }

    /// The command-line settings that take every program-naming key the repository sets
    /// back to the user's own value or to one that runs nothing.
    static func neutralizing(_ entries: [ConfigEntry]) -> [(String, String)] {
        let fromRepository = entries.filter(\.isRepository)
        var overrides: [(String, String)] = []
        var seen = Set<String>()
        for entry in fromRepository where !entry.isCredentialHelper {
            guard let harmless = harmlessValue(of: entry.key), seen.insert(entry.key).inserted else { continue }
            let usersOwn = entries.last { $0.isUsers && $0.key == entry.key }?.value
            overrides.append((entry.key, usersOwn ?? harmless))
        }
        if fromRepository.contains(where: \.isCredentialHelper) {
            overrides.append(("credential.helper", ""))
            overrides += entries.filter { $0.isUsers && $0.isCredentialHelper }.map { ($0.key, $0.value) }
        }
        return overrides
    }

    /// The value that makes a program-naming key run nothing, or nil for a key that names
    /// no program. `key` is as git lists it: section and name lower case.
    static func harmlessValue(of key: String) -> String? {
        let parts = key.split(separator: ".", omittingEmptySubsequences: false)
        guard let section = parts.first, let name = parts.last, parts.count >= 2 else { return nil }
        switch (section, name) {
        case ("core", "sshcommand"): return "ssh"
        case ("core", "pager"), ("core", "editor"), ("core", "askpass"), ("core", "alternaterefscommand"),
             ("sequence", "editor"), ("pager", _),
             ("filter", "clean"), ("filter", "smudge"), ("filter", "process"),
             ("diff", "textconv"), ("diff", "command"), ("diff", "external"), ("merge", "driver"),
             ("difftool", "cmd"), ("difftool", "path"), ("mergetool", "cmd"), ("mergetool", "path"),
             ("gpg", "program"), ("gpg", "defaultkeycommand"):
            return ""
        case ("filter", "required"): return "false"
        default: return nil
        }
    }

    /// One line of `git config --list --show-scope -z`.
    struct ConfigEntry {
        var scope: String
        var key: String
        var value: String

        /// System and global config are the user's (or the administrator's), `command` is
        /// bosun's own settings; every other scope (local, worktree, and the files they
        /// include) is the repository's.
        var isUsers: Bool { scope == "system" || scope == "global" }
        var isRepository: Bool { !isUsers && scope != "command" }
        var isCredentialHelper: Bool { key.hasPrefix("credential.") && key.hasSuffix(".helper") }

        /// Each record is `scope NUL key LF value NUL` (a key with no value has no LF).
        static func parse(_ listing: String) -> [ConfigEntry] {
            let fields = listing.split(separator: "\0", omittingEmptySubsequences: false)
            return stride(from: 0, to: fields.count - 1, by: 2).map { index in
                let pair = fields[index + 1]
                let newline = pair.firstIndex(of: "\n")
                return ConfigEntry(scope: String(fields[index]),
                                   key: String(pair[..<(newline ?? pair.endIndex)]),
                                   value: newline.map { String(pair[pair.index(after: $0)...]) } ?? "")
            }
        }
    }
}
