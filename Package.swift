// swift-tools-version: 6.1
import PackageDescription

// Module dependencies point one way (see ARCHITECTURE.md). Each line is a module and the
// modules that depend on it; Tests/python/test_architecture.py checks this list and the
// code map against the targets below:
//   CCurl <- HTTP
//   CSQLite <- TraceStore
//   BosunJSON <- BosunProtocol, JSONRPC, Providers, MockProvider, Config, Workers, MCPClient, Checks, Orchestration, SessionRuntime, BosunServer, MCPServer, ACPServer
//   Spelling <- JSONRPC, Config, bosun
//   Promises <- Workspace, BosunServer, bosun
//   HTTP <- Providers, Telemetry, Workers, MCPClient, Checks
//   Providers <- Config, Workers, MCPClient, Checks, Orchestration, SessionRuntime
//   Workspace <- Config, Workers, MCPClient, Checks, Orchestration, bosun
//   TraceStore <- Telemetry, Orchestration, SessionRuntime, bosun
//   Config <- Workers, MCPClient, Orchestration, SessionRuntime, bosun
//   BosunProtocol <- Workers, Checks, Orchestration, SessionRuntime, BosunServer, MCPServer, ACPServer, bosun
//   Workers <- MCPClient, Orchestration, SessionRuntime
//   Checks <- Orchestration
//   Orchestration, MCPClient, Telemetry <- SessionRuntime <- bosun
//   JSONRPC <- BosunServer, MCPServer, ACPServer, bosun
//   BosunServer <- MCPServer, ACPServer, bosun
//   MCPServer, ACPServer, MockProvider <- bosun
// BosunProtocol is the wire's types and the one table of operations; Orchestration
// implements its session protocol and knows no wire; BosunServer (the lifecycle and the
// bosun/1 front end) knows no orchestration; SessionRuntime is the composition root that
// opens sessions; the executable hands it to the server. JSONRPC knows nothing of workers;
// HTTP knows nothing of models; Providers knows nothing of sessions; TraceStore knows SQL and records.
let package = Package(
    name: "bosun",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "bosun", targets: ["bosun"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // libcurl's header (libcurl4-openssl-dev) and the curl functions bosun calls, forwarded to
        // a libcurl opened at the first transfer: it is not linked, so a start does not load it
        // and the ~30 libraries it needs (Sources/CCurl/shim.h).
        .target(name: "CCurl", publicHeadersPath: ".", linkerSettings: [.linkedLibrary("dl", .when(platforms: [.linux]))]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),

        .target(name: "BosunJSON"),
        // "Did you mean": the closest known name to a misspelt field, key or command.
        .target(name: "Spelling"),
        // A value set once and awaited: the first of several endings, a result or a cancellation.
        .target(name: "Promises"),
        // The bosun/1 wire types, session events and the table of operations. Its schemas are
        // protocol/bosun-1.schema.json, embedded through the link in Resources/.
        .target(name: "BosunProtocol", dependencies: ["BosunJSON"],
                resources: [.embedInCode("Resources/bosun-1.schema.json")]),
        .target(name: "JSONRPC", dependencies: ["BosunJSON", "Spelling", .product(name: "Logging", package: "swift-log")]),
        // HTTP over libcurl's multi interface, one thread per client, and server-sent events:
        // what model providers, MCP's Streamable HTTP, `fetch_url`, `http` checks and the
        // OpenTelemetry exporter all send through. Knows nothing of models.
        .target(name: "HTTP", dependencies: ["CCurl"]),
        .target(name: "Providers", dependencies: ["BosunJSON", "HTTP"]),
        .target(name: "MockProvider", dependencies: ["BosunJSON", "Yams", .product(name: "Logging", package: "swift-log")]),
        // Its async calls queue their work on the caller's executor before suspending, so calls
        // made in order from one actor reach the writer thread in that order.
        .target(name: "TraceStore", dependencies: ["CSQLite"],
                swiftSettings: [.enableUpcomingFeature("NonisolatedNonsendingByDefault")]),
        .target(name: "Config", dependencies: ["BosunJSON", "Providers", "Spelling", "Workspace", "Yams"]),
        // Sends spans to an OpenTelemetry collector while a session runs: reads TraceStore,
        // posts through HTTP's client (TraceStore itself must not depend on HTTP).
        .target(name: "Telemetry", dependencies: ["TraceStore", "HTTP", .product(name: "Logging", package: "swift-log")]),
        // Path containment, directory walks, globs and .gitignore, child processes and the
        // bubblewrap sandbox: what tools and checks both stand on. Knows nothing of workers.
        .target(name: "Workspace", dependencies: ["Promises"]),
        .target(name: "Workers", dependencies: ["BosunJSON", "BosunProtocol", "HTTP", "Providers", "Config", "Workspace",
                                                 .product(name: "Logging", package: "swift-log")]),
        // bosun as an MCP client: the user's MCP servers (stdio children, Streamable HTTP
        // through HTTP's client) as worker tools, one connection per server per session.
        .target(name: "MCPClient", dependencies: ["BosunJSON", "Config", "HTTP", "Providers", "Workers", "Workspace"]),
        // The checks `verify` runs; never sessions or the wire.
        .target(name: "Checks", dependencies: ["BosunJSON", "BosunProtocol", "HTTP", "Providers", "Workspace"]),
        .target(name: "Orchestration", dependencies: ["BosunJSON", "BosunProtocol", "Providers", "Config", "TraceStore", "Workers", "Workspace", "Checks",
                                                       .product(name: "Logging", package: "swift-log")]),
        .target(name: "SessionRuntime", dependencies: ["BosunJSON", "BosunProtocol", "Config", "MCPClient", "Orchestration", "Providers",
                                                        "TraceStore", "Telemetry", "Workers", .product(name: "Logging", package: "swift-log")]),
        .target(name: "BosunServer", dependencies: ["BosunJSON", "BosunProtocol", "JSONRPC", "Promises",
                                                     .product(name: "Logging", package: "swift-log")]),
        // MCP: bosun as a tool server, a front end beside bosun/1's.
        .target(name: "MCPServer", dependencies: ["BosunJSON", "BosunProtocol", "BosunServer", "JSONRPC",
                                                   .product(name: "Logging", package: "swift-log")]),
        // ACP: bosun as the agent an editor talks to; each prompt is an orchestration.
        .target(name: "ACPServer", dependencies: ["BosunJSON", "BosunProtocol", "BosunServer", "JSONRPC",
                                                   .product(name: "Logging", package: "swift-log")]),
        .executableTarget(name: "bosun", dependencies: [
            "BosunProtocol", "BosunServer", "MCPServer", "ACPServer", "SessionRuntime", "MockProvider", "TraceStore", "Config", "JSONRPC", "Spelling",
            "Workspace", "Promises",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // Helpers shared by test targets (a seeded random number generator, running a program, temporary directories,
        // the reference JSON encoder written answers are compared with).
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "BosunJSONTests", dependencies: ["BosunJSON", "TestSupport"]),
        .testTarget(name: "SpellingTests", dependencies: ["Spelling"]),
        .testTarget(name: "PromisesTests", dependencies: ["Promises"]),
        .testTarget(name: "JSONRPCTests", dependencies: ["JSONRPC", "BosunJSON", .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "HTTPTests", dependencies: ["HTTP", "MockProvider", "TestSupport"]),
        .testTarget(name: "ProvidersTests", dependencies: ["Providers", "HTTP", "MockProvider", "BosunJSON", "TestSupport"]),
        .testTarget(name: "TraceStoreTests", dependencies: ["TraceStore", "TraceStoreHarness", "TestSupport"]),
        // Writes to a trace store on command, for the crash, multi-process and redaction tests.
        .executableTarget(name: "TraceStoreHarness", dependencies: ["TraceStore"], path: "Tests/TraceStoreHarness"),
        .testTarget(name: "ConfigTests", dependencies: ["Config", "BosunJSON", "TestSupport"]),
        .testTarget(name: "TelemetryTests", dependencies: ["Telemetry", "TraceStore", "TestSupport", .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "WorkspaceTests", dependencies: ["Workspace", "TestSupport"]),
        .testTarget(name: "WorkersTests", dependencies: ["Workers", "Workspace", "Providers", "MockProvider", "Config", "BosunJSON", "TestSupport"]),
        .testTarget(name: "MCPClientTests", dependencies: ["MCPClient", "Config", "Workers", "Providers", "BosunJSON", "TestSupport"]),
        .testTarget(name: "ChecksTests", dependencies: ["Checks", "BosunProtocol", "Workspace", "BosunJSON", "Providers", "MockProvider", "TestSupport"]),
        .testTarget(name: "OrchestrationTests", dependencies: ["Orchestration", "BosunProtocol", "Workers", "Providers", "MockProvider", "TraceStore", "Config", "BosunJSON", "TestSupport",
                                                            .product(name: "Logging", package: "swift-log")],
                    exclude: ["Fixtures"]),
        .testTarget(name: "SessionRuntimeTests", dependencies: ["SessionRuntime", "Config", "TraceStore", "Workers", "Workspace", "BosunJSON", "TestSupport"]),
        .testTarget(name: "BosunProtocolTests", dependencies: ["BosunProtocol", "BosunJSON", "TestSupport"]),
        .testTarget(name: "BosunServerTests", dependencies: ["BosunServer", "BosunProtocol", "JSONRPC", "BosunJSON",
                                                          .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "MCPServerTests", dependencies: ["MCPServer", "BosunProtocol", "JSONRPC", "BosunJSON", "TestSupport"]),
        .testTarget(name: "ACPServerTests", dependencies: ["ACPServer", "BosunProtocol", "JSONRPC", "BosunJSON", "Promises",
                                                        .product(name: "Logging", package: "swift-log")]),
        // End-to-end tests: run the built `bosun` binary over real pipes.
        .testTarget(name: "EndToEndTests", dependencies: ["BosunJSON", "TestSupport"]),

        // Fuzzing (`make fuzz`): the checks each fuzz target makes, the `bosun-fuzz` driver that
        // runs them under libFuzzer (a build with -sanitize=fuzzer links it in; CLibFuzzer
        // declares its entry point), and the tests that replay every input that ever failed.
        .target(name: "FuzzChecks", dependencies: ["BosunJSON", "BosunProtocol", "JSONRPC", "Config"], path: "Tests/FuzzChecks"),
        .systemLibrary(name: "CLibFuzzer", path: "Tests/CLibFuzzer"),
        .executableTarget(name: "bosun-fuzz", dependencies: ["FuzzChecks", "CLibFuzzer"], path: "Tests/BosunFuzz"),
        .testTarget(name: "FuzzRegressionTests", dependencies: ["FuzzChecks"]),
    ],
    swiftLanguageModes: [.v6]
)
