import ArgumentParser

@main
struct Bosun: AsyncParsableCommand {
    /// The version `--version` prints and `initialize` reports as serverInfo.version.
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "bosun",
        abstract: "An orchestrator-worker runtime served as JSON-RPC on stdio.",
        version: version,
        subcommands: [Serve.self, MockProviderCommand.self, TraceCommand.self, ConfigCommand.self, RolesCommand.self],
        defaultSubcommand: Serve.self
    )
}
