import BosunJSON
import Config
import Foundation
import Providers
import Workspace

/// `run_command`: an argv (never a shell) in the workspace, inside bubblewrap, with a
/// timeout and an output cap. Needs the role's `exec` permission.
struct RunCommandTool: WorkerTool {
    let policy: ToolPolicy
    /// The sandbox binary, found when the tool runs.
    let bubblewrap: Bubblewrap
    /// Paths the sandbox hides wherever they live: the trace store's directory, bosun's config files.
    let privatePaths: [String]
    /// What a command may use of the machine: the role's `sandbox:` over the defaults.
    let limits: SandboxLimits
    /// Made once: a spec encodes its schema, and every model call of a run sends it.
    let spec: ToolSpec

    /// What commands see of bosun's environment: enough to find programs, never API keys.
    static let passedEnvironment = ["PATH", "LANG", "LC_ALL", "TERM", "USER", "LOGNAME", "HOME", "TZ"]

    init(policy: ToolPolicy, bubblewrap: Bubblewrap = .probedWhenRun, privatePaths: [String] = [],
         limits: SandboxLimits = SandboxLimits()) {
        self.policy = policy
        self.bubblewrap = bubblewrap
        self.privatePaths = privatePaths
        self.limits = limits
        spec = Self.spec(policy: policy, limits: limits)
    }

    static func spec(policy: ToolPolicy, limits: SandboxLimits) -> ToolSpec {
        ToolSpec(name: "run_command", description: """
            Run a program with arguments (an argv list, not a shell line: no pipes, globs or $VARS) \
            in the workspace. It runs in a sandbox as an unprivileged user: the system directories are read-only, \
            the workspace is read-only unless you write in a layer of your own (then the command's writes go to \
            your layer, as write_file's do; .git and other protected paths stay read-only), the home directory \
            and /tmp are private and empty, the directories on the user's PATH are read-only, nothing else of the \
            machine is visible, there is no network. A program that is not on the PATH ends your task as \
            command_not_found. It is bounded: /tmp and the home directory hold \
            \(limits.tmpfsMB) MB each, at most \(limits.maxProcesses) processes, \(limits.memoryMB) MB of memory \
            per process, \(limits.maxOpenFiles) open files, \(limits.maxFileMB) MB per file. Output (stdout and stderr \
            together) is capped at \(policy.commandOutputMaxBytes) bytes; the timeout is at most \
            \(Int(policy.commandTimeoutSeconds)) s.
            """, inputSchema: [
                "type": "object",
                "properties": [
                    "command": ["type": "array", "items": ["type": "string"], "minItems": 1,
                                "description": "Program and arguments, e.g. [\"swift\", \"test\"]"],
                    "cwd": ["type": "string", "description": "Working directory relative to the workspace root"],
                    "timeoutSeconds": ["type": "number", "exclusiveMinimum": 0],
                ],
                "required": ["command"],
                "additionalProperties": false,
            ])
    }

    func run(_ input: JSONValue, context: ToolContext) async throws -> ToolOutput {
        guard context.permissions.exec else {
            throw ToolError("run_command is not allowed: this worker's role does not grant the exec permission")
        }
        let args = try ToolInput(input, tool: "run_command")
        guard let command = try args.stringArray("command"), let program = command.first, !program.isEmpty else {
            throw ToolError("run_command: `command` must be a non-empty array of strings, program first")
        }
        if command.contains(where: { $0.utf8.contains(0) }) { throw ToolError("run_command: arguments may not contain NUL bytes") }
        let root = try WorkspacePath.resolve(".", in: context.workspaceRoot, forWriting: false)
        let cwd = try Self.workingDirectory(try args.string("cwd") ?? ".", root: root, layer: context.layer)
        let timeout = min(try args.double("timeoutSeconds") ?? policy.commandTimeoutSeconds, policy.commandTimeoutSeconds)

        var environment = ProcessInfo.processInfo.environment.filter { Self.passedEnvironment.contains($0.key) }
        environment["TMPDIR"] = "/tmp"
        let toolchain = Toolchain(path: environment["PATH"], home: environment["HOME"], workspaceRoot: root)
        let layer = context.layer
        guard toolchain.locate(program, cwd: cwd, layer: layer) != nil else {
            if toolchain.isPresentButNotExecutable(program, cwd: cwd, layer: layer) {
                throw ToolError("""
                    run_command: \(program) is not executable (files write_file makes are not). Run it through its \
                    interpreter, e.g. ["sh", "\(program)"], or make it executable first: ["chmod", "+x", "\(program)"].
                    """)
            }
            throw WorkerFailure(code: .commandNotFound, message: toolchain.notFound(program))
        }
        let argv: [String]
        let sandboxNote: String
        if let layer, let problem = Sandbox.overlayProblem(layer) {
            throw ToolError("run_command cannot show this worker's layer to a command: \(problem)")
        }
        let bwrap = try await bubblewrap.path()
        if let bwrap {
            let view = SandboxView(workspaceRoot: root, workspaceWritable: layer != nil, home: environment["HOME"],
                                   privatePaths: privatePaths, toolchain: toolchain.directories, layer: layer,
                                   protectedPaths: ProtectedPaths(extra: policy.protectedPaths), limits: limits)
            argv = Sandbox.wrap(command, bwrap: bwrap, view: view, cwd: cwd, releaseFD: ProcessRunner.releaseFD)
            sandboxNote = layer == nil
                ? "bubblewrap (system directories and the workspace read-only, empty home, no network, unprivileged)"
                : "bubblewrap (the workspace with this worker's layer on top, writable, writes kept in the layer; protected paths and system directories read-only; empty home, no network, unprivileged)"
        } else if policy.sandbox == .allowUnsandboxed, layer == nil {
            argv = command
            sandboxNote = "none (bubblewrap is not available; tools.sandbox is allowUnsandboxed)"
        } else {
            throw ToolError("""
                run_command is unavailable: bubblewrap (bwrap) is not installed or cannot create namespaces here, \
                and commands only run sandboxed. Ask the operator to install it (apt-get install bubblewrap) \
                or to set tools.sandbox: allowUnsandboxed in bosun's config.
                """)
        }
        let outcome = try await ProcessRunner.run(argv, cwd: bwrap == nil ? cwd : nil, environment: environment,
                                                  timeout: timeout, outputCap: policy.commandOutputMaxBytes,
                                                  maxProcesses: bwrap == nil ? nil : limits.maxProcesses)
        try Task.checkCancellation()
        if bwrap != nil, outcome.exitCode == 1, Toolchain.bwrapReportsNotFound(outcome.output) {
            throw WorkerFailure(code: .commandNotFound, message: toolchain.notFound(program))
        }
        var output = Self.render(command: command, outcome: outcome, timeout: timeout, sandbox: sandboxNote,
                                 limits: bwrap == nil ? nil : limits)
        if let layer { try await account(layer, into: &output) }
        return output
    }

    /// The command's working directory: an existing directory of the workspace, or with a
    /// layer one the worker made there (its commands see it; the workspace does not have it).
    static func workingDirectory(_ given: String, root: String, layer: Layer?) throws -> String {
        do {
            return try WorkspacePath.resolve(given, in: root, forWriting: false)
        } catch let error as WorkspaceError {
            guard let layer, let relative = try? WorkspaceDirectory(root).relative(given), layer.lookup(relative) != .deleted else { throw error }
            var info = stat()
            guard lstat(layer.upper + "/" + relative, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else { throw error }
            return root + "/" + relative
        }
    }

    /// Records the bases of what the command wrote into the layer, and holds the layer to
    /// its limits: past them the worker is told to undo, and its next writes are refused.
    private func account(_ layer: Layer, into output: inout ToolOutput) async throws {
        let (usage, summary) = try await BlockingWork.run { () throws -> ((bytes: Int, files: Int), LayerSummary) in
            try layer.recordNewBases()
            return (layer.usage(), try layer.summary())
        }
        output.layer = summary
        if usage.bytes > policy.layerMaxBytes || usage.files > policy.layerMaxFiles {
            output.isError = true
            output.text += "\n[this worker's layer now holds \(usage.bytes) bytes in \(usage.files) files, over its limits "
                + "(tools.layerMaxBytes \(policy.layerMaxBytes), tools.layerMaxFiles \(policy.layerMaxFiles)); "
                + "delete what the command generated before writing more]"
        }
    }

    /// `limits`: the sandbox's, to say which one a failed command met.
    static func render(command: [String], outcome: ProcessOutcome, timeout: Double, sandbox: String,
                       limits: SandboxLimits? = nil) -> ToolOutput {
        var lines = ["$ " + command.map { $0.contains(" ") || $0.isEmpty ? "'\($0)'" : $0 }.joined(separator: " ")]
        if outcome.timedOut {
            lines.append("timed out after \(timeout) s; the process and its children were killed")
        } else if let code = outcome.exitCode {
            lines.append("exit code: \(code)")
        } else if let signal = outcome.signal {
            lines.append("killed by signal \(signal)")
        }
        lines.append("sandbox: \(sandbox)")
        lines.append("--- output (stdout and stderr) ---")
        lines.append(String(decoding: outcome.output, as: UTF8.self))
        if outcome.outputAbandoned {
            lines.append("[a background process that left the command's process group kept the output open; it was not waited for]")
        }
        if outcome.totalOutputBytes > outcome.output.count {
            lines.append("[output truncated: first \(outcome.output.count) of \(outcome.totalOutputBytes) bytes shown]")
        }
        if let limits, !outcome.timedOut, outcome.exitCode != 0,
           let met = limits.limitMet(exitCode: outcome.exitCode, signal: outcome.signal,
                                     output: String(decoding: outcome.output, as: UTF8.self)) {
            lines.append("sandbox limit met: \(met). Do with less, or ask the operator to raise it.")
        }
        return ToolOutput(text: lines.joined(separator: "\n"), isError: outcome.timedOut || outcome.exitCode != 0)
    }
}

extension RunCommandTool {
    /// Commands under this sandbox binary (nil: none), rather than the one probed when they run.
    init(policy: ToolPolicy, bwrap: String?, privatePaths: [String] = [], limits: SandboxLimits = SandboxLimits()) {
        self.init(policy: policy, bubblewrap: .given(bwrap), privatePaths: privatePaths, limits: limits)
    }
}
