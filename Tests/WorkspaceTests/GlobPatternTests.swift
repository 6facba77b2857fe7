import Testing
@testable import Workspace

/// Pins the glob syntax. Until issue 6 a glob was translated to an NSRegularExpression; the
/// direct matcher replaced it, and every case below marked `sameAsRegex` was run against the
/// old translation too (and agreed) when it was written.
@Suite struct GlobPatternTests {
    struct Case: CustomStringConvertible, Sendable {
        let pattern: String
        var wholePath = false
        let matches: [String]
        let misses: [String]
        var description: String { "\(pattern.debugDescription)\(wholePath ? " (whole path)" : "")" }
    }

    static let sameAsRegex: [Case] = [
        // Name-only patterns match the last component at any depth; with a `/`, the whole path.
        Case(pattern: "*.swift", matches: ["a.swift", "Sources/App/a.swift", ".swift"], misses: ["a.swiftx", "a.swift/b", "a.Swift"]),
        Case(pattern: "b", matches: ["b", "a/b", "x/y/b"], misses: ["a/b/c", "ab"]),
        Case(pattern: "b", wholePath: true, matches: ["b"], misses: ["a/b"]),
        Case(pattern: "./*.md", matches: ["README.md", "docs/x.md"], misses: ["README.txt"]),
        Case(pattern: "./a/*", matches: ["a/b"], misses: ["./a/b", "a/b/c"]),
        Case(pattern: "example glob", matches: ["example glob", "x/example glob"], misses: ["README.md", "example", "example glob2"]),
        // `*` stays inside a segment; `**` crosses them; `**/` is zero or more whole segments.
        Case(pattern: "*", wholePath: true, matches: ["", "a", "a.b"], misses: ["a/b", "/"]),
        Case(pattern: "a*b", wholePath: true, matches: ["ab", "axxb"], misses: ["a/b", "axb/"]),
        Case(pattern: "**", wholePath: true, matches: ["", "a", "a/b/c", "/"], misses: []),
        Case(pattern: "a**b", wholePath: true, matches: ["ab", "a/b", "ax/y/zb"], misses: ["a/bc"]),
        Case(pattern: "a/**", matches: ["a/", "a/b", "a/b/c"], misses: ["a", "b/a/c"]),
        Case(pattern: "**/build", wholePath: true, matches: ["build", "x/build", "x/y/build"], misses: ["xbuild", "x/build/y", "/xbuild"]),
        Case(pattern: "a/**/b", matches: ["a/b", "a/x/b", "a/x/y/b"], misses: ["ab", "a/xb", "a/x/bc"]),
        Case(pattern: "Sources/**/*.swift", matches: ["Sources/a.swift", "Sources/App/main.swift", "Sources/A/B/c.swift"],
             misses: ["Other/a.swift", "Sources/a.swift/x", "Sources/a.txt"]),
        Case(pattern: "***", wholePath: true, matches: ["", "a/b"], misses: []),
        Case(pattern: "**b", wholePath: true, matches: ["b", "a/b", "a/xb"], misses: ["a/bx"]),
        // `?` is one Unicode scalar but `/`; matching compares scalars, not canonical equivalents.
        Case(pattern: "a?c", wholePath: true, matches: ["abc", "a.c", "a\u{E9}c"], misses: ["ac", "a/c", "abbc", "ae\u{301}c"]),
        Case(pattern: "\u{E9}", matches: ["\u{E9}"], misses: ["e\u{301}"]),
        // Classes: members, ranges, `!`/`^` negation (which matches `/` too), literal `-` at the ends.
        Case(pattern: "[abc]", matches: ["a", "c"], misses: ["d", "ab", ""]),
        Case(pattern: "x[a-c]y", wholePath: true, matches: ["xay", "xby", "xcy"], misses: ["xdy", "x-y"]),
        Case(pattern: "x[a-cx-z]y", wholePath: true, matches: ["xby", "xzy"], misses: ["xdy"]),
        Case(pattern: "x[!abc]y", wholePath: true, matches: ["xdy", "x/y", "x]y"], misses: ["xay", "xy"]),
        Case(pattern: "x[^abc]y", wholePath: true, matches: ["xdy"], misses: ["xby"]),
        Case(pattern: "x[!!]y", wholePath: true, matches: ["xay"], misses: ["x!y"]),
        Case(pattern: "x[!^]y", wholePath: true, matches: ["xay"], misses: ["x^y"]),
        Case(pattern: "x[a^]y", wholePath: true, matches: ["xay", "x^y"], misses: ["xby"]),
        Case(pattern: "x[-a]y", wholePath: true, matches: ["x-y", "xay"], misses: ["xby"]),
        Case(pattern: "x[a-]y", wholePath: true, matches: ["x-y", "xay"], misses: ["xby"]),
        Case(pattern: "x[!-a]y", wholePath: true, matches: ["xby"], misses: ["x-y", "xay"]),
        Case(pattern: "x[a-b-c]y", wholePath: true, matches: ["xay", "xby", "x-y", "xcy"], misses: ["xdy"]),
        Case(pattern: "x[x-x]y", wholePath: true, matches: ["xxy"], misses: ["xyy"]),
        Case(pattern: "x[a-\u{E9}]y", wholePath: true, matches: ["xzy", "x{y", "x\u{E9}y"], misses: ["x-y", "xAy"]),
        Case(pattern: "x[\\]y", wholePath: true, matches: ["x\\y"], misses: ["xy", "x]y"]),
        Case(pattern: "x[\\-a]y", wholePath: true, matches: ["x\\y", "x^y", "xay"], misses: ["xby"]),
        Case(pattern: "x[{a,b}]y", wholePath: true, matches: ["x{y", "x,y", "xby"], misses: ["xcy"]),
        Case(pattern: "x[a b&$.*?]y", wholePath: true, matches: ["x y", "x&y", "x$y", "x.y", "x*y", "x?y"], misses: ["xcy"]),
        Case(pattern: "x[:a]y", wholePath: true, matches: ["x:y", "xay"], misses: ["xby"]),
        // `[` without a closing `]` (or with `]` right after it) is literal.
        Case(pattern: "[]", matches: ["[]"], misses: ["", "]"]),
        Case(pattern: "[]a]", matches: ["[]a]"], misses: ["a", "]"]),
        Case(pattern: "[a", matches: ["[a"], misses: ["a"]),
        Case(pattern: "a]", matches: ["a]"], misses: ["a"]),
        // `[!]` and `[^]` take the `]` as a member and read on to the next `]`.
        Case(pattern: "x[!]a]y", wholePath: true, matches: ["xby", "x-y"], misses: ["x]y", "xay"]),
        Case(pattern: "x[^]a-c]y", wholePath: true, matches: ["xdy"], misses: ["x]y", "xby"]),
        Case(pattern: "x[!]a.b]y", wholePath: true, matches: ["xcy"], misses: ["x.y", "xby"]),
        // Alternatives, nested; `}` and `,` outside braces are literal.
        Case(pattern: "*.{md,log}", matches: ["README.md", "a/keep.log"], misses: ["a.txt", "a.md.txt"]),
        Case(pattern: "{a,{b,c}}x", matches: ["ax", "bx", "cx"], misses: ["x", "abx"]),
        Case(pattern: "{}x", matches: ["x"], misses: ["{}x"]),
        Case(pattern: "{,a}b", matches: ["b", "ab"], misses: ["aab"]),
        Case(pattern: "{a/b,c}", matches: ["a/b", "c"], misses: ["x/c", "a"]),
        Case(pattern: "{**/,}z", matches: ["z", "a/z", "a/b/z"], misses: ["az"]),
        Case(pattern: "{[ab],c}", matches: ["a", "b", "c"], misses: [",", "[ab]"]),
        Case(pattern: "{[a,b],c}", matches: ["a", ",", "c"], misses: ["[a"]),
        Case(pattern: "a}", matches: ["a}"], misses: ["a"]),
        Case(pattern: "a,b", matches: ["a,b"], misses: ["a", "b"]),
        // No escaping: a backslash is literal, and so are regular-expression characters.
        Case(pattern: "\\*", matches: ["\\", "\\x"], misses: ["*", "x"]),
        Case(pattern: "a.b", matches: ["a.b"], misses: ["axb"]),
        Case(pattern: "(a|b)+$^", matches: ["(a|b)+$^"], misses: ["a", "aa"]),
    ]

    /// The regex translation's ICU set syntax that the matcher refuses instead of copying:
    /// nested sets, set operators, properties, ranges from `&`, and patterns inside `[!]...]`.
    /// (The regex accepted these, with ICU's meanings.)
    static let nowInvalid = ["x[[a]]y", "x[a--b]y", "x[ab&&b]y", "x[:alpha:]y", "x[a&-b]y", "x[!]*]y", "x[!]{a}]y"]

    /// Refused by the regex translation and by the matcher.
    static let invalid = ["{a", "{a,b", "x{a,{b}y", "[!]", "x[!]y", "x[^]", "x[c-a]y", "x[a-\\]y", "x[[a]y", "x[--]y", "x[a--]y",
                          "x[&&]y", "x[a&&]y", "x[&-a]y", "x[:nope:]y", "x[:a]b:]y", "[!]a"]

    @Test(arguments: sameAsRegex)
    func matchesAsPinned(_ pinned: Case) throws {
        let glob = try GlobPattern(pinned.pattern, wholePath: pinned.wholePath)
        for subject in pinned.matches { #expect(glob.matches(subject), "\(pinned) should match \(subject.debugDescription)") }
        for subject in pinned.misses { #expect(!glob.matches(subject), "\(pinned) should not match \(subject.debugDescription)") }
    }

    @Test(arguments: invalid + nowInvalid)
    func invalidPatternsAreRefused(_ pattern: String) {
        do {
            _ = try GlobPattern(pattern)
            Issue.record("\(pattern.debugDescription) was accepted")
        } catch let error as WorkspaceError {
            #expect(error.message == "invalid glob pattern \"\(pattern)\"")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    /// Differences from the regex translation, on purpose: ICU's `.` stopped at line
    /// terminators and its `$` matched before a final one; names are just scalars here.
    /// Braces nest up to GlobParser.maxNesting (ICU refused about 100); long flat patterns are fine.
    @Test func nestingIsBoundedAndLongPatternsWork() throws {
        let depth = GlobParser.maxNesting
        let deepest = String(repeating: "{a,", count: depth) + "b" + String(repeating: "}", count: depth)
        #expect(try GlobPattern(deepest).matches("b") && GlobPattern(deepest).matches("a"))
        let tooDeep = String(repeating: "{", count: depth + 1) + "b" + String(repeating: "}", count: depth + 1)
        #expect(throws: WorkspaceError.self) { try GlobPattern(tooDeep) }
        #expect(throws: WorkspaceError.self) { try GlobPattern(String(repeating: "{", count: 100) + String(repeating: "}", count: 100)) }
        let flat = try GlobPattern(String(repeating: "{,}", count: 50_000) + "x*", wholePath: true)
        #expect(flat.matches("xyz") && !flat.matches("y"))
        let stars = try GlobPattern(String(repeating: "*a", count: 200), wholePath: true)
        #expect(!stars.matches(String(repeating: "a", count: 199) + "b") && stars.matches(String(repeating: "a", count: 400)))
    }

    @Test func newlinesAreOrdinaryCharacters() throws {
        #expect(try !GlobPattern("a").matches("a\n"))
        #expect(try GlobPattern("**", wholePath: true).matches("a\nb"))
        #expect(try GlobPattern("*", wholePath: true).matches("a\nb"))
        #expect(try GlobPattern("?").matches("\n"))
    }

    /// Trailing slashes do not count in a name-only match, as NSString's lastPathComponent had it.
    @Test func nameOnlyMatchingIgnoresTrailingSlashes() throws {
        #expect(try GlobPattern("b").matches("a/b/"))
        #expect(try GlobPattern("[!a]").matches("/"))
        #expect(try GlobPattern("*").matches("//") && !GlobPattern("[!a]").matches("//"))
    }

    @Test func gitignoreRulesUseTheSameMatcher() {
        let rules = GitIgnoreRules(base: "", text: "# comment\n*.log\n!keep.log\nbuild/\n/root.txt\ndocs/*.md\n{bad\n")
        #expect(rules.rules.count == 5, "an invalid pattern is dropped")
        #expect(rules.verdict(for: "a/b.log", isDirectory: false) == true)
        #expect(rules.verdict(for: "a/keep.log", isDirectory: false) == false)
        #expect(rules.verdict(for: "a/build", isDirectory: true) == true)
        #expect(rules.verdict(for: "a/build", isDirectory: false) == nil)
        #expect(rules.verdict(for: "root.txt", isDirectory: false) == true)
        #expect(rules.verdict(for: "a/root.txt", isDirectory: false) == nil)
        #expect(rules.verdict(for: "docs/a.md", isDirectory: false) == true)
        #expect(rules.verdict(for: "docs/x/a.md", isDirectory: false) == nil)
    }
}
