import Foundation
import Yams

/// Where a configuration value was written.
public struct SourceLocation: Sendable, Hashable {
    public var file: String
    public var line: Int?

    public init(file: String, line: Int?) {
        self.file = file
        self.line = line
    }
}

/// A YAML tree whose every value remembers its file and line, so that values merged from
/// several files can still be reported where they were written.
indirect enum ConfigNode: Sendable {
    /// `plain` is false for quoted and block scalars: `"5"` is a string, `5` a number.
    case scalar(String, plain: Bool, at: SourceLocation)
    case mapping([ConfigEntry], at: SourceLocation)
    case sequence([ConfigNode], at: SourceLocation)

    var location: SourceLocation {
        switch self {
        case .scalar(_, _, let at), .mapping(_, let at), .sequence(_, let at): return at
        }
    }

    /// True for `~`, `null` and an empty plain value.
    var isNull: Bool {
        if case .scalar(let text, true, _) = self { return ["", "~", "null", "Null", "NULL"].contains(text) }
        return false
    }

    /// The value under `key`, when this is a mapping that has it.
    subscript(key: String) -> ConfigNode? {
        guard case .mapping(let entries, _) = self else { return nil }
        return entries.last { $0.key == key }?.value
    }
}

struct ConfigEntry: Sendable {
    var key: String
    var keyLocation: SourceLocation
    var value: ConfigNode
}

extension ConfigNode {
    /// Parses YAML text. An empty document is an empty mapping.
    /// - Parameter lineOffset: added to every line, for YAML embedded in a larger file (front matter).
    static func parse(yaml: String, file: String, lineOffset: Int = 0) throws -> ConfigNode {
        let node: Node?
        do {
            // The basic resolver (no tag rules): `convert` reads scalars as text and style
            // alone, and the default resolver's rules are regular expressions whose compiling
            // loads ICU's pattern and property data (1.5 MB resident) at every session start.
            node = try Yams.compose(yaml: yaml, .basic)
        } catch let error as YamlError {
            throw ConfigError.fromYams(error, file: file, lineOffset: lineOffset)
        }
        guard let node else { return .mapping([], at: SourceLocation(file: file, line: 1 + lineOffset)) }
        return try convert(node, file: file, lineOffset: lineOffset)
    }

    private static func convert(_ node: Node, file: String, lineOffset: Int) throws -> ConfigNode {
        let at = SourceLocation(file: file, line: node.mark.map { $0.line + lineOffset })
        switch node {
        case .scalar(let scalar):
            return .scalar(scalar.string, plain: scalar.style == .plain || scalar.style == .any, at: at)
        case .sequence(let sequence):
            return .sequence(try sequence.map { try convert($0, file: file, lineOffset: lineOffset) }, at: at)
        case .mapping(let mapping):
            var entries: [ConfigEntry] = []
            for (key, value) in mapping {
                let keyAt = SourceLocation(file: file, line: key.mark.map { $0.line + lineOffset })
                guard case .scalar(let keyScalar) = key else {
                    throw ConfigError(file: file, line: keyAt.line, message: "mapping keys must be plain strings")
                }
                entries.append(ConfigEntry(key: keyScalar.string, keyLocation: keyAt,
                                           value: try convert(value, file: file, lineOffset: lineOffset)))
            }
            return .mapping(entries, at: at)
        case .alias:
            throw ConfigError(file: file, line: at.line, message: "YAML aliases (*name) are not supported in bosun config; write the value out")
        }
    }

    /// `other` layered over `self`: mappings merge key by key, recursively; anything else in
    /// `other` replaces what was here. A `null` in `other` removes the key.
    func merged(with other: ConfigNode) -> ConfigNode {
        guard case .mapping(var base, _) = self, case .mapping(let over, let overAt) = other else { return other }
        for entry in over {
            if let index = base.firstIndex(where: { $0.key == entry.key }) {
                if entry.value.isNull {
                    base.remove(at: index)
                } else {
                    base[index].value = base[index].value.merged(with: entry.value)
                    base[index].keyLocation = entry.keyLocation
                }
            } else if !entry.value.isNull {
                base.append(entry)
            }
        }
        return .mapping(base, at: overAt)
    }

    /// This mapping with `key` set to `value` (replacing, not merging, any previous value).
    func setting(_ key: String, to value: ConfigNode, keyLocation: SourceLocation) -> ConfigNode {
        guard case .mapping(var entries, let at) = self else { return self }
        let entry = ConfigEntry(key: key, keyLocation: keyLocation, value: value)
        if let index = entries.firstIndex(where: { $0.key == key }) {
            entries[index] = entry
        } else {
            entries.append(entry)
        }
        return .mapping(entries, at: at)
    }
}

extension ConfigError {
    static func fromYams(_ error: YamlError, file: String, lineOffset: Int) -> ConfigError {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return ConfigError(file: file, line: mark.line + lineOffset, message: "invalid YAML: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return ConfigError(file: file, line: context.mark.line + lineOffset,
                               message: "duplicate keys \(duplicates.joined(separator: ", ")) in the mapping that starts here; keep one of each")
        default:
            return ConfigError(file: file, message: "invalid YAML: \(error)")
        }
    }
}
