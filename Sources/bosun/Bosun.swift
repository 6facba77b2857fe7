import ArgumentParser

@main
struct Bosun: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bosun",
        abstract: "An orchestrator-worker runtime served as JSON-RPC on stdio.",
        version: "0.1.0",
        subcommands: [TraceCommand.self]
    )

    func run() async throws {}
}
