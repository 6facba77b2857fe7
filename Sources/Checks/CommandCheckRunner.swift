import BosunProtocol
import Foundation
import Workspace

/// A program in the workspace, sandboxed as `run_command` is (workspace read-only unless the
/// check says `writable`), with a timeout; passes on the expected exit code.
enum CommandCheckRunner {
    /// What commands see of bosun's environment: enough to find programs, never API keys.
    static let passedEnvironment = ["PATH", "LANG", "LC_ALL", "TERM", "USER", "LOGNAME", "HOME", "TZ"]

    static func run(_ check: CommandCheck, context: CheckContext) async -> CheckOutcome {
        func failed(_ summary: String, _ output: String = "") -> CheckOutcome {
            CheckOutcome(kind: "command", passed: false, summary: summary, output: output)
        }
        guard let program = check.command.first, !program.isEmpty else { return failed("command must name a program first") }
        let policy = context.commands
        let root: String
        let cwd: String
        do {
            root = try WorkspacePath.resolve(".", in: context.workspaceRoot, forWriting: false)
            cwd = try WorkspacePath.resolve(check.cwd ?? ".", in: root, forWriting: false)
        } catch {
            return failed("cwd \(check.cwd ?? ".") is not a directory inside the workspace: \(error)")
        }
        let timeout = min(check.timeoutSeconds ?? policy.maxTimeoutSeconds, policy.maxTimeoutSeconds)
        var environment = ProcessInfo.processInfo.environment.filter { passedEnvironment.contains($0.key) }
        environment["TMPDIR"] = "/tmp"
        let toolchain = Toolchain(path: environment["PATH"], home: environment["HOME"], workspaceRoot: root)
        guard toolchain.locate(program, cwd: cwd) != nil else {
            return CheckOutcome(kind: "command", passed: false, summary: toolchain.notFound(program), code: .commandNotFound)
        }
        let bwrap: String?
        do {
            bwrap = try await policy.bubblewrap.path()
        } catch {
            return failed("the command did not run: \(error)")
        }
        let argv: [String]
        if let bwrap {
            let view = SandboxView(workspaceRoot: root, workspaceWritable: check.writable == true,
                                   home: environment["HOME"], privatePaths: policy.privatePaths, toolchain: toolchain.directories,
                                   layer: context.layer)
            argv = Sandbox.wrap(check.command, bwrap: bwrap, view: view, cwd: cwd, releaseFD: ProcessRunner.releaseFD)
        } else if policy.allowUnsandboxed, context.layer == nil {
            argv = check.command
        } else {
            return failed("""
                the command cannot run: bubblewrap (bwrap) is not usable here and commands only run sandboxed; \
                install bubblewrap or set tools.sandbox: allowUnsandboxed
                """)
        }
        let outcome: ProcessOutcome
        do {
            outcome = try await ProcessRunner.run(argv, cwd: bwrap == nil ? cwd : nil, environment: environment,
                                                  timeout: timeout, outputCap: policy.outputBytes, tailCap: policy.outputBytes,
                                                  maxProcesses: bwrap == nil ? nil : SandboxLimits().maxProcesses)
        } catch {
            return failed("cannot run \(program): \(error)")
        }
        let output = OutputExcerpt.make(head: outcome.output, tail: outcome.outputTail, totalBytes: outcome.totalOutputBytes)
        let shown = check.command.joined(separator: " ")
        let expected = check.expectExitCode ?? 0
        if outcome.timedOut {
            return failed("`\(shown)` timed out after \(Self.seconds(timeout)) s and was killed", output)
        }
        if bwrap != nil, outcome.exitCode == 1, Toolchain.bwrapReportsNotFound(outcome.output) {
            return CheckOutcome(kind: "command", passed: false, summary: toolchain.notFound(program), output: output,
                                code: .commandNotFound)
        }
        guard let code = outcome.exitCode else {
            return failed("`\(shown)` was killed by signal \(outcome.signal ?? 0)", output)
        }
        guard code == expected else {
            return failed("`\(shown)` exited with \(code), expected \(expected)", output)
        }
        return CheckOutcome(kind: "command", passed: true, summary: "`\(shown)` exited with \(code)", output: output)
    }

    static func seconds(_ value: Double) -> String {
        value.rounded() == value ? String(Int(value)) : String(value)
    }
}
