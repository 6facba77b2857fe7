/// Compiles a glob to `GlobInstruction`s, with the syntax the regular-expression translation
/// had (WorkspaceTests pins it):
/// - `*` any run of scalars but `/`; `**/` zero or more whole segments; any other `**` any run
///   of scalars, `/` included; `?` one scalar but `/`.
/// - `[...]` a character class (`GlobCharacterClass`) when a `]` closes it, not right after the
///   `[`; otherwise `[` is literal. `[!]` and `[^]` take the `]` as their first member and
///   continue to the next `]` (so `[!]a]` is neither `]` nor `a`). `[:` with a `:]` after it
///   (ICU's property syntax, `[:alpha:]`) is invalid.
/// - `{a,b}` alternatives, nestable up to `maxNesting` deep; an unclosed `{` makes the pattern
///   invalid; `}` and `,` outside braces are literal.
/// - Everything else is literal, the backslash included: there is no escaping.
enum GlobParser {
    /// ICU refused groups nested about 100 deep, so deeper braces were already invalid; this
    /// limit, with a margin, bounds the parser's recursion (and the nodes' deinit).
    static let maxNesting = 64

    private indirect enum Node {
        case scalar(Unicode.Scalar)
        case anyButSlash, star, globstar, segments
        case characterClass(GlobCharacterClass)
        case alternatives([[Node]])
    }

    /// nil when the pattern is invalid.
    static func compile(_ glob: String) -> [GlobInstruction]? {
        guard let nodes = parse(Array(glob)) else { return nil }
        var program: [GlobInstruction] = []
        emit(nodes, into: &program)
        program.append(.match)
        return program
    }

    private static func parse(_ chars: [Character]) -> [Node]? {
        // The open groups: each holds its branches, the last being the one being parsed.
        var groups: [[[Node]]] = [[[]]]
        func append(_ node: Node) { groups[groups.count - 1][groups[groups.count - 1].count - 1].append(node) }
        var index = 0
        while index < chars.count {
            let c = chars[index]
            switch c {
            case "*":
                if index + 1 < chars.count, chars[index + 1] == "*" {
                    let segments = index + 2 < chars.count && chars[index + 2] == "/"
                    append(segments ? .segments : .globstar)
                    index += segments ? 3 : 2
                    continue
                }
                append(.star)
            case "?":
                append(.anyButSlash)
            case "[":
                if let close = chars[(index + 1)...].firstIndex(of: "]"), close > index + 1 {
                    guard let (characterClass, end) = parseClass(chars, open: index, close: close, inBraces: groups.count > 1) else { return nil }
                    append(.characterClass(characterClass))
                    index = end + 1
                    continue
                }
                append(.scalar("["))
            case "{":
                guard groups.count <= maxNesting else { return nil }
                groups.append([[]])
            case "}" where groups.count > 1:
                append(.alternatives(groups.removeLast()))
            case "," where groups.count > 1:
                groups[groups.count - 1].append([])
            default:
                c.unicodeScalars.forEach { append(.scalar($0)) }
            }
            index += 1
        }
        guard groups.count == 1 else { return nil }
        return groups[0][0]
    }

    /// The class opened at `open` and closed at `close`, and where it really ends.
    private static func parseClass(_ chars: [Character], open: Int, close: Int, inBraces: Bool) -> (GlobCharacterClass, Int)? {
        var body = String(chars[(open + 1)..<close])
        // ICU read `[:` with a `:]` anywhere after it as a Unicode property (`[:alpha:]`).
        if body.hasPrefix(":"), zip(chars[(open + 1)...], chars[(open + 2)...]).contains(where: { $0 == (":", "]") }) { return nil }
        let negated = body.hasPrefix("!") || body.hasPrefix("^")
        if negated { body.removeFirst() }
        var scalars = Array(body.unicodeScalars)
        var end = close
        // A `]` can hide in a character made of several scalars: ICU closed the set there.
        if scalars.contains("]") { return nil }
        if negated && scalars.isEmpty {
            // The regex `[^]` took its `]` as a member and read on to the next `]`, through
            // the translation of what followed: only plain characters are kept from that.
            guard let next = chars[(close + 1)...].firstIndex(of: "]") else { return nil }
            let rest = chars[(close + 1)..<next]
            if rest.contains(where: { "*?[{}".contains($0) }) || (inBraces && rest.contains(",")) { return nil }
            let restScalars = rest.flatMap(\.unicodeScalars)
            if restScalars.contains("]") { return nil }
            scalars = ["]"] + restScalars
            end = next
        }
        return GlobCharacterClass(body: scalars, negated: negated).map { ($0, end) }
    }

    private static func emit(_ nodes: [Node], into program: inout [GlobInstruction]) {
        for node in nodes {
            let here = program.count
            switch node {
            case .scalar(let scalar): program.append(.scalar(scalar))
            case .anyButSlash: program.append(.anyButSlash)
            case .characterClass(let characterClass): program.append(.characterClass(characterClass))
            case .star:
                program += [.split(here + 1, here + 3), .anyButSlash, .jump(here)]
            case .globstar:
                program += [.split(here + 1, here + 3), .anything, .jump(here)]
            case .segments:
                // (?:[^/]*/)*
                program += [.split(here + 1, here + 6), .split(here + 2, here + 4), .anyButSlash, .jump(here + 1),
                            .scalar("/"), .jump(here)]
            case .alternatives(let branches):
                var jumpsToEnd: [Int] = []
                for (number, branch) in branches.enumerated() {
                    let split = program.count
                    let isLast = number == branches.count - 1
                    if !isLast { program.append(.split(split + 1, -1)) }
                    emit(branch, into: &program)
                    if !isLast {
                        jumpsToEnd.append(program.count)
                        program.append(.jump(-1))
                        program[split] = .split(split + 1, program.count)
                    }
                }
                for jump in jumpsToEnd { program[jump] = .jump(program.count) }
            }
        }
    }
}
