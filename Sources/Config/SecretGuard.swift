import Foundation

/// Refuses config files that hold API keys. Keys belong in environment variables, named by
/// a provider's `apiKeyEnv`: a config file gets committed, shared and printed, and bosun
/// stores its effective config in traces.
enum SecretGuard {
    /// Keys whose very name says they hold a credential.
    private static let secretKeyNames: Set<String> = [
        "apikey", "api_key", "api-key", "key", "token", "accesstoken", "access_token", "authtoken", "auth_token",
        "secret", "secretkey", "secret_key", "password", "authorization", "bearer", "credentials",
    ]

    /// Value prefixes of well-known API key formats (Anthropic, OpenAI, Google, GitHub, AWS, Slack, xAI, Groq).
    private static let secretValuePrefixes = ["sk-", "sk_", "AIza", "ghp_", "gho_", "github_pat_", "AKIA", "xoxb-", "xoxp-", "xai-", "gsk_"]

    static func check(_ node: ConfigNode, path: String = "") throws {
        switch node {
        case .mapping(let entries, _):
            for entry in entries {
                let key = ConfigFields.join(path, entry.key)
                if isMCPServerSecrets(path) {
                    // An MCP server's env and headers name their secrets as `${VAR}`, read when it starts.
                    if case .scalar(let text, _, let at) = entry.value, !text.contains("${"), secretKeyNames.contains(entry.key.lowercased()) || looksLikeSecret(text) {
                        throw ConfigError(file: at.file, line: at.line, key: key,
                                          message: "secrets are not read from config files; write \"${VARIABLE}\" here and set that environment variable for bosun (rotate the value if this file was shared)")
                    }
                    continue
                }
                if secretKeyNames.contains(entry.key.lowercased()) {
                    throw ConfigError(file: entry.keyLocation.file, line: entry.keyLocation.line, key: key,
                                      message: "API keys and other secrets are not read from config files. Put the key in an environment variable and name it instead, e.g. `apiKeyEnv: ANTHROPIC_API_KEY`; then remove this line (and rotate the key if this file was shared)")
                }
                try check(entry.value, path: key)
            }
        case .sequence(let items, _):
            for item in items { try check(item, path: path) }
        case .scalar(let text, _, let at):
            if looksLikeSecret(text) {
                throw ConfigError(file: at.file, line: at.line, key: path.isEmpty ? nil : path,
                                  message: "this value looks like an API key; keys are not read from config files. Put it in an environment variable and name that variable with `apiKeyEnv`; remove it here (and rotate it if this file was shared)")
            }
        }
    }

    /// `mcpServers.<name>.env` and `mcpServers.<name>.headers`.
    private static func isMCPServerSecrets(_ path: String) -> Bool {
        let parts = path.split(separator: ".")
        return parts.count == 3 && parts[0] == "mcpServers" && (parts[2] == "env" || parts[2] == "headers")
    }

    /// A single token, long enough, starting like a known key format.
    static func looksLikeSecret(_ text: String) -> Bool {
        let value = text.hasPrefix("Bearer ") ? String(text.dropFirst(7)) : text
        guard value.count >= 20, !value.contains(where: { $0.isWhitespace }) else { return false }
        return secretValuePrefixes.contains { value.hasPrefix($0) }
    }
}
