import Foundation

/// A shell-style glob: `*` (any characters but `/`), `**` (any number of path segments),
/// `?`, `[abc]` / `[!abc]` classes and `{a,b}` alternatives. A pattern without `/` matches a
/// file's name at any depth (`*.swift`); one with `/` matches the whole relative path
/// (`Sources/**/*.swift`).
struct GlobPattern: @unchecked Sendable {
    // NSRegularExpression is immutable after creation and documented thread-safe for matching.
    private let regex: NSRegularExpression
    let matchesNameOnly: Bool

    /// `wholePath` forces matching the whole relative path even without a `/` (gitignore's anchored patterns).
    init(_ pattern: String, wholePath: Bool = false) throws {
        var pattern = pattern
        if pattern.hasPrefix("./") { pattern.removeFirst(2) }
        matchesNameOnly = !wholePath && !pattern.contains("/")
        do {
            regex = try NSRegularExpression(pattern: "^" + Self.regexSource(pattern) + "$")
        } catch {
            throw ToolError("invalid glob pattern \"\(pattern)\"")
        }
    }

    /// Whether `relativePath` (`a/b/c.swift`) matches.
    func matches(_ relativePath: String) -> Bool {
        let subject = matchesNameOnly ? (relativePath as NSString).lastPathComponent : relativePath
        return regex.firstMatch(in: subject, range: NSRange(subject.startIndex..., in: subject)) != nil
    }

    /// Translates a glob to a regular expression body.
    static func regexSource(_ glob: String) -> String {
        var out = ""
        let chars = Array(glob)
        var index = 0
        var braceDepth = 0
        while index < chars.count {
            let c = chars[index]
            switch c {
            case "*":
                if index + 1 < chars.count, chars[index + 1] == "*" {
                    // `**/` matches zero or more whole segments; a trailing `**` matches everything.
                    if index + 2 < chars.count, chars[index + 2] == "/" {
                        out += "(?:[^/]*/)*"
                        index += 3
                    } else {
                        out += ".*"
                        index += 2
                    }
                    continue
                }
                out += "[^/]*"
            case "?":
                out += "[^/]"
            case "[":
                if let close = chars[(index + 1)...].firstIndex(of: "]"), close > index + 1 {
                    var body = String(chars[(index + 1)..<close])
                    if body.hasPrefix("!") { body = "^" + body.dropFirst() }
                    out += "[" + body.replacingOccurrences(of: "\\", with: "\\\\") + "]"
                    index = close + 1
                    continue
                }
                out += "\\["
            case "{":
                braceDepth += 1
                out += "(?:"
            case "}" where braceDepth > 0:
                braceDepth -= 1
                out += ")"
            case "," where braceDepth > 0:
                out += "|"
            default:
                out += NSRegularExpression.escapedPattern(for: String(c))
            }
            index += 1
        }
        return out
    }
}
