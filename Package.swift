// swift-tools-version: 6.1
import PackageDescription

// Module dependencies point one way (see ARCHITECTURE.md):
//   BosunJSON <- BosunProtocol, JSONRPC, Providers, Config, Workers
//   Spelling <- JSONRPC, Config, bosun
//   Providers, TraceStore, Config <- Workers <- Orchestration <- SessionRuntime <- bosun
//   BosunProtocol <- Workers (a worker's result, failure codes)
//   Workspace <- Config (approval rules' path globs), Workers, Checks
//   Checks <- Orchestration
//   Providers, TraceStore <- Telemetry <- SessionRuntime
//   Config, Providers, Workers, Workspace <- MCPClient <- SessionRuntime
//   BosunProtocol, JSONRPC <- BosunServer <- MCPServer, ACPServer <- bosun
// BosunProtocol is the wire's types and the one table of operations; Orchestration
// implements its session protocol and knows no wire; BosunServer (the lifecycle and the
// bosun/1 front end) knows no orchestration; SessionRuntime is the composition root that
// opens sessions; the executable hands it to the server. JSONRPC knows nothing of workers;
// Providers knows nothing of sessions; TraceStore knows SQL and records.
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
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),

        .target(name: "BosunJSON"),
        // "Did you mean": the closest known name to a misspelt field, key or command.
        .target(name: "Spelling"),
        // The bosun/1 wire types, session events and the table of operations. Its schemas are
        // protocol/bosun-1.schema.json, embedded through the link in Resources/.
        .target(name: "BosunProtocol", dependencies: ["BosunJSON"],
                resources: [.embedInCode("Resources/bosun-1.schema.json")]),
        .target(name: "JSONRPC", dependencies: ["BosunJSON", "Spelling", .product(name: "Logging", package: "swift-log")]),
        .target(name: "Providers", dependencies: ["BosunJSON", "CCurl", .product(name: "Logging", package: "swift-log")]),
        .target(name: "MockProvider", dependencies: ["BosunJSON", "Yams", .product(name: "Logging", package: "swift-log")]),
        // Its async calls queue their work on the caller's executor before suspending, so calls
        // made in order from one actor reach the writer thread in that order.
        .target(name: "TraceStore", dependencies: ["CSQLite"],
                swiftSettings: [.enableUpcomingFeature("NonisolatedNonsendingByDefault")]),
        .target(name: "Config", dependencies: ["BosunJSON", "Providers", "Spelling", "Workspace", "Yams"]),
        // Sends spans to an OpenTelemetry collector while a session runs: reads TraceStore,
        // posts through Providers' HTTP client (TraceStore itself must not depend on Providers).
        .target(name: "Telemetry", dependencies: ["TraceStore", "Providers", .product(name: "Logging", package: "swift-log")]),
        // Path containment, directory walks, globs and .gitignore, child processes and the
        // bubblewrap sandbox: what tools and checks both stand on. Knows nothing of workers.
        .target(name: "Workspace"),
        .target(name: "Workers", dependencies: ["BosunJSON", "BosunProtocol", "Providers", "Config", "TraceStore", "Workspace",
                                                 .product(name: "Logging", package: "swift-log")]),
        // bosun as an MCP client: the user's MCP servers (stdio children, Streamable HTTP
        // through Providers' HTTP client) as worker tools, one connection per server per session.
        .target(name: "MCPClient", dependencies: ["BosunJSON", "Config", "Providers", "Workers", "Workspace"]),
        // The checks `verify` runs; never sessions or the wire.
        .target(name: "Checks", dependencies: ["BosunJSON", "BosunProtocol", "Providers", "Workspace"]),
        .target(name: "Orchestration", dependencies: ["BosunJSON", "BosunProtocol", "Providers", "Config", "TraceStore", "Workers", "Workspace", "Checks",
                                                       .product(name: "Logging", package: "swift-log")]),
        .target(name: "SessionRuntime", dependencies: ["BosunJSON", "BosunProtocol", "Config", "MCPClient", "Orchestration", "Providers",
                                                        "TraceStore", "Telemetry", "Workers", .product(name: "Logging", package: "swift-log")]),
        .target(name: "BosunServer", dependencies: ["BosunJSON", "BosunProtocol", "JSONRPC",
                                                     .product(name: "Logging", package: "swift-log")]),
        // MCP: bosun as a tool server, a front end beside bosun/1's.
        .target(name: "MCPServer", dependencies: ["BosunJSON", "BosunProtocol", "BosunServer", "JSONRPC",
                                                   .product(name: "Logging", package: "swift-log")]),
        // ACP: bosun as the agent an editor talks to; each prompt is an orchestration.
        .target(name: "ACPServer", dependencies: ["BosunJSON", "BosunProtocol", "BosunServer", "JSONRPC",
                                                   .product(name: "Logging", package: "swift-log")]),
        .executableTarget(name: "bosun", dependencies: [
            "BosunProtocol", "BosunServer", "MCPServer", "ACPServer", "SessionRuntime", "MockProvider", "TraceStore", "Config", "JSONRPC", "Spelling",
            "Workspace",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // Helpers shared by test targets (a seeded random number generator, running a program, temporary directories).
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "BosunJSONTests", dependencies: ["BosunJSON", "TestSupport"]),
        .testTarget(name: "SpellingTests", dependencies: ["Spelling"]),
        .testTarget(name: "JSONRPCTests", dependencies: ["JSONRPC", "BosunJSON", .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "ProvidersTests", dependencies: ["Providers", "MockProvider", "BosunJSON", "TestSupport"]),
        .testTarget(name: "TraceStoreTests", dependencies: ["TraceStore", "TraceStoreHarness", "TestSupport"]),
        // Writes to a trace store on command, for the crash, multi-process and redaction tests.
        .executableTarget(name: "TraceStoreHarness", dependencies: ["TraceStore"], path: "Tests/TraceStoreHarness"),
        .testTarget(name: "ConfigTests", dependencies: ["Config", "BosunJSON", "TestSupport"]),
        .testTarget(name: "TelemetryTests", dependencies: ["Telemetry", "TraceStore", "TestSupport", .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "WorkspaceTests", dependencies: ["Workspace", "TestSupport"]),
        .testTarget(name: "WorkersTests", dependencies: ["Workers", "Workspace", "Providers", "MockProvider", "TraceStore", "Config", "BosunJSON", "TestSupport"]),
        .testTarget(name: "MCPClientTests", dependencies: ["MCPClient", "Config", "Workers", "Providers", "BosunJSON", "TestSupport"]),
        .testTarget(name: "ChecksTests", dependencies: ["Checks", "BosunProtocol", "Workspace", "BosunJSON", "Providers", "MockProvider", "TestSupport"]),
        .testTarget(name: "OrchestrationTests", dependencies: ["Orchestration", "BosunProtocol", "Workers", "Providers", "MockProvider", "TraceStore", "Config", "BosunJSON", "TestSupport",
                                                            .product(name: "Logging", package: "swift-log")],
                    exclude: ["Fixtures"]),
        .testTarget(name: "BosunProtocolTests", dependencies: ["BosunProtocol", "BosunJSON"]),
        .testTarget(name: "BosunServerTests", dependencies: ["BosunServer", "BosunProtocol", "JSONRPC", "BosunJSON",
                                                          .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "MCPServerTests", dependencies: ["MCPServer", "BosunProtocol", "JSONRPC", "BosunJSON"]),
        .testTarget(name: "ACPServerTests", dependencies: ["ACPServer", "BosunProtocol", "JSONRPC", "BosunJSON",
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
