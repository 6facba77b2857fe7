/// Well-known places where keys, tokens and passwords are kept. A command's output and a
/// file tool's answer go to the model provider, so whatever a tool can read can leave the
/// machine: the file tools refuse these paths, even inside the workspace, unless the
/// config allows them (`tools.allowCredentialFiles`), and the sandbox hides them.
public enum CredentialPaths {
    /// Relative to a home directory: credentials, and conversations (Claude Code's).
    static let homeRelative = [
        ".ssh", ".gnupg", ".aws", ".azure", ".config/gcloud", ".kube", ".docker", ".config/gh",
        ".netrc", ".git-credentials", ".pgpass", ".pypirc", ".npmrc", ".cargo/credentials", ".cargo/credentials.toml",
        ".claude.json",
    ]

    /// Component sequences that mark a credential wherever they appear in a path.
    static let patterns: [[Substring]] = homeRelative.map { $0.split(separator: "/") }

    /// The credential pattern `relativePath` (relative to the workspace root) falls under,
    /// if any: `.ssh` for `home/.ssh/id_ed25519`, `.netrc` for `.netrc`.
    public static func match(_ relativePath: String) -> String? {
        let components = relativePath.split(separator: "/")
        for pattern in patterns where components.count >= pattern.count {
            for start in 0...(components.count - pattern.count)
            where components[start..<(start + pattern.count)].elementsEqual(pattern) {
                return pattern.joined(separator: "/")
            }
        }
        return nil
    }
}
