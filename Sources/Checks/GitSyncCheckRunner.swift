import BosunProtocol
import Foundation
import Workspace

/// `git fetch`, then the local HEAD against `remote/branch`, and optionally no uncommitted
/// changes: never deploy from a stale tree. git runs outside the sandbox (it needs the
/// network and the remote), as bosun's own fixed argv through `HardenedGit`, so no program
/// the repository's config names runs (a worker may have written it). Submodules are not
/// entered: their config is theirs, and a submodule's own uncommitted edits are not seen.
enum GitSyncCheckRunner {
    static let fetchTimeoutSeconds = 120.0

    static func run(_ check: GitSyncCheck, context: CheckContext) async -> CheckOutcome {
        func failed(_ summary: String, _ output: String = "") -> CheckOutcome {
            CheckOutcome(kind: "git-sync", passed: false, summary: summary, output: output)
        }
        let remote = check.remote ?? "origin"
        let branch: String
        if let given = check.branch {
            branch = given
        } else {
            let current = await git(["rev-parse", "--abbrev-ref", "HEAD"], context)
            guard current.ok, current.text != "HEAD" else {
                return failed("cannot tell the current branch (detached HEAD or not a git repository); give branch", current.text)
            }
            branch = current.text
        }
        let fetch = await git(["fetch", "--quiet", "--no-recurse-submodules", remote, branch], context, timeout: fetchTimeoutSeconds)
        guard fetch.ok else { return failed("git fetch \(remote) \(branch) failed", fetch.text) }
        let local = await git(["rev-parse", "HEAD"], context)
        let upstream = await git(["rev-parse", "refs/remotes/\(remote)/\(branch)"], context)
        guard local.ok, upstream.ok else {
            return failed("cannot resolve HEAD and \(remote)/\(branch)", local.text + "\n" + upstream.text)
        }
        var report = ["HEAD \(local.text)", "\(remote)/\(branch) \(upstream.text)"]
        var problems: [String] = []
        if local.text != upstream.text {
            let counts = await git(["rev-list", "--left-right", "--count", "HEAD...refs/remotes/\(remote)/\(branch)"], context)
            let numbers = counts.text.split(whereSeparator: \.isWhitespace)
            if numbers.count == 2 {
                problems.append("HEAD is \(numbers[0]) commit(s) ahead of and \(numbers[1]) behind \(remote)/\(branch)")
            } else {
                problems.append("HEAD differs from \(remote)/\(branch)")
            }
        }
        if check.clean == true {
            let status = await git(["status", "--porcelain", "--ignore-submodules=dirty"], context)
            if !status.ok {
                problems.append("cannot read the working tree's status")
            } else if !status.text.isEmpty {
                problems.append("the working tree has uncommitted changes")
                report.append(status.text)
            }
        }
        if problems.isEmpty {
            return CheckOutcome(kind: "git-sync", passed: true, summary: "HEAD matches \(remote)/\(branch)",
                                output: report.joined(separator: "\n"))
        }
        return failed(problems.joined(separator: "; "), report.joined(separator: "\n"))
    }

    private static func git(_ arguments: [String], _ context: CheckContext, timeout: Double = 30) async
        -> (ok: Bool, text: String)
    {
        let outcome = await HardenedGit.run(arguments, in: context.workspaceRoot, timeout: timeout)
        return (outcome.ok, outcome.text.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
