/// A shell-style glob: `*` (any characters but `/`), `**` (any number of path segments),
/// `?`, `[abc]` / `[!abc]` classes and `{a,b}` alternatives. A pattern without `/` matches a
/// file's name at any depth (`*.swift`); one with `/` matches the whole relative path
/// (`Sources/**/*.swift`).
///
/// Matching works on Unicode scalars, exactly (no canonical equivalence), and runs the
/// compiled pattern as a Thompson automaton: time linear in the subject, whatever the pattern.
/// (Until issue 6 a glob was translated to an NSRegularExpression, compiled on every call;
/// `GlobParser` documents the syntax kept from it, and WorkspaceTests pins it.)
public struct GlobPattern: Sendable {
    public let matchesNameOnly: Bool
    private let program: [GlobInstruction]
    /// The pattern's scalars when it has no wildcard at all: matching is then a comparison.
    private let literal: [Unicode.Scalar]?

    /// `wholePath` forces matching the whole relative path even without a `/` (gitignore's anchored patterns).
    public init(_ pattern: String, wholePath: Bool = false) throws {
        var pattern = pattern
        if pattern.hasPrefix("./") { pattern.removeFirst(2) }
        matchesNameOnly = !wholePath && !pattern.utf8.contains(UInt8(ascii: "/"))
        guard let program = GlobParser.compile(pattern) else { throw WorkspaceError("invalid glob pattern \"\(pattern)\"") }
        self.program = program
        let scalars = program.dropLast().compactMap { if case .scalar(let scalar) = $0 { scalar } else { nil } }
        literal = scalars.count == program.count - 1 ? scalars : nil
    }

    /// Whether `relativePath` (`a/b/c.swift`) matches.
    public func matches(_ relativePath: String) -> Bool {
        let subject = matchesNameOnly ? Self.lastComponent(relativePath) : relativePath.unicodeScalars[...]
        if let literal { return subject.elementsEqual(literal) }
        return run(subject)
    }

    /// What NSString's `lastPathComponent` answered: trailing slashes do not count, `/` stays
    /// `/` but `//` is empty.
    /// (Sliced by scalars: a `/` may be followed by a combining mark, inside one Character.)
    private static func lastComponent(_ path: String) -> Substring.UnicodeScalarView {
        let scalars = path.unicodeScalars
        guard let last = scalars.lastIndex(where: { $0 != "/" }) else { return scalars.count == 1 ? scalars[...] : scalars[scalars.endIndex...] }
        let end = scalars.index(after: last)
        let start = scalars[..<end].lastIndex(of: "/").map { scalars.index(after: $0) } ?? scalars.startIndex
        return scalars[start..<end]
    }

    /// Simulates the automaton on every thread of the match at once: `current` holds the
    /// instructions waiting for the next scalar; `seen` marks what the step already added.
    private func run(_ subject: Substring.UnicodeScalarView) -> Bool {
        let count = program.count
        return withUnsafeTemporaryAllocation(of: Int.self, capacity: 4 * count) { buffer in
            buffer.initialize(repeating: 0)
            var current = UnsafeMutableBufferPointer(rebasing: buffer[0..<count])
            var next = UnsafeMutableBufferPointer(rebasing: buffer[count..<(2 * count)])
            let seen = UnsafeMutableBufferPointer(rebasing: buffer[(2 * count)..<(3 * count)])
            let pending = UnsafeMutableBufferPointer(rebasing: buffer[(3 * count)...])
            var currentCount = 0
            var nextCount = 0
            var step = 1

            /// Adds `start` and every instruction reachable from it without consuming a scalar.
            /// Iterative: a pattern of many `{,}` in a row makes long chains. Each instruction
            /// is marked when pushed, so `pending` never holds more than `count`.
            func add(_ start: Int, to list: UnsafeMutableBufferPointer<Int>, _ listCount: inout Int) {
                var top = 0
                func push(_ pc: Int) {
                    guard seen[pc] != step else { return }
                    seen[pc] = step
                    pending[top] = pc
                    top += 1
                }
                push(start)
                while top > 0 {
                    top -= 1
                    let pc = pending[top]
                    switch program[pc] {
                    case .jump(let target):
                        push(target)
                    case .split(let first, let second):
                        push(second)
                        push(first)
                    default:
                        list[listCount] = pc
                        listCount += 1
                    }
                }
            }

            add(0, to: current, &currentCount)
            for scalar in subject {
                step += 1
                nextCount = 0
                for index in 0..<currentCount {
                    let pc = current[index]
                    if program[pc].consumes(scalar) { add(pc + 1, to: next, &nextCount) }
                }
                if nextCount == 0 { return false }
                swap(&current, &next)
                currentCount = nextCount
            }
            for index in 0..<currentCount {
                if case .match = program[current[index]] { return true }
            }
            return false
        }
    }
}
