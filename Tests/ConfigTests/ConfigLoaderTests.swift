import Foundation
import Testing
@testable import Config

@Suite struct ConfigLoaderTests {
    @Test func builtInRolesFollowTheRoutingTable() throws {
        let config = BosunConfig.builtIn
        let expected: [(String, String, Double)] = [
            ("coder", "claude-haiku-4-5", 900), ("researcher", "claude-haiku-4-5", 300), ("writer", "claude-sonnet-4-5", 180),
            ("analyst", "claude-opus-4-5", 600), ("transformer", "claude-haiku-4-5", 300), ("worker", "claude-haiku-4-5", 300),
            ("synthesizer", "claude-opus-4-5", 300), ("planner", "claude-opus-4-5", 300), ("coordinator", "claude-opus-4-5", 120),
            ("evaluator", "claude-opus-4-5", 300),
        ]
        #expect(config.roles.count == expected.count)
        for (name, modelId, timeout) in expected {
            let role = try config.role(named: name)
            #expect(role.timeoutSeconds == timeout, "\(name)")
            #expect(try config.resolveModel(role.model).modelId == modelId, "\(name)")
            #expect(!role.prompt.isEmpty && role.maxSteps > 0 && role.maxCostUSD > 0)
        }
        #expect(try config.role(named: "coder").permissions == ToolPermissions(write: true, exec: true))
        #expect(try config.role(named: "researcher").permissions == ToolPermissions())
        #expect(try config.role(named: "evaluator").permissions == ToolPermissions())
        #expect(try config.role(named: "evaluator").tools == ["read_file", "list_files", "search"])
        #expect(config.sources == ["built-in"])
    }

    @Test func unknownRoleAndModelListTheKnownOnes() throws {
        let config = BosunConfig.builtIn
        #expect(throws: ConfigError.self) { try config.role(named: "nope") }
        do {
            _ = try config.resolveModel("gpt-9")
            Issue.record("expected an error")
        } catch let error as ConfigError {
            #expect(error.description.contains("fast") && error.description.contains("orchestrator"))
        } catch { Issue.record("wrong error \(error)") }
        #expect(try config.resolveModel("mid").alias == "balanced")
        #expect(try config.resolveModel("fast").alias == "fast")
    }

    @Test func layersMergeInPrecedenceOrder() throws {
        let box = try ConfigSandbox()
        defer { box.remove() }
        try box.write("xdg/bosun/config.yaml", """
        session: { maxConcurrentWorkers: 3, maxCostUSD: 4 }
        roles:
          coder: { maxSteps: 7 }
        """)
        try box.write("ws/.bosun/config.yaml", """
        session: { maxConcurrentWorkers: 8 }
        roles:
          coder: { timeoutSeconds: 60 }
        """)
        try box.trustWorkspace()
        var config = try ConfigLoader.load(explicitPath: nil, workspaceRoot: box.workspace, environment: box.environment)
        #expect(config.session.maxConcurrentWorkers == 8)
        #expect(config.session.maxCostUSD == 4)
        let coder = try config.role(named: "coder")
        #expect(coder.maxSteps == 7 && coder.timeoutSeconds == 60 && coder.permissions.write)
        #expect(config.sources == ["built-in", "\(box.xdg)/bosun/config.yaml", "\(box.workspace)/.bosun/config.yaml"])

        // $BOSUN_CONFIG replaces the workspace file; --config replaces both.
        let envFile = try box.write("env.yaml", "session: { maxConcurrentWorkers: 9 }\n")
        let explicit = try box.write("explicit.yaml", "session: { maxConcurrentWorkers: 11 }\n")
        var environment = box.environment
        environment["BOSUN_CONFIG"] = envFile
        config = try ConfigLoader.load(explicitPath: nil, workspaceRoot: box.workspace, environment: environment)
        #expect(config.session.maxConcurrentWorkers == 9 && config.session.maxCostUSD == 4)
        config = try ConfigLoader.load(explicitPath: explicit, workspaceRoot: box.workspace, environment: environment)
        #expect(config.session.maxConcurrentWorkers == 11)
        #expect(try config.role(named: "coder").timeoutSeconds == 900, "the workspace file is not read when --config is given")
        #expect(throws: ConfigError.self) {
            try ConfigLoader.load(explicitPath: "\(box.root)/missing.yaml", workspaceRoot: box.workspace, environment: environment)
        }
    }

    @Test func nullRemovesAnInheritedValue() throws {
        let box = try ConfigSandbox()
        defer { box.remove() }
        try box.write("xdg/bosun/config.yaml", "session: { maxCostUSD: 4 }\n")
        try box.write("ws/.bosun/config.yaml", "session: { maxCostUSD: null }\n")
        try box.trustWorkspace()
        let config = try ConfigLoader.load(explicitPath: nil, workspaceRoot: box.workspace, environment: box.environment)
        #expect(config.session.maxCostUSD == nil)
    }

    @Test func endpointsReadKeysAndAddressesFromTheNamedVariables() throws {
        let config = BosunConfig.builtIn
        do {
            _ = try config.endpoint(forProvider: "anthropic", environment: [:])
            Issue.record("expected a missing-key error")
        } catch let error as ConfigError {
            #expect(error.description.contains("ANTHROPIC_API_KEY"))
        }
        let endpoint = try config.endpoint(forProvider: "anthropic", environment: ["ANTHROPIC_API_KEY": "k-123"])
        #expect(endpoint.apiKey == "k-123" && endpoint.baseURL == "https://api.anthropic.com")
        #expect(throws: ConfigError.self) { try config.endpoint(forProvider: "mock", environment: [:]) }
        let mock = try config.endpoint(forProvider: "mock", environment: ["BOSUN_MOCK_URL": "http://127.0.0.1:4000/v1"])
        #expect(mock.baseURL == "http://127.0.0.1:4000/v1" && mock.apiKey == nil && mock.kind == .openai)
        #expect(throws: ConfigError.self) { try config.endpoint(forProvider: "nope", environment: [:]) }
        #expect(config.secretValues(environment: ["ANTHROPIC_API_KEY": "a", "OPENAI_API_KEY": "b", "OTHER": "c"]) == ["a", "b"])
    }

    /// An exported key is not seen by a server an MCP client starts: the error says where it goes.
    @Test(arguments: [("anthropic", "ANTHROPIC_API_KEY"), ("mock", "BOSUN_MOCK_URL")])
    func aMissingKeyOrAddressSaysWhichClientSettingToChange(provider: String, variable: String) throws {
        do {
            _ = try BosunConfig.builtIn.endpoint(forProvider: provider, environment: [:])
            Issue.record("expected an error for the missing \(variable)")
        } catch let error as ConfigError {
            #expect(error.message.contains("set the environment variable \(variable)"))
            #expect(error.message.contains(#"put it in the "env" of bosun's entry in the client's MCP server config"#))
        }
    }

    /// `bosun serve --mock`: every model, whatever its provider, goes to the mock's address.
    @Test func routingToTheMockSendsEveryModelThere() throws {
        let routed = BosunConfig.builtIn.routedToMock(baseURL: "http://127.0.0.1:4000/v1")
        for alias in ["fast", "balanced", "smart", "mock"] {
            let model = try routed.resolveModel(alias)
            #expect(model.providerName == "mock")
            let endpoint = try routed.endpoint(forProvider: model.providerName, environment: [:])
            #expect(endpoint.baseURL == "http://127.0.0.1:4000/v1" && endpoint.apiKey == nil)
        }
        #expect(try routed.resolveModel("orchestrator").modelId == "claude-opus-4-5")
    }

    @Test func aConfigFileCanPointAtALoopbackProvider() throws {
        let box = try ConfigSandbox()
        defer { box.remove() }
        let file = try box.write("c.yaml", """
        providers: { local: { kind: openai, baseURL: "http://127.0.0.1:8080/v1" } }
        models: { m: { provider: local, id: mock-model } }
        tiers: { worker: m, mid: m, orchestrator: m }
        """)
        let config = try ConfigLoader.load(explicitPath: file, workspaceRoot: box.workspace, environment: box.environment)
        #expect(try config.resolveModel(try config.role(named: "coder").model).providerName == "local")
        #expect(try config.endpoint(forProvider: "local", environment: [:]).baseURL == "http://127.0.0.1:8080/v1")
    }

    /// A model without a price of its own costs the provider's list price for its id (cache
    /// writes included); `promptCache: false` turns the cache marks off for one alias.
    @Test func modelsTakeListPricesAndCanTurnPromptCachingOff() throws {
        let box = try ConfigSandbox()
        defer { box.remove() }
        let file = try box.write("c.yaml", """
        providers: { local: { kind: anthropic, baseURL: "http://127.0.0.1:8080" } }
        models:
          listed: { provider: local, id: claude-haiku-4-5-20251001 }
          plain: { provider: local, id: claude-haiku-4-5, promptCache: false, price: { input: 2, output: 4, cacheWrite: 3 } }
          unknown: { provider: local, id: my-local-model }
        tiers: { worker: listed, mid: listed, orchestrator: listed }
        """)
        let config = try ConfigLoader.load(explicitPath: file, workspaceRoot: box.workspace, environment: box.environment)
        let listed = try config.resolveModel("listed"), plain = try config.resolveModel("plain")
        #expect(listed.price?.input == 1 && listed.price?.output == 5 && listed.price?.cacheWrite == 1.25)
        #expect(listed.promptCache && !plain.promptCache)
        #expect(plain.price?.cacheWrite == 3 && plain.price?.cacheRead == 0.2)
        #expect(try config.resolveModel("unknown").price == nil)
        #expect(config.effectiveYAML(environment: [:]).contains("promptCache: false"))
        #expect(throws: ConfigError.self) {
            try ConfigLoader.load(explicitPath: try box.write("bad.yaml", "models: { m: { provider: local, id: x, promptCache: sometimes } }"),
                                  workspaceRoot: box.workspace, environment: box.environment)
        }
    }
}
