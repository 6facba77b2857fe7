import ArgumentParser
import BosunProtocol
import BosunServer
import Dispatch
import Foundation
import JSONRPC
import Logging
import ACPServer
import MCPServer
import MockProvider
import SessionRuntime
import TraceStore

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

    @Option(help: ArgumentHelp("Largest message accepted, in bytes; larger ones get an error and are skipped.", valueName: "N"))
    var maxMessageBytes: Int = JSONRPCConnection.defaultMaxMessageBytes

    @Option(help: ArgumentHelp(
        "Unwritten output, in bytes, past which worker events, progress reports and log messages are dropped.",
        discussion: "A client that stops reading then misses them (every worker event stays in the trace) and gets one bosun/notificationsDropped with the count once it reads again. Responses and terminal events are never dropped.", valueName: "N"))
    var notificationBacklogBytes: Int = JSONRPCConnection.defaultNotificationBacklogLimit

    @Option(help: ArgumentHelp("Lowest level logged to stderr.", valueName: "LEVEL"))
    var logLevel: Logger.Level = .info

    @Option(help: "Framing: auto (from the client's first byte), lsp or ndjson.")
    var framing: FramingChoice = .auto

    @Option(help: ArgumentHelp(
        "Protocol: auto (from the first initialize), bosun (bosun/1), mcp or acp.",
        discussion: "auto: a string protocolVersion in initialize selects MCP, an integer one ACP's agent mode, anything else bosun/1. bosun, mcp or acp fix it whatever initialize says; a protocol this build does not speak answers initialize with -32601."))
    var mode: ModeChoice = .auto

    @Option(help: ArgumentHelp(
        "MCP: resume this session (default: $BOSUN_SESSION).",
        discussion: "Its workers and tasks come back, finished results included; bosun/1 clients pass initializationOptions.session instead.", valueName: "ID"))
    var session: String?

    @Option(help: ArgumentHelp(
        "MCP and ACP: how many workers run at once per session (default: $BOSUN_MAX_CONCURRENT_WORKERS, else the config's, 5).",
        discussion: "bosun/1 clients pass initializationOptions.maxConcurrentWorkers instead.", valueName: "N"))
    var maxConcurrentWorkers: Int?

    @Flag(help: "Also answer debug/sleep, to test a client's cancellation and timeout handling.")
    var debugMethods = false

    @Option(help: ArgumentHelp("Config file (default: $BOSUN_CONFIG, else .bosun/config.yaml in the workspace).", valueName: "PATH"))
    var config: String?

    @Option(help: ArgumentHelp(
        "Trace store file (default: the config's store.path, else $XDG_STATE_HOME/bosun/bosun.sqlite, else ~/.local/state/bosun/bosun.sqlite).",
        valueName: "PATH"))
    var db: String?

    @Option(help: ArgumentHelp(
        "The workspace root when the client names none (default: the working directory).",
        discussion: "bosun/1 clients name one with rootUri, MCP clients with roots, ACP clients with cwd. An MCP client that starts bosun in / and names no root (Claude Desktop) needs this flag, or \"cwd\" in its server config: bosun refuses / as a workspace.", valueName: "DIR"))
    var workspace: String?

    @Flag(help: ArgumentHelp(
        "Run offline: every model is answered by the mock provider, started in this process on loopback.",
        discussion: "No API key or address is needed: spawn, verify, synthesize and orchestrate all work, with synthetic answers (see `bosun mock-provider` and docs/providers.md)."))
    var mock = false

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
        if let workspace {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: workspace, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ValidationError("--workspace must name an existing directory, got \"\(workspace)\"")
            }
        }
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
        let secrets = KnownSecrets()
        LoggingSystem.bootstrap { label in
            ServerLogHandler(label: label, level: level, forwarder: forwarder, redact: { secrets.redact($0) })
        }
        if isatty(STDIN_FILENO) == 1 {
            // Typed in a terminal rather than started by a client: without a word it looks hung.
            Logger(label: "bosun.server").notice("""
                bosun serve waits for JSON-RPC messages on stdin, as a client (an editor, an MCP client, a script) \
                sends them: type one per line, or press Ctrl-D to stop. `bosun --help` lists the other commands; \
                `bosun serve --mock` answers every model offline, with no key.
                """)
        }
        let mockProvider = mock ? MockProviderServer(options: MockProviderOptions(host: "127.0.0.1", port: 0)) : nil
        var mockBaseURL: String?
        if let mockProvider {
            let port = try await mockProvider.start()
            mockBaseURL = "http://127.0.0.1:\(port)/v1"
            Logger(label: "bosun.server").info("--mock: every model is answered by the mock provider on 127.0.0.1:\(port)")
        }
        let exitCode = try await serve(protocolFD: protocolFD, forwarder: forwarder,
                                       sessions: orchestrationOpener(mockBaseURL: mockBaseURL, secrets: secrets),
                                       redactOutgoing: { secrets.redact($0) })
        await mockProvider?.stop()
        exitWithoutExitHandlers(exitCode)
    }

    /// Ends the process without running exit handlers. Threads may still be finishing when
    /// `serve` returns (a worker cancelled while libcurl was being loaded, a request the drain
    /// gave up on), and OpenSSL, loaded with libcurl, frees its state in an exit handler while
    /// such a thread still uses it: the process crashed as it exited. What matters is written
    /// by now: the store is closed and the protocol output drained; stdio is flushed here.
    private func exitWithoutExitHandlers(_ code: Int32) -> Never {
        fflush(nil)
        _exit(code)
    }

    /// Runs the server on stdin and the protocol descriptor until it stops; its exit code.
    private func serve(protocolFD: Int32, forwarder: ClientLogForwarder, sessions: OrchestrationOpener,
                       redactOutgoing: @escaping @Sendable (Data) -> Data) async throws -> Int32 {
        let openSession = sessions.opener
        let workspaceRoot = workspace.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
            ?? FileManager.default.currentDirectoryPath
        let server = BosunServer(
            options: ServerOptions(version: Bosun.version, maxMessageBytes: maxMessageBytes,
                notificationBacklogBytes: notificationBacklogBytes, framing: framing.framing, defaultWorkspaceRoot: workspaceRoot,
                debugMethods: debugMethods,
                mode: mode.frontEnd, redactOutgoing: redactOutgoing),
            openSession: openSession, logger: Logger(label: "bosun.server"), logForwarder: forwarder,
            // Each further protocol's front end, by the kind of `initialize` that selects it.
            otherFrontEnds: [
                .mcp: MCPFrontEnd(sessionOptions: try mcpSessionOptions(), openSession: openSession,
                                  configProblem: { sessions.configProblem(workspaceRoot: $0) },
                                  logger: Logger(label: "bosun.mcp")),
                .acp: ACPFrontEnd(options: ACPSessionOptions(maxConcurrentWorkers: try mcpSessionOptions().maxConcurrentWorkers),
                                  openSession: openSession, logger: Logger(label: "bosun.acp")),
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
        return exitCode
    }
}

extension Serve {
    /// Sessions backed by the config, the trace store and the worker tools; with
    /// `mockBaseURL`, every model is answered by the mock provider there.
    func orchestrationOpener(mockBaseURL: String?, secrets: KnownSecrets) -> OrchestrationOpener {
        OrchestrationOpener(
            configPath: config, storePath: db, environment: ProcessInfo.processInfo.environment, mockBaseURL: mockBaseURL,
            secrets: secrets, logger: Logger(label: "bosun.session")
        )
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
