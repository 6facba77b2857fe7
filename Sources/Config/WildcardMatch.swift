/// Matching with one wildcard that stands for any run of items (a glob's `*`), by
/// backtracking to the last such wildcard: time linear in the subject for each of them.
/// MCP tool name patterns, a command pattern's words and its arguments all match this way.
enum WildcardMatch {
    /// Whether `pattern` matches the whole of `subject`: `isAnyRun(p)` marks the wildcard,
    /// `matchesOne(p, s)` says whether another element matches one item.
    static func matches<P, S>(_ pattern: [P], _ subject: [S], isAnyRun: (P) -> Bool, matchesOne: (P, S) -> Bool) -> Bool {
        var p = 0, s = 0, starP = -1, starS = 0
        while s < subject.count {
            if p < pattern.count, !isAnyRun(pattern[p]), matchesOne(pattern[p], subject[s]) {
                p += 1; s += 1
            } else if p < pattern.count, isAnyRun(pattern[p]) {
                starP = p; starS = s; p += 1
            } else if starP >= 0 {
                p = starP + 1; starS += 1; s = starS
            } else {
                return false
            }
        }
        while p < pattern.count, isAnyRun(pattern[p]) { p += 1 }
        return p == pattern.count
    }
}
