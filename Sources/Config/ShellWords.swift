/// Splits text into words the way a POSIX shell would, far enough for approval rules:
/// whitespace separates words, `'…'` and `"…"` quote (inside double quotes `\` escapes `"`,
/// `\`, `$` and `` ` ``), `\` outside quotes escapes the next character, and the control
/// operators `;`, `&`, `|`, `(`, `)`, `<`, `>`, `` ` ``, `$(` and a newline stand apart.
///
/// It reads three things: a rule's command pattern (quoted characters are literal, unquoted
/// `*` and `?` are wildcards), the call `bosun config check --explain` is given, and the
/// script of a `sh -c` command, so a deny rule sees each command the script runs. It does
/// no expansion: `$HOME` stays the text `$HOME`.
enum ShellWords {
    /// One character of a word, and whether quoting made it literal.
    struct Piece: Hashable {
        var scalar: Unicode.Scalar
        var quoted: Bool
    }

    enum Token: Hashable {
        case word([Piece])
        /// A control operator outside quotes (`;`, `&&`, `|`, `$(`, a newline, …).
        case control(String)
    }

    /// The tokens of `text`; `unterminated` is set when a quote is left open (the rest is one word).
    static func tokens(_ text: String) -> (tokens: [Token], unterminated: Bool) {
        var tokens: [Token] = []
        var word: [Piece] = []
        /// A word can be empty yet present (`''`).
        var inWord = false
        var quote: Unicode.Scalar?
        var scalars = Array(text.unicodeScalars)[...]

        func endWord() {
            if inWord { tokens.append(.word(word)) }
            word = []
            inWord = false
        }

        while let scalar = scalars.popFirst() {
            if let open = quote {
                if scalar == open {
                    quote = nil
                } else if open == "\"", scalar == "\\", let next = scalars.first, "\"\\$`".unicodeScalars.contains(next) {
                    word.append(Piece(scalar: scalars.removeFirst(), quoted: true))
                } else {
                    word.append(Piece(scalar: scalar, quoted: true))
                }
                continue
            }
            switch scalar {
            case "'", "\"":
                quote = scalar
                inWord = true
            case "\\":
                if let next = scalars.popFirst() {
                    // A backslash before a newline joins lines, as in a shell.
                    if next != "\n" { word.append(Piece(scalar: next, quoted: true)); inWord = true }
                } else {
                    word.append(Piece(scalar: scalar, quoted: true))
                    inWord = true
                }
            case " ", "\t", "\r":
                endWord()
            case "\n", ";", "&", "|", "(", ")", "<", ">", "`":
                endWord()
                var control = String(scalar)
                if (scalar == "&" || scalar == "|" || scalar == ";"), scalars.first == scalar {
                    control.unicodeScalars.append(scalars.removeFirst())
                }
                tokens.append(.control(control))
            case "$" where scalars.first == "(":
                endWord()
                scalars.removeFirst()
                tokens.append(.control("$("))
            default:
                word.append(Piece(scalar: scalar, quoted: false))
                inWord = true
            }
        }
        let unterminated = quote != nil
        endWord()
        return (tokens, unterminated)
    }

    /// The simple commands of a shell script, each as its words: split at every control
    /// operator, so `npm test; rm -rf /` is `[npm, test]` and `[rm, -rf, /]`.
    static func commands(in script: String) -> [[String]] {
        var commands: [[String]] = []
        var current: [String] = []
        for token in tokens(script).tokens {
            switch token {
            case .word(let pieces):
                current.append(text(pieces))
            case .control:
                if !current.isEmpty { commands.append(current) }
                current = []
            }
        }
        if !current.isEmpty { commands.append(current) }
        return commands
    }

    static func text(_ pieces: [Piece]) -> String {
        var text = ""
        text.unicodeScalars.append(contentsOf: pieces.map(\.scalar))
        return text
    }

    /// `argument` as a shell would need it written to read it back as one word.
    static func quoted(_ argument: String) -> String {
        let plain = !argument.isEmpty && argument.unicodeScalars.allSatisfy {
            ($0.properties.isAlphabetic || $0.properties.numericType != nil || "-_./=:,+@%^".unicodeScalars.contains($0))
                && $0.isASCII
        }
        return plain ? argument : "'" + argument.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
