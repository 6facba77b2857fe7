import ArgumentParser
import Config
import Foundation

/// `bosun config`: inspect configuration.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Inspect bosun's configuration.",
        subcommands: [ConfigCheck.self],
        defaultSubcommand: ConfigCheck.self
    )
}

/// Options shared by the commands that load configuration.
struct ConfigLocationOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Config file (default: $BOSUN_CONFIG, else .bosun/config.yaml in the workspace).", valueName: "PATH"))
    var config: String?

    @Option(help: ArgumentHelp("Workspace root, where .bosun/ and .claude/agents/ are looked for (default: the current directory).", valueName: "DIR"))
    var workspace: String?

    /// Loads the configuration, or exits with the error (file:line: key: message) on stderr.
    /// Workspace config the user has not trusted is left out, and stderr says so.
    /// The workspace root, symlinks resolved.
    var workspaceRoot: String {
        URL(fileURLWithPath: workspace ?? FileManager.default.currentDirectoryPath).resolvingSymlinksInPath().path
    }

    func load() throws -> BosunConfig {
        let root = workspaceRoot
        let environment = ProcessInfo.processInfo.environment
        do {
            let loaded = try ConfigLoader.load(explicitPath: config, workspaceRoot: root, environment: environment)
            if let ignored = loaded.ignoredWorkspaceConfig {
                FileHandle.standardError.write(Data("warning: \(WorkspaceTrust.notice(for: ignored, environment: environment))\n".utf8))
            }
            return loaded
        } catch let error as ConfigError {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(2)
        }
    }
}

/// `bosun config check`: validate every config and role file and print the effective configuration.
struct ConfigCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate the configuration and print the effective result, secrets masked.",
        discussion: """
            Loads built-in defaults, $XDG_CONFIG_HOME/bosun/config.yaml, role files (.claude/agents/*.md, \
            .bosun/roles/*.md) and the project config (--config, else $BOSUN_CONFIG, else \
            .bosun/config.yaml), in that order. Exits 2 with file:line: key: message on the first error. \
            API keys are never printed: each apiKeyEnv shows only whether its variable is set. A warning on \
            stderr names every role whose model's provider has no API key (or no address) in this environment; \
            warnings do not change the exit status. mcpServers lists the MCP servers a session would have (the \
            config's, and the workspace's .mcp.json when mcp.workspaceServers is on and you trust it), env and \
            header values shown only as the ${VAR}s they name; a warning names a server whose command is not \
            found or whose variables are not set, a .mcp.json that is untrusted or invalid, and a role's mcp__ \
            entry that names no server. Each role's approval rules are listed in order of \
            precedence (deny, then ask, then allow, then the default); --explain CALL prints instead what \
            each role's rules decide for one call and which rule decided, e.g. \
            --explain 'run_command(npm test)' or --explain 'write_file(src/../.git/config)'.
            """
    )

    @OptionGroup var location: ConfigLocationOptions

    @Flag(help: "Print role prompts whole instead of their first line.")
    var fullPrompts = false

    @Option(help: ArgumentHelp("Explain what each role's approval rules decide for this call.", valueName: "tool(input)"))
    var explain: String?

    @Option(help: ArgumentHelp("With --explain: only this role (repeatable).", valueName: "ROLE"))
    var role: [String] = []

    func run() throws {
        let config = try location.load()
        let environment = ProcessInfo.processInfo.environment
        if let explain {
            try ApprovalExplanation(config: config, workspaceRoot: location.workspaceRoot, roles: role).print(explain)
            return
        }
        print(config.effectiveYAML(environment: environment, fullPrompts: fullPrompts), terminator: "")
        let warnings = config.roleWarnings(environment: environment) + config.mcpWarnings(environment: environment)
        for warning in warnings {
            FileHandle.standardError.write(Data("warning: \(warning)\n".utf8))
        }
        let summary = "\(config.sources.count) source\(config.sources.count == 1 ? "" : "s"), \(config.roles.count) roles"
            + (warnings.isEmpty ? "" : ", \(warnings.count) warning\(warnings.count == 1 ? "" : "s")")
        FileHandle.standardError.write(Data("config OK (\(summary))\n".utf8))
    }
}
