import Foundation
import Spelling

/// Reads the typed fields of one config mapping, reporting every problem with the file,
/// line and dotted key where it was written. Unknown keys are errors: a typo such as
/// `timeoutSecond` must not be silently ignored.
struct ConfigFields {
    let node: ConfigNode
    /// The dotted path of this mapping (`roles.coder`); empty at the top level.
    let path: String

    init(_ node: ConfigNode, path: String, allowedKeys: [String]) throws {
        guard case .mapping(let entries, _) = node else {
            throw ConfigError(file: node.location.file, line: node.location.line, key: path.isEmpty ? nil : path,
                              message: "expected a mapping of keys (\(allowedKeys.joined(separator: ", "))), got \(node.summary)")
        }
        for entry in entries where !allowedKeys.contains(entry.key) {
            let hint = Spelling.suggestion(for: entry.key, among: allowedKeys)
            throw ConfigError(file: entry.keyLocation.file, line: entry.keyLocation.line, key: Self.join(path, entry.key),
                              message: "unknown key\(hint); known keys here: \(allowedKeys.joined(separator: ", "))")
        }
        self.node = node
        self.path = path
    }

    static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// The value under `key`, nil when absent or null.
    func value(_ key: String) -> ConfigNode? {
        guard let value = node[key], !value.isNull else { return nil }
        return value
    }

    func error(_ key: String, _ message: String) -> ConfigError {
        let at = node[key]?.location ?? node.location
        return ConfigError(file: at.file, line: at.line, key: Self.join(path, key), message: message)
    }

    func string(_ key: String) throws -> String? {
        guard let value = value(key) else { return nil }
        guard case .scalar(let text, _, _) = value else { throw error(key, "expected a string, got \(value.summary)") }
        return text
    }

    func bool(_ key: String) throws -> Bool? {
        guard let value = value(key) else { return nil }
        guard case .scalar(let text, true, _) = value, let flag = ["true": true, "false": false][text.lowercased()] else {
            throw error(key, "expected true or false, got \(value.summary)")
        }
        return flag
    }

    /// A number; `positive` refuses zero and below, otherwise negatives are refused.
    func number(_ key: String, positive: Bool = true) throws -> Double? {
        guard let value = value(key) else { return nil }
        let expected = positive ? "a positive number" : "a number, zero or more"
        guard case .scalar(let text, true, _) = value, let number = Double(text.withoutDigitSeparators),
              number.isFinite else {
            throw error(key, "expected \(expected), got \(value.summary)")
        }
        if positive ? number <= 0 : number < 0 { throw error(key, "expected \(expected), got \(text)") }
        return number
    }

    /// A positive number of seconds, at most `maxSeconds`: a larger one (`1e300`) is no
    /// deadline a clock can hold, and would stop the process where it is used.
    func seconds(_ key: String) throws -> Double? {
        guard let number = try number(key) else { return nil }
        if number > Self.maxSeconds {
            throw error(key, "expected at most \(Int(Self.maxSeconds)) seconds (about 31 years), got \(number)")
        }
        return number
    }

    static let maxSeconds = 1e9

    /// A whole number of at least `minimum`.
    func int(_ key: String, minimum: Int = 1) throws -> Int? {
        guard let value = value(key) else { return nil }
        guard case .scalar(let text, true, _) = value, let number = Int(text.withoutDigitSeparators) else {
            throw error(key, "expected a whole number of at least \(minimum), got \(value.summary)")
        }
        if number < minimum { throw error(key, "expected a whole number of at least \(minimum), got \(number)") }
        return number
    }

    /// A list of strings; a single string is accepted as a list of one.
    func stringList(_ key: String) throws -> [String]? {
        guard let value = value(key) else { return nil }
        switch value {
        case .scalar(let text, _, _):
            return [text]
        case .sequence(let items, _):
            return try items.map { item in
                guard case .scalar(let text, _, _) = item else {
                    throw ConfigError(file: item.location.file, line: item.location.line, key: Self.join(path, key),
                                      message: "expected a list of strings, got an item that is \(item.summary)")
                }
                return text
            }
        case .mapping:
            throw error(key, "expected a list of strings, got \(value.summary)")
        }
    }

    /// One of `choices`.
    func choice(_ key: String, _ choices: [String]) throws -> String? {
        guard let text = try string(key) else { return nil }
        guard choices.contains(text) else {
            throw error(key, "expected one of \(choices.joined(separator: ", ")), got \"\(text)\"")
        }
        return text
    }

    /// The entries of a nested mapping under `key` (empty when absent).
    func entries(_ key: String) throws -> [ConfigEntry] {
        guard let value = value(key) else { return [] }
        guard case .mapping(let entries, _) = value else { throw error(key, "expected a mapping, got \(value.summary)") }
        return entries
    }
}

extension ConfigNode {
    /// How a value reads in an error message: `"x"`, `a list`, `a mapping`.
    var summary: String {
        switch self {
        case .scalar(let text, _, _): return "\"\(text.count > 60 ? String(text.prefix(57)) + "..." : text)\""
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        }
    }
}
