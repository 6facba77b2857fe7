import Foundation

/// A configuration problem, located as precisely as possible so the user can fix it:
/// `config.yaml:12: roles.coder.timeoutSeconds: expected a positive number, got "x"`.
public struct ConfigError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The file the problem is in (`built-in` for bosun's own defaults), when known.
    public var file: String?
    /// 1-based line in `file`, when known.
    public var line: Int?
    /// The dotted key path (`roles.coder.timeoutSeconds`), when the problem is about one key.
    public var key: String?
    /// What is wrong and what is expected instead.
    public var message: String

    public init(file: String? = nil, line: Int? = nil, key: String? = nil, message: String) {
        self.file = file
        self.line = line
        self.key = key
        self.message = message
    }

    public var description: String {
        var prefix = ""
        if let file {
            prefix = file
            if let line { prefix += ":\(line)" }
            prefix += ": "
        }
        if let key { prefix += "\(key): " }
        return prefix + message
    }

    /// A role name that is not configured; lists the ones that are.
    public static func unknownRole(_ name: String, known: [String]) -> ConfigError {
        ConfigError(key: "roles", message: "unknown role \"\(name)\"; known roles: \(known.sorted().joined(separator: ", "))")
    }
}
