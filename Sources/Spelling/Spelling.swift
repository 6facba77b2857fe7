/// "Did you mean": the known name closest to a misspelt one, for every error that names a
/// field, key or command a user typed (`wiat` → `wait`, `serv` → `serve`).
public enum Spelling {
    /// The name among `known` closest to `typed`, when it is close enough to be what the user
    /// meant: case aside, at most a third of the longer name's letters differ (one for short
    /// names), or one is the start of the other (`serv` → `serve`). Ties go to the earlier name.
    public static func closest(to typed: String, among known: some Sequence<String>) -> String? {
        let lowered = Array(typed.lowercased())
        var best: (name: String, distance: Int)?
        for name in known {
            let candidate = Array(name.lowercased())
            let distance = editDistance(lowered, candidate)
            let allowed = max(1, max(lowered.count, candidate.count) / 3)
            let isPrefix = lowered.count >= 3 && (candidate.starts(with: lowered) || lowered.starts(with: candidate))
            guard distance <= allowed || isPrefix else { continue }
            if best == nil || distance < best!.distance { best = (name, distance) }
        }
        return best?.name
    }

    /// " (did you mean 'x'?)" when one is close, else "": the suffix every such error ends with.
    public static func suggestion(for typed: String, among known: some Sequence<String>) -> String {
        closest(to: typed, among: known).map { " (did you mean '\($0)'?)" } ?? ""
    }

    /// Levenshtein distance, with a swap of two neighbours counting as one edit (`wiat`).
    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var before = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    current[j] = min(current[j], before[j - 2] + 1)
                }
            }
            (before, previous, current) = (previous, current, before)
        }
        return previous[b.count]
    }
}
