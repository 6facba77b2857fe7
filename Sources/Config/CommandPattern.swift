/// The specifier of a `run_command(…)` rule, matched against a command's argv word by word.
///
/// `run_command` runs an argv, never a shell line, so a pattern is read as words (quoted as
/// in a shell) and each word must match one argument: `npm test *` is the program `npm`,
/// the argument `test`, then any arguments. A `*` standing alone as a word matches any
/// number of arguments, none included; inside a word `*` matches any run of characters and
/// `?` one character, within that one argument. Quoted or backslashed characters are
/// literal. Claude Code's `:*` suffix (`npm run test:*`) reads as ` *`.
///
/// Because words are compared one by one, `npm test *` cannot approve
/// `["npm", "test;", "rm", "-rf", "/"]` (its second word is `test;`) nor
/// `["sh", "-c", "npm test; rm -rf /"]` (its program is `sh`).
struct CommandPattern: Sendable, Hashable {
    enum Element: Sendable, Hashable {
        /// One argument, matched by a glob of literal characters and wildcards.
        case word([GlobToken])
        /// Any number of whole arguments.
        case anyArguments
    }

    enum GlobToken: Sendable, Hashable {
        case literal(Unicode.Scalar)
        case anyRun
        case anyOne
    }

    let elements: [Element]

    /// Parses `text`; the error says what is wrong and how to write it instead.
    init(_ text: String) throws(ApprovalRuleError) {
        var source = text
        if source.hasSuffix(":*") { source = String(source.dropLast(2)) + " *" }
        let (tokens, unterminated) = ShellWords.tokens(source)
        if unterminated { throw ApprovalRuleError("a quote is opened and never closed") }
        var elements: [Element] = []
        for token in tokens {
            switch token {
            case .control(let control):
                throw ApprovalRuleError("""
                    `\(control.replacingOccurrences(of: "\n", with: "\\n"))` is a shell operator, but run_command runs \
                    an argv and never a shell, so a rule matches one command's words; write one rule per command, or \
                    quote it ('\(control)') to match it as a literal argument
                    """)
            case .word(let pieces):
                if pieces.count == 1, pieces[0] == ShellWords.Piece(scalar: "*", quoted: false) {
                    if elements.last != .anyArguments { elements.append(.anyArguments) }
                    continue
                }
                elements.append(.word(pieces.map { piece in
                    guard !piece.quoted else { return .literal(piece.scalar) }
                    switch piece.scalar {
                    case "*": return .anyRun
                    case "?": return .anyOne
                    default: return .literal(piece.scalar)
                    }
                }))
            }
        }
        guard !elements.isEmpty else { throw ApprovalRuleError("the command pattern is empty; name a program, e.g. run_command(npm test *)") }
        if case .anyArguments = elements[0], elements.count > 1 {
            // `* rm` would let any program name in front decide; the program comes first.
            throw ApprovalRuleError("a command pattern starts with the program (e.g. npm test *), not with a lone *; to match every command write run_command alone")
        }
        self.elements = elements
    }

    /// Whether `argv` matches the whole pattern.
    func matches(_ argv: [String]) -> Bool {
        WildcardMatch.matches(elements, argv.map { Array($0.unicodeScalars) }, isAnyRun: { $0 == .anyArguments }) { element, word in
            if case .word(let glob) = element { return Self.glob(glob, matches: word) }
            return false
        }
    }

    /// Whether one word matches a glob of literal characters and wildcards.
    static func glob(_ tokens: [GlobToken], matches word: [Unicode.Scalar]) -> Bool {
        WildcardMatch.matches(tokens, word, isAnyRun: { $0 == .anyRun }) { token, scalar in
            token == .anyOne || token == .literal(scalar)
        }
    }
}

/// The other commands an argv stands for, which deny and ask rules also look at: the
/// program by its name when it is given by path (`/bin/rm`), the command behind a wrapper
/// (`env`, `nice`, `timeout 5`, `xargs`, …) and each command of a shell's `-c` script.
enum CommandForms {
    /// `argv` and every command it runs that bosun can tell, `argv` first.
    static func all(_ argv: [String]) -> [[String]] {
        var forms: [[String]] = []
        collect(argv, into: &forms, depth: 0)
        return forms
    }

    private static func collect(_ argv: [String], into forms: inout [[String]], depth: Int) {
        guard !argv.isEmpty, depth < 8, !forms.contains(argv) else { return }
        forms.append(argv)
        let program = argv[0]
        let name = program.split(separator: "/").last.map(String.init) ?? program
        if name != program { collect([name] + argv.dropFirst(), into: &forms, depth: depth + 1) }
        if let script = shellScript(name, argv) {
            for command in ShellWords.commands(in: script) { collect(command, into: &forms, depth: depth + 1) }
        } else if let inner = unwrapped(name, argv) {
            collect(inner, into: &forms, depth: depth + 1)
        }
    }

    static let shells: Set<String> = ["sh", "bash", "dash", "zsh", "ksh", "ash", "mksh", "fish"]

    /// The script of `sh -c SCRIPT` (also `-lc`, `-ec`, `-c` after other options).
    private static func shellScript(_ name: String, _ argv: [String]) -> String? {
        guard shells.contains(name) else { return nil }
        var index = 1
        while index < argv.count, argv[index].hasPrefix("-") {
            let option = argv[index]
            if !option.hasPrefix("--"), option.contains("c") { return index + 1 < argv.count ? argv[index + 1] : nil }
            index += 1
        }
        return nil
    }

    /// Programs that run the command in their arguments, and their options that take a value.
    static let wrappers: [String: Set<String>] = [
        "env": ["-u", "--unset", "-C", "--chdir", "-S", "--split-string"],
        "nice": ["-n", "--adjustment"], "nohup": [], "setsid": [], "time": ["-f", "-o"], "command": [], "exec": ["-a"],
        "timeout": ["-s", "--signal", "-k", "--kill-after"], "stdbuf": ["-i", "-o", "-e"], "ionice": ["-c", "-n", "-p"],
        "xargs": ["-I", "-i", "-n", "-L", "-P", "-d", "-s", "-E", "-a", "--max-args", "--max-procs", "--delimiter"],
        "sudo": ["-u", "-g", "-C", "-D", "-h", "-p", "-U"], "doas": ["-u", "-C"], "busybox": [], "chroot": [],
        "flock": ["-w", "-E"], "unshare": [], "chrt": [], "taskset": [], "watch": ["-n", "-d"],
    ]

    /// The command `argv`'s wrapper runs: its options (and their values), `NAME=VALUE`
    /// settings and `timeout`'s duration skipped.
    private static func unwrapped(_ name: String, _ argv: [String]) -> [String]? {
        guard let takesValue = wrappers[name] else { return nil }
        var index = 1
        while index < argv.count {
            let word = argv[index]
            if word == "--" { index += 1; break }
            if word.hasPrefix("-") {
                index += takesValue.contains(word) ? 2 : 1
            } else if name == "env", word.contains("=") {
                index += 1
            } else {
                break
            }
        }
        if ["timeout", "flock", "chroot", "chrt", "taskset"].contains(name) { index += 1 }
        return index < argv.count ? Array(argv[index...]) : nil
    }
}
