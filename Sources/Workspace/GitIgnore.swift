import Foundation

/// The rules of one `.gitignore` file, applied to paths below its directory, with git's
/// semantics: `#` comments, `!` negation (last match wins), a trailing `/` for directories
/// only, a leading or inner `/` anchoring the pattern to the file's directory, `**`.
struct GitIgnoreRules: Sendable {
    struct Rule: Sendable {
        let glob: GlobPattern
        let negated: Bool
        let directoryOnly: Bool
    }

    /// The directory holding the `.gitignore`, relative to the walk's root (`""` for the root).
    let base: String
    let rules: [Rule]

    init(base: String, text: String) {
        self.base = base
        var rules: [Rule] = []
        for rawLine in text.split(whereSeparator: \.isNewline) {
            var line = String(rawLine)
            while line.hasSuffix(" ") && !line.hasSuffix("\\ ") { line.removeLast() }
            if line.isEmpty || line.hasPrefix("#") { continue }
            var negated = false
            if line.hasPrefix("!") { negated = true; line.removeFirst() }
            if line.hasPrefix("\\") { line.removeFirst() }
            var directoryOnly = false
            if line.hasSuffix("/") { directoryOnly = true; line.removeLast() }
            if line.isEmpty { continue }
            // Anchored patterns match the whole path below `base`; others match a name at any depth.
            let anchored = line.contains("/")
            if line.hasPrefix("/") { line.removeFirst() }
            let pattern = anchored ? line : "**/" + line
            guard let glob = try? GlobPattern(pattern, wholePath: true) else { continue }
            rules.append(Rule(glob: glob, negated: negated, directoryOnly: directoryOnly))
        }
        self.rules = rules
    }

    /// nil when no rule speaks about `relativePath`, else whether it is ignored.
    func verdict(for relativePath: String, isDirectory: Bool) -> Bool? {
        let subject: String
        if base.isEmpty {
            subject = relativePath
        } else if relativePath.hasPrefix(base + "/") {
            subject = String(relativePath.dropFirst(base.count + 1))
        } else {
            return nil
        }
        var verdict: Bool?
        for rule in rules where !(rule.directoryOnly && !isDirectory) && rule.glob.matches(subject) {
            verdict = !rule.negated
        }
        return verdict
    }
}
