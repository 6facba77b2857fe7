import Foundation
import Testing
@testable import Config

@Suite struct ConfigValidationTests {
    /// Loads `yaml` as the project config and returns the error it must raise.
    private func error(for yaml: String) throws -> ConfigError {
        let box = try ConfigSandbox()
        defer { box.remove() }
        let file = try box.write("config.yaml", yaml)
        do {
            _ = try ConfigLoader.load(explicitPath: file, workspaceRoot: box.workspace, environment: box.environment)
        } catch let error as ConfigError {
            #expect(error.file == file)
            return error
        }
        Issue.record("expected a ConfigError for:\n\(yaml)")
        return ConfigError(message: "none")
    }

    struct Case: Sendable, CustomStringConvertible {
        var yaml: String
        var line: Int
        var key: String?
        var says: String
        var description: String { says }
    }

    static let cases: [Case] = [
        Case(yaml: "session:\n  maxConcurrentWorkers: 4\nroles:\n  coder:\n    timeoutSeconds: x\n", line: 5,
             key: "roles.coder.timeoutSeconds", says: "expected a positive number, got \"x\""),
        Case(yaml: "roles:\n  coder:\n    timeoutSecond: 5\n", line: 3, key: "roles.coder.timeoutSecond", says: "unknown key (did you mean 'timeoutSeconds'?)"),
        Case(yaml: "roles:\n  coder:\n    timeoutSeconds: 1e300\n", line: 3, key: "roles.coder.timeoutSeconds",
             says: "expected at most 1000000000 seconds (about 31 years), got 1e+300"),
        Case(yaml: "tools:\n  commandTimeoutSeconds: 1e12\n", line: 2, key: "tools.commandTimeoutSeconds", says: "at most 1000000000 seconds"),
        Case(yaml: "session: { maxConcurrentWorkers: 0 }\n", line: 1, key: "session.maxConcurrentWorkers", says: "at least 1"),
        Case(yaml: "\n\nsesion: {}\n", line: 3, key: "sesion", says: "unknown key (did you mean 'session'?)"),
        Case(yaml: "models:\n  x: { provider: nowhere, id: m }\n", line: 2, key: "models.x.provider", says: "unknown provider"),
        Case(yaml: "tiers:\n  worker: huge\n", line: 2, key: "tiers.worker", says: "unknown model alias"),
        Case(yaml: "roles:\n  r:\n    model: gpt-9\n", line: 3, key: "roles.r.model", says: "unknown model alias or tier"),
        Case(yaml: "roles:\n  r:\n    retry: { attempts: 2, on: [oops] }\n", line: 3, key: "roles.r.retry.on",
             says: "unknown reason \"oops\"; a retry can follow: provider_error"),
        Case(yaml: "roles:\n  r:\n    fallbackModels: [worker, gpt-9]\n", line: 3, key: "roles.r.fallbackModels[1]",
             says: "unknown model alias or tier \"gpt-9\""),
        Case(yaml: "roles:\n  r:\n    stallRepeats: -1\n", line: 3, key: "roles.r.stallRepeats", says: "at least 0"),
        Case(yaml: "roles:\n  r:\n    sandbox: { tmpfsMB: 0 }\n", line: 3, key: "roles.r.sandbox.tmpfsMB", says: "at least 1"),
        Case(yaml: "roles:\n  r:\n    sandbox: { memory: 5 }\n", line: 3, key: "roles.r.sandbox.memory", says: "unknown key"),
        Case(yaml: "roles:\n  r:\n    tools: [read_file, hack]\n", line: 3, key: "roles.r.tools", says: "unknown tool \"hack\""),
        Case(yaml: "roles:\n  r:\n    tools: [run_command]\n", line: 3, key: "roles.r.tools", says: "exec permission"),
        Case(yaml: "roles:\n  r:\n    tools: [write_file]\n", line: 3, key: "roles.r.tools", says: "write permission"),
        Case(yaml: "providers:\n  p: { kind: gemini }\n", line: 2, key: "providers.p.kind", says: "expected one of anthropic, openai"),
        Case(yaml: "providers:\n  p: { kind: openai, baseURL: \"ftp://x\" }\n", line: 2, key: "providers.p.baseURL", says: "http"),
        Case(yaml: "tools:\n  sandbox: off\n", line: 2, key: "tools.sandbox", says: "expected one of require, allowUnsandboxed"),
        Case(yaml: "tools:\n  allowPrivateAddresses: \"yes\"\n", line: 2, key: "tools.allowPrivateAddresses", says: "true or false"),
        Case(yaml: "session: { maxCostUSD: \"5\" }\n", line: 1, key: "session.maxCostUSD", says: "positive number"),
        Case(yaml: "roles:\n  a: {}\n  a: {}\n", line: 2, key: nil, says: "duplicate"),
        Case(yaml: "roles: [\n", line: 2, key: nil, says: "invalid YAML"),
        Case(yaml: "- just\n- a list\n", line: 1, key: nil, says: "must be a mapping"),
    ]

    @Test(arguments: cases)
    func errorsCarryFileLineAndKey(_ testCase: Case) throws {
        let error = try error(for: testCase.yaml)
        #expect(error.line == testCase.line, "\(error)")
        if let key = testCase.key { #expect(error.key == key, "\(error)") }
        #expect(error.description.contains(testCase.says), "\(error)")
        #expect(error.description.hasPrefix("\(error.file!):\(testCase.line): "), "\(error)")
    }

    @Test func recoverySettingsAreRead() throws {
        let box = try ConfigSandbox()
        defer { box.remove() }
        let file = try box.write("config.yaml", """
            roles:
              r: { stallRepeats: 5, fallbackModels: [mid], retry: { attempts: 2, on: [stalled, timed_out] } }
              plain: {}
            """)
        let config = try ConfigLoader.load(explicitPath: file, workspaceRoot: box.workspace, environment: box.environment)
        let role = try config.role(named: "r")
        #expect(role.stallRepeats == 5)
        #expect(role.fallbackModels == ["mid"])
        #expect(role.retry == RetrySetting(attempts: 2, on: ["stalled", "timed_out"]))
        let plain = try config.role(named: "plain")
        #expect(plain.stallRepeats == 3 && plain.retry == nil && plain.fallbackModels.isEmpty)
    }

    @Test func aRolesSandboxBoundsAreRead() throws {
        let box = try ConfigSandbox()
        defer { box.remove() }
        let file = try box.write("config.yaml", """
            roles:
              builder: { sandbox: { tmpfsMB: 1024, maxProcesses: 512, memoryMB: 4096, maxOpenFiles: 4096, maxFileMB: 2048 } }
              plain: {}
            """)
        let config = try ConfigLoader.load(explicitPath: file, workspaceRoot: box.workspace, environment: box.environment)
        #expect(try config.role(named: "builder").sandbox == SandboxOverrides(tmpfsMB: 1_024, maxProcesses: 512, memoryMB: 4_096,
                                                                              maxOpenFiles: 4_096, maxFileMB: 2_048))
        #expect(try config.role(named: "plain").sandbox == SandboxOverrides())
    }

    @Test func theDescriptionReadsFileLineKeyMessage() {
        let error = ConfigError(file: "config.yaml", line: 12, key: "roles.coder.timeoutSeconds", message: "expected a positive number, got \"x\"")
        #expect(error.description == "config.yaml:12: roles.coder.timeoutSeconds: expected a positive number, got \"x\"")
    }

    static let secrets: [(String, Int)] = [
        ("providers:\n  anthropic:\n    kind: anthropic\n    apiKey: sk-ant-api03-abcdefghijklmnopqrstuvwxyz\n", 4),
        ("providers:\n  openai: { kind: openai, api_key: \"abc\" }\n", 2),
        ("providers:\n  openai:\n    kind: openai\n    apiKeyEnv: sk-proj-abcdefghijklmnopqrstuvwxyz012345\n", 4),
        ("roles:\n  r:\n    description: \"sk-ant-api03-abcdefghijklmnopqrstuvwxyz\"\n", 3),
        ("providers:\n  x: { kind: openai, token: \"t\" }\n", 2),
    ]

    @Test(arguments: secrets.indices)
    func aKeyInAConfigFileIsRefused(_ index: Int) throws {
        let (yaml, line) = Self.secrets[index]
        let error = try error(for: yaml)
        #expect(error.line == line, "\(error)")
        #expect(error.description.contains("environment variable"), "\(error)")
        #expect(!error.description.contains("abcdefghijklmnop"), "the error must not repeat the secret")
    }

    @Test func apiKeyEnvNamingAVariableIsAccepted() throws {
        let box = try ConfigSandbox()
        defer { box.remove() }
        let file = try box.write("c.yaml", "providers:\n  openai: { kind: openai, apiKeyEnv: MY_OPENAI_KEY }\n")
        let config = try ConfigLoader.load(explicitPath: file, workspaceRoot: box.workspace, environment: box.environment)
        #expect(config.providers["openai"]?.apiKeyEnv == "MY_OPENAI_KEY")
        #expect(config.secretValues(environment: ["MY_OPENAI_KEY": "v"]) == ["v"])
    }

    /// A provider problem is one warning naming every role it stops; a role alone on its
    /// provider keeps the form that names its model.
    @Test func roleWarningsSayEachProviderProblemOnce() throws {
        let box = try ConfigSandbox()
        defer { box.remove() }
        let file = try box.write("config.yaml", """
            models:
              gpt: { provider: openai, id: gpt-4.1-mini }
            roles:
              porter: { model: gpt, tools: [read_file] }
            """)
        let config = try ConfigLoader.load(explicitPath: file, workspaceRoot: box.workspace, environment: box.environment)
        let warnings = config.roleWarnings(environment: ["ANTHROPIC_API_KEY": "sk-ant-x"])
        #expect(warnings.count == 1 && warnings.first?.hasPrefix(
            "role \"porter\" (model gpt → provider openai) cannot run here: provider \"openai\" needs an API key") == true, "\(warnings)")
        let neither = config.roleWarnings(environment: [:])
        #expect(neither.count == 2, "\(neither)")
        #expect(neither.contains { $0.hasPrefix("roles \"analyst\", \"coder\",") && $0.contains("and \"writer\" (provider anthropic)") },
                "\(neither)")
        #expect(neither.contains { $0.hasPrefix("role \"porter\" (model gpt → provider openai)") }, "\(neither)")
    }
}
