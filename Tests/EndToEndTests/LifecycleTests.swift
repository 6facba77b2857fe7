import BosunJSON
import Foundation
import Testing

/// The LSP lifecycle of `bosun serve`, in both framings, over real pipes.
@Suite(.serialized) struct Lifecycle {
    @Test(arguments: WireFraming.allCases)
    func initializeStatusShutdownExit(framing: WireFraming) async throws {
        // The most talkative log level: however much is logged, stdout stays protocol-only.
        let bosun = try BosunProcess.launch(["serve", "--log-level", "trace"], framing: framing)
        let early = try await bosun.request("status")
        #expect(early["error"]?["code"] == -32002)

        let result = try await bosun.initialize(options: ["maxConcurrentWorkers": 3, "events": "terminal"])
        #expect(result["serverInfo"]?["name"] == "bosun")
        #expect(result["serverInfo"]?["version"]?.stringValue?.isEmpty == false)
        let session = try #require(result["session"])
        #expect(session["id"]?.stringValue?.hasPrefix("s_") == true)
        #expect(session["resumed"] == false)
        #expect(session["maxConcurrentWorkers"] == 3)
        #expect(result["capabilities"]?["methods"]?.arrayValue?.contains("status") == true)

        let status = try await bosun.call("status")
        #expect(status["session"]?["id"] == session["id"])
        #expect(status["session"]?["maxConcurrentWorkers"] == 3)
        #expect(status["session"]?["counts"]?["running"] == 0)
        #expect(status["workers"] == [])
        #expect(status["usage"]?["costUSD"]?.doubleValue == 0)

        let again = try await bosun.request("initialize", [:])
        #expect(again["error"]?["code"] == -32600)

        #expect(try await bosun.call("shutdown") == .null)
        let late = try await bosun.request("status")
        #expect(late["error"]?["code"] == -32600)
        bosun.notify("exit")
        #expect(try await bosun.waitForExit() == 0)
        #expect(bosun.stdoutProblems.isEmpty)
        try await bosun.waitForStderr("initialized for bosun-e2e")
        try await bosun.waitForStderr("debug bosun.server: the client is initialized")
    }

    @Test func exitWithoutShutdownExitsWithOne() async throws {
        let bosun = try BosunProcess.launch()
        try await bosun.initialize()
        bosun.notify("exit")
        #expect(try await bosun.waitForExit() == 1)
    }

    /// `initialize`, `shutdown` and `exit` written together take effect in that order: the
    /// `exit` waits for the `shutdown` (which waits for `initialize`), so the process exits 0.
    @Test(arguments: 1...5)
    func aPipelinedShutdownAndExitExitWithZero(run: Int) async throws {
        let bosun = try BosunProcess.launch(framing: .ndjson)
        bosun.sendRaw("""
            {"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}
            {"jsonrpc":"2.0","id":2,"method":"shutdown"}
            {"jsonrpc":"2.0","method":"exit"}

            """)
        #expect(try await bosun.waitForExit() == 0, "run \(run): \(bosun.stderr)")
        #expect(!bosun.stderr.contains("exit without shutdown"))
    }

    @Test func theEndOfInputEndsTheProcessCleanly() async throws {
        let bosun = try BosunProcess.launch(framing: .ndjson)
        try await bosun.initialize()
        bosun.closeInput()
        #expect(try await bosun.waitForExit() == 0)
    }

    @Test func requestsPipelinedBehindInitializeWaitForIt() async throws {
        let bosun = try BosunProcess.launch()
        let initialize = bosun.sendRequest("initialize", [:])
        let status = bosun.sendRequest("status")
        bosun.closeInput()
        #expect(try await bosun.response(id: initialize)["result"]?["session"] != nil)
        #expect(try await bosun.response(id: status)["result"]?["workers"] == [])
        #expect(try await bosun.waitForExit() == 0)
    }

    /// Params that cannot even be decoded (a lone surrogate) fail `initialize` without
    /// wedging the connection: the request pipelined behind it is answered, and a second
    /// `initialize` succeeds.
    @Test func anInitializeWhoseParamsDoNotDecodeCanBeSentAgain() async throws {
        let bosun = try BosunProcess.launch(framing: .ndjson)
        bosun.sendRaw(#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"clientInfo":{"name":"\ud800"}}}"# + "\n")
        bosun.sendRaw(#"{"jsonrpc":"2.0","id":2,"method":"status"}"# + "\n")
        let failed = try await bosun.response(id: 1)
        #expect(failed["error"]?["code"] == -32602)
        #expect(failed["error"]?["data"]?["field"] == "clientInfo.name")
        #expect(try await bosun.response(id: 2)["error"]?["code"] == -32002)
        let result = try await bosun.initialize()
        #expect(result["session"]?["id"] != nil)
        #expect(try await bosun.call("status")["workers"] == [])
        #expect(try await bosun.shutdownAndExit() == 0)
    }

    @Test func sigtermStopsTheServerCleanly() async throws {
        let bosun = try BosunProcess.launch()
        try await bosun.initialize()
        bosun.sendSignal(SIGTERM)
        #expect(try await bosun.waitForExit() == 0)
        try await bosun.waitForStderr("signal")
    }

    /// Piped input whose end comes while `initialize` still runs: it is answered before the
    /// server stops, and the log says so in that order.
    @Test func theLogSaysInitializedBeforeStoppingAtTheEndOfPipedInput() async throws {
        let bosun = try BosunProcess.launch(framing: .ndjson)
        bosun.sendRaw(#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"clientInfo":{"name":"piped"}}}"# + "\n")
        bosun.closeInput()
        #expect(try await bosun.response(id: 1)["result"]?["session"] != nil)
        #expect(try await bosun.waitForExit() == 0)
        try await bosun.waitForStderr("the input ended; stopping")
        let log = bosun.stderr
        let initialized = try #require(log.range(of: "initialized for piped"), "\(log)")
        let stopping = try #require(log.range(of: "the input ended; stopping"), "\(log)")
        #expect(initialized.upperBound < stopping.lowerBound, "\(log)")
    }

    static let badOptions: [(JSONValue, String)] = [
        (["maxConcurrentWorkers": 0], "initializationOptions.maxConcurrentWorkers"),
        (["maxConcurrentWorkers": "five"], "initializationOptions.maxConcurrentWorkers"),
        (["events": "bogus"], "initializationOptions.events"),
        (["logLevel": "loud"], "initializationOptions.logLevel"),
        (["session": ""], "initializationOptions.session"),
    ]

    @Test(arguments: badOptions)
    func badInitializationOptionsNameTheField(options: JSONValue, field: String) async throws {
        let bosun = try BosunProcess.launch()
        let response = try await bosun.request("initialize", ["initializationOptions": options])
        #expect(response["error"]?["code"] == -32602)
        #expect(response["error"]?["data"]?["field"] == .string(field))
        #expect(response["error"]?["message"]?.stringValue?.contains(field) == true)
        // A failed initialize can be retried.
        try await bosun.initialize()
        bosun.closeInput()
        #expect(try await bosun.waitForExit() == 0)
    }

    @Test func aWorkspaceRootThatIsNoDirectoryIsRefused() async throws {
        let bosun = try BosunProcess.launch()
        let response = try await bosun.request("initialize", ["rootUri": "file:///no/such/dir"])
        #expect(response["error"]?["data"]?["field"] == "rootUri")
        let message = response["error"]?["message"]?.stringValue ?? ""
        #expect(message.contains("/no/such/dir is not an existing directory") && message.contains("leave it out"), "\(message)")
        let notAFileURI = try await bosun.request("initialize", ["rootUri": "https://example.com/"])
        #expect(notAFileURI["error"]?["data"]?["field"] == "rootUri")
    }

    @Test func logMessagesReachClientsThatAskForThem() async throws {
        let bosun = try BosunProcess.launch(["serve", "--log-level", "error"])
        try await bosun.initialize(options: ["logLevel": "info"])
        _ = try await bosun.call("shutdown")
        var messages: [String] = []
        while !messages.contains(where: { $0.contains("shutdown") }) {
            let log = try await bosun.notification("window/logMessage")
            #expect(log["params"]?["type"] == 3)
            messages.append(log["params"]?["message"]?.stringValue ?? "")
        }
        #expect(messages.first?.contains("initialized for bosun-e2e") == true)
        #expect(!bosun.stderr.contains("initialized for"), "stderr keeps its own level")
    }

    @Test func versionAndHelp() async throws {
        let version = try BosunProcess.launch(["--version"])
        #expect(try await version.waitForExit() == 0)
        let help = try BosunProcess.launch(["serve", "--help"])
        #expect(try await help.waitForExit() == 0)
        let bad = try BosunProcess.launch(["serve", "--max-message-bytes", "10"])
        #expect(try await bad.waitForExit() != 0)
        try await bad.waitForStderr("--max-message-bytes")
    }
}
