import ArgumentParser
import Dispatch
import Foundation
import MockProvider
import Promises

/// `bosun mock-provider`: a fake model provider on loopback for offline tests, demos and
/// benchmarks. Prints the bound port as the first line of stdout; runs until SIGINT or SIGTERM.
struct MockProviderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mock-provider",
        abstract: "Serve fake Anthropic and OpenAI-compatible model APIs on loopback.",
        discussion: """
            Answers POST /v1/messages (Anthropic) and POST /v1/chat/completions (OpenAI), streaming \
            and not. Without a script, replies synthetically: --tool-steps tool calls, then \
            submit_result. Prints the bound port as the first line of stdout. See docs/providers.md.
            """
    )

    @Option(help: ArgumentHelp("Port to listen on; 0 picks a free one.", valueName: "N"))
    var port: Int = 0

    @Option(help: ArgumentHelp("IPv4 address to listen on.", valueName: "ADDR"))
    var host: String = "127.0.0.1"

    @Option(help: ArgumentHelp("A YAML script of reply rules.", valueName: "FILE"))
    var script: String?

    @Option(name: .customLong("latency-ms"), help: ArgumentHelp("Delay before the first byte of every reply.", valueName: "MS"))
    var latencyMs: Int = 0

    @Option(name: .customLong("tokens-per-second"), help: ArgumentHelp("Streaming pace per reply (default: all at once).", valueName: "R"))
    var tokensPerSecond: Double?

    @Option(name: .customLong("fault"), help: ArgumentHelp("Inject a fault, e.g. 429:retry-after=1,count=2 (repeatable).", valueName: "SPEC"))
    var faults: [String] = []

    @Option(name: .customLong("tool-steps"), help: ArgumentHelp("Synthetic mode: tool calls before submit_result, each with different input.", valueName: "N"))
    var toolSteps: Int = 2

    @Option(name: .customLong("reply-tokens"), help: ArgumentHelp("Synthetic mode: words in a plain-text reply.", valueName: "N"))
    var replyTokens: Int = 20

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0...65535, got \(port)") }
        guard latencyMs >= 0 else { throw ValidationError("--latency-ms must not be negative") }
        if let tokensPerSecond, tokensPerSecond <= 0 { throw ValidationError("--tokens-per-second must be positive") }
        guard toolSteps >= 0 else { throw ValidationError("--tool-steps must not be negative") }
        guard replyTokens >= 1 else { throw ValidationError("--reply-tokens must be at least 1") }
    }

    func run() async throws {
        let parsedFaults: [FaultSpec]
        let parsedScript: MockScript?
        do {
            parsedFaults = try faults.map(FaultSpec.init(parsing:))
            parsedScript = try script.map(MockScript.init(contentsOf:))
        } catch {
            throw ValidationError("\(error)")
        }
        let server = MockProviderServer(options: MockProviderOptions(
            host: host, port: port, latencyMs: latencyMs, tokensPerSecond: tokensPerSecond, script: parsedScript,
            syntheticToolSteps: toolSteps, syntheticTextTokens: replyTokens, faults: parsedFaults))
        let bound: Int
        do {
            bound = try await server.start()
        } catch {
            throw ValidationError("\(error)")
        }
        // Unbuffered, so a parent reading the first line sees it at once.
        FileHandle.standardOutput.write(Data("\(bound)\n".utf8))
        FileHandle.standardError.write(Data("""
            bosun mock-provider listening on \(host):\(bound)
              anthropic: baseURL http://\(host):\(bound)
              openai:    baseURL http://\(host):\(bound)/v1

            """.utf8))
        await waitForTermination()
        await server.stop()
    }

    /// Suspends until SIGINT or SIGTERM arrives.
    private func waitForTermination() async {
        let signalled = Promise<Void>()
        let queue = DispatchQueue(label: "mock-provider-signals")
        let sources = [SIGINT, SIGTERM].map { signalNumber in
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
            source.setEventHandler { signalled.fulfil(()) }
            source.resume()
            return source
        }
        await signalled.value
        withExtendedLifetime(sources) {}
    }
}
