#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A key `bosun top` acts on.
enum TopKey: Equatable {
    case up, down, enter, escape, backspace, quit, character(Character)
}

/// The terminal `bosun top` draws on, in ANSI escapes and termios, with no curses library:
/// the alternate screen, no echo, no line buffering, and keys read as they are typed. Every
/// change is undone by `restore`, which `top` calls on every way out.
final class TopTerminal {
    private var saved = termios()
    private var isRaw = false

    /// Whether stdin and stdout are both terminals, as the interactive view needs.
    static var isInteractive: Bool { isatty(STDIN_FILENO) != 0 && isatty(STDOUT_FILENO) != 0 }

    /// Rows and columns of the terminal, else `$LINES`/`$COLUMNS`, else 24×80.
    static func size() -> (rows: Int, columns: Int) {
        var window = winsize()
        if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &window) == 0, window.ws_row > 0, window.ws_col > 0 {
            return (Int(window.ws_row), Int(window.ws_col))
        }
        let environment = ProcessInfo.processInfo.environment
        return (environment["LINES"].flatMap(Int.init) ?? 24, environment["COLUMNS"].flatMap(Int.init) ?? 80)
    }

    /// No echo, no line editing, no signals from keys (^C arrives as a key and quits cleanly);
    /// output processing stays on so `\n` still returns the carriage.
    func enter() {
        guard tcgetattr(STDIN_FILENO, &saved) == 0 else { return }
        var raw = saved
        raw.c_lflag &= ~tcflag_t(ECHO | ICANON | ISIG | IEXTEN)
        raw.c_iflag &= ~tcflag_t(IXON | ICRNL)
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw)
        isRaw = true
        write("\u{1b}[?1049h\u{1b}[?25l")
    }

    func restore() {
        guard isRaw else { return }
        write("\u{1b}[?25h\u{1b}[?1049l")
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved)
        isRaw = false
    }

    /// Draws the lines from the top left, clearing what each line and the screen left over.
    func draw(_ lines: [String]) {
        write("\u{1b}[H" + lines.map { $0 + "\u{1b}[K" }.joined(separator: "\r\n") + "\u{1b}[J")
    }

    /// Waits up to `timeout` for keys and returns those typed; empty when none came.
    func keys(timeout: Duration) -> [TopKey] {
        var descriptor = pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)
        let milliseconds = Int32(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        guard poll(&descriptor, 1, milliseconds) > 0 else { return [] }
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = read(STDIN_FILENO, &buffer, buffer.count)
        guard count > 0 else { return count == 0 ? [.quit] : [] }
        return Self.parse(Array(buffer.prefix(count)))
    }

    /// Arrow keys arrive as `ESC [ A` (or `ESC O A` in application mode); a lone ESC is escape.
    static func parse(_ bytes: [UInt8]) -> [TopKey] {
        var keys: [TopKey] = []
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 0x1b, index + 2 < bytes.count, bytes[index + 1] == 0x5b || bytes[index + 1] == 0x4f {
                switch bytes[index + 2] {
                case 0x41: keys.append(.up)
                case 0x42: keys.append(.down)
                case 0x44: keys.append(.escape)
                default: break
                }
                index += 3
                continue
            }
            switch byte {
            case 0x1b: keys.append(.escape)
            case 0x0d, 0x0a: keys.append(.enter)
            case 0x03, 0x04: keys.append(.quit)
            case 0x7f, 0x08: keys.append(.backspace)
            case 0xc0...0xff:
                // A character of several UTF-8 bytes (typed into an answer): its lead byte says how many.
                let length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : 2
                if let text = String(bytes: bytes[index..<min(index + length, bytes.count)], encoding: .utf8), let character = text.first {
                    keys.append(.character(character))
                }
                index += length
                continue
            default: keys.append(.character(Character(Unicode.Scalar(byte))))
            }
            index += 1
        }
        return keys
    }

    private func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}
