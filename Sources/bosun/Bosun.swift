import ArgumentParser
import Foundation

@main
struct Bosun: AsyncParsableCommand {
    /// The version `--version` prints and `initialize` reports as serverInfo.version.
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "bosun",
        abstract: "An orchestrator-worker runtime served as JSON-RPC on stdio.",
        version: version,
        subcommands: [Serve.self, MockProviderCommand.self, TraceCommand.self, ConfigCommand.self, RolesCommand.self,
                      TopCommand.self, CancelCommand.self],
        defaultSubcommand: Serve.self
    )

    /// `serve` is the default, so the parser would read a mistyped command as an argument
    /// of `serve` and answer with serve's usage; a first word that names no command is
    /// reported as what it is instead. (`serve` takes no positional arguments.)
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if let first = arguments.first, !first.hasPrefix("-") {
            let commands = configuration.subcommands.compactMap { $0.configuration.commandName } + ["help"]
            if !commands.contains(first) {
                FileHandle.standardError.write(Data("""
                    Error: unknown command '\(first)'. The commands are \(commands.joined(separator: ", ")); \
                    see `bosun --help`.\n
                    """.utf8))
                Foundation.exit(64)
            }
        }
        await main(arguments)
    }
}
