import ArgumentParser
import Foundation
import Spelling

#if canImport(Glibc)
import Glibc
#endif

@main
struct Bosun: AsyncParsableCommand {
    /// The version `--version` prints and `initialize` reports as serverInfo.version: the
    /// package version, and the commit when the build knew it (`BuildInfo`).
    static let version = BuildInfo.version

    static let configuration = CommandConfiguration(
        commandName: "bosun",
        abstract: "An orchestrator-worker runtime served as JSON-RPC on stdio.",
        discussion: """
            With no command, bosun serves (`bosun serve`) when its input is a pipe, as an editor or \
            MCP client starts it, and prints this help when its input is a terminal.
            """,
        version: version,
        subcommands: [Serve.self, MockProviderCommand.self, TraceCommand.self, ConfigCommand.self, RolesCommand.self,
                      TopCommand.self, CancelCommand.self, AnswerCommand.self, TrustCommand.self],
        defaultSubcommand: Serve.self
    )

    /// The command names a first word may be, `help` among them.
    static var commandNames: [String] {
        configuration.subcommands.compactMap { $0.configuration.commandName } + ["help"]
    }

    /// `serve` is the default, so the parser would read a mistyped command as an argument
    /// of `serve` and answer with serve's usage; a first word that names no command is
    /// reported as what it is instead, with the command it is closest to. (`serve` takes no
    /// positional arguments.) Started bare from a terminal, where nobody will type JSON-RPC,
    /// bosun prints its help instead of waiting silently for a client.
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.isEmpty && isatty(STDIN_FILENO) == 1 {
            print(helpMessage())
            Foundation.exit(0)
        }
        if let first = arguments.first, !first.hasPrefix("-") {
            if !commandNames.contains(first) { exitUnknownCommand(first) }
            if first == "help", let second = arguments.dropFirst().first, !second.hasPrefix("-"),
               !commandNames.contains(second) {
                exitUnknownCommand(second)
            }
        }
        await main(arguments)
    }

    /// Exits 64 (EX_USAGE), naming the word, the command it is closest to, and the commands.
    private static func exitUnknownCommand(_ word: String) -> Never {
        FileHandle.standardError.write(Data("""
            Error: unknown command '\(word)'\(Spelling.suggestion(for: word, among: commandNames)). The commands are \
            \(commandNames.joined(separator: ", ")); see `bosun --help`.\n
            """.utf8))
        Foundation.exit(64)
    }
}
