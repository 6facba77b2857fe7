import ArgumentParser
import BosunProtocol
import BosunServer
import Dispatch
import Foundation
import JSONRPC
import Logging
import ACPServer
import MCPServer
import SessionRuntime

#if canImport(Glibc)
import Glibc
#endif

/// `bosun serve`: bosun/1 (or MCP, or ACP's agent mode) on stdin and stdout. This is the composition root: it
/// hands the server the session opener and the front ends.
struct Serve: AsyncParsableCommand {
    // Every command names itself: ArgumentParser otherwise derives the name from the type's
    // name, and String(describing:) of a type costs a scan of every protocol conformance
    // in the process, at every start.
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the bosun/1 JSON-RPC protocol on stdin and stdout (the default command).",
        discussion: """
            Messages use LSP framing (Content-Length headers) unless the client's first byte is \
            '{' or '[', which selects newline-delimited JSON. stdout carries protocol messages \
            only; logs go to stderr. The first initialize picks the protocol (--mode auto): a \
            string protocolVersion asks for MCP, an integer one for ACP's agent mode (an editor's \
            agent: each prompt is an orchestration), anything else is bosun/1.
            """
    )

    @Option(help: "Largest message accepted, in bytes; larger ones get an error and are skipped.")
    var maxMessageBytes: Int = JSONRPCConnection.defaultMaxMessageBytes

    @Option(help: ArgumentHelp(
        "Unwritten output, in bytes, past which worker events, progress reports and log messages are dropped.",
        discussion: "A client that stops reading then misses them (every worker event stays in the trace) and gets one bosun/notificationsDropped with the count once it reads again. Responses and terminal events are never dropped."))
    var notificationBacklogBytes: Int = JSONRPCConnection.defaultNotificationBacklogLimit

    @Option(help: "Lowest level logged to stderr: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    @Option(help: "Framing: auto (from the client's first byte), lsp or ndjson.")
    var framing: FramingChoice = .auto

    @Option(help: ArgumentHelp(
        "Protocol: auto (from the first initialize), bosun (bosun/1), mcp or acp.",
        discussion: "auto: a string protocolVersion in initialize selects MCP, an integer one ACP's agent mode, anything else bosun/1. bosun, mcp or acp fix it whatever initialize says; a protocol this build does not speak answers initialize with -32601."))
    var mode: ModeChoice = .auto

    @Option(help: ArgumentHelp(
        "MCP: resume this session (default: $BOSUN_SESSION).",
        discussion: "Its workers and tasks come back, finished results included; bosun/1 clients pass initializationOptions.session instead."))
    var session: String?

    @Option(help: ArgumentHelp(
        "MCP and ACP: how many workers run at once per session (default: $BOSUN_MAX_CONCURRENT_WORKERS, else the config's, 5).",
        discussion: "bosun/1 clients pass initializationOptions.maxConcurrentWorkers instead."))
    var maxConcurrentWorkers: Int?

    @Flag(help: "Also answer debug/sleep, to test a client's cancellation and timeout handling.")
    var debugMethods = false

    @Option(help: "Config file (default: $BOSUN_CONFIG, else .bosun/config.yaml in the workspace).")
    var config: String?

    @Option(help: "Trace store file (default: the config's store.path, else ~/.local/state/bosun/bosun.sqlite).")
    var db: String?

    /// MCP's session options: a flag, else its environment variable.
    func mcpSessionOptions(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> MCPSessionOptions {
        let session = self.session ?? environment["BOSUN_SESSION"].flatMap { $0.isEmpty ? nil : $0 }
        var cap = maxConcurrentWorkers
        if cap == nil, let text = environment["BOSUN_MAX_CONCURRENT_WORKERS"], !text.isEmpty {
            guard let value = Int(text) else {
                throw ValidationError("BOSUN_MAX_CONCURRENT_WORKERS must be a whole number from 1 to 1000, got \"\(text)\"")
            }
            cap = value
        }
        if let cap, !(1...1000).contains(cap) {
            throw ValidationError("the number of concurrent workers must be from 1 to 1000, got \(cap)")
        }
        return MCPSessionOptions(resumeSessionId: session, maxConcurrentWorkers: cap)
    }

    func validate() throws {
        _ = try mcpSessionOptions()
        guard maxMessageBytes >= 1024 else {
            throw ValidationError("--max-message-bytes must be at least 1024, got \(maxMessageBytes)")
        }
        guard notificationBacklogBytes >= 4096 else {
            throw ValidationError("--notification-backlog-bytes must be at least 4096, got \(notificationBacklogBytes)")
        }
    }

    func run() async throws {
        guard let protocolFD = StandardOutput.claimForProtocol() else {
            throw ValidationError("could not set up stdout for the protocol: \(String(cString: strerror(errno)))")
        }
        let forwarder = ClientLogForwarder()
        let level = logLevel
        LoggingSystem.bootstrap { label in ServerLogHandler(label: label, level: level, forwarder: forwarder) }
        let server = BosunServer(
            options: ServerOptions(version: Bosun.version, maxMessageBytes: maxMessageBytes,
                notificationBacklogBytes: notificationBacklogBytes, framing: framing.framing, debugMethods: debugMethods,
                mode: mode.frontEnd),
            openSession: sessionOpener(), logger: Logger(label: "bosun.server"), logForwarder: forwarder,
            // Each further protocol's front end, by the kind of `initialize` that selects it.
            otherFrontEnds: [
                .mcp: MCPFrontEnd(sessionOptions: try mcpSessionOptions(), openSession: sessionOpener(),
                                  logger: Logger(label: "bosun.mcp")),
                .acp: ACPFrontEnd(options: ACPSessionOptions(maxConcurrentWorkers: try mcpSessionOptions().maxConcurrentWorkers),
                                  openSession: sessionOpener(), logger: Logger(label: "bosun.acp")),
            ])
        let signalSources = [SIGTERM, SIGINT, SIGHUP].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                Logger(label: "bosun.server").info("signal \(number) received; stopping")
                server.terminate(exitCode: 0)
            }
            source.resume()
            return source
        }
        let exitCode = await server.run(input: STDIN_FILENO, output: protocolFD)
        signalSources.forEach { $0.cancel() }
        if exitCode != 0 { throw ExitCode(exitCode) }
    }
}

extension Serve {
    /// Sessions backed by the config, the trace store and the worker tools.
    func sessionOpener() -> SessionOpener {
        OrchestrationOpener(
            configPath: config, storePath: db, environment: ProcessInfo.processInfo.environment,
            logger: Logger(label: "bosun.session")
        ).opener
    }
}

enum ModeChoice: String, ExpressibleByArgument, CaseIterable {
    case auto, bosun, mcp, acp

    var frontEnd: FrontEndKind? {
        switch self {
        case .auto: return nil
        case .bosun: return .bosun
        case .mcp: return .mcp
        case .acp: return .acp
        }
    }
}

enum FramingChoice: String, ExpressibleByArgument, CaseIterable {
    case auto, lsp, ndjson

    var framing: Framing? {
        switch self {
        case .auto: return nil
        case .lsp: return .contentLength
        case .ndjson: return .newlineDelimited
        }
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
