import BosunJSON
import Config
import Foundation
import Providers
import Synchronization
import Testing
@testable import Workers

/// What the worker loop does with a call its approval rules decide, before the tool runs,
/// and where fetch_url's redirects may lead under them.
@Suite struct ToolApprovalTests {
    /// Answers every ask with `reply`, and counts the asks.
    final class ScriptedAsker: WorkerAsking {
        let reply: AskReply
        private let requests = Mutex<[AskRequest]>([])
        var asked: [AskRequest] { requests.withLock { $0 } }
        init(_ reply: AskReply) { self.reply = reply }
        func ask(_ request: AskRequest, from workerId: String) async throws -> AskReply {
            requests.withLock { $0.append(request) }
            return reply
        }
    }

    private func context(_ workspace: TestWorkspace, ask: [String] = [], deny: [String] = [], asking: (any WorkerAsking)?,
                         approvals: SessionApprovals? = SessionApprovals()) throws -> ToolContext {
        var context = workspace.context()
        context.approval = try ApprovalPolicy([ApprovalRules(ask: ask, deny: deny, origin: "role r")])
        context.asking = asking
        context.sessionApprovals = approvals
        return context
    }

    private let command: JSONValue = ["command": ["npm", "publish"]]

    @Test func aDeniedAnswerRefusesTheCallWithWhoAnsweredAndTheirNote() async throws {
        let workspace = try TestWorkspace()
        defer { workspace.remove() }
        let asker = ScriptedAsker(AskReply(decision: .deny, text: "not today", answeredBy: "parent:w_9"))
        let context = try context(workspace, ask: ["run_command(npm publish *)"], asking: asker)
        guard case .refuse(let output) = try await ToolApproval.check(tool: "run_command", input: command, context: context) else {
            Issue.record("the call was not refused")
            return
        }
        #expect(output.isError && output.text.contains("parent:w_9 answered deny") && output.text.contains("not today"), "\(output.text)")
        #expect(asker.asked == [.permission(tool: "run_command", input: command, rule: "run_command(npm publish *)")])
    }

    @Test func allowAlwaysRunsTheCallAndTheSameCallIsNotAskedAgain() async throws {
        let workspace = try TestWorkspace()
        defer { workspace.remove() }
        let asker = ScriptedAsker(AskReply(decision: .allowAlways, text: nil, answeredBy: "client"))
        let context = try context(workspace, ask: ["run_command"], asking: asker)
        guard case .run = try await ToolApproval.check(tool: "run_command", input: command, context: context) else {
            Issue.record("the call did not run")
            return
        }
        guard case .run = try await ToolApproval.check(tool: "run_command", input: command, context: context) else {
            Issue.record("the call did not run")
            return
        }
        #expect(asker.asked.count == 1)
        // Another call is asked about again.
        _ = try await ToolApproval.check(tool: "run_command", input: ["command": ["npm", "test"]], context: context)
        #expect(asker.asked.count == 2)
    }

    @Test func withNoOneToAskTheCallIsRefusedSayingSo() async throws {
        let workspace = try TestWorkspace()
        defer { workspace.remove() }
        let context = try context(workspace, ask: ["run_command"], asking: nil)
        guard case .refuse(let output) = try await ToolApproval.check(tool: "run_command", input: command, context: context) else {
            Issue.record("the call was not refused")
            return
        }
        #expect(output.text.contains("no one can be asked"), "\(output.text)")
    }

    @Test func aRedirectIsFollowedOnlyWhereTheRulesAllowAFetchOutright() async throws {
        let target = try LoopbackHTTPServer(address: "127.0.0.1") { _ in .init(body: "internal data") }
        defer { target.stop() }
        let front = try LoopbackHTTPServer(address: "127.0.0.2") { _ in
            .init(status: 302, headers: [("Location", "http://127.0.0.1:\(target.port)/internal")])
        }
        defer { front.stop() }
        let workspace = try TestWorkspace()
        defer { workspace.remove() }
        var tool = FetchURLTool(policy: ToolPolicy(), http: .shared)
        tool.isAllowed = { _ in true }

        let denied = await call(tool, ["url": .string("\(front.baseURL)/a")],
                                try context(workspace, deny: ["fetch_url(domain:127.0.0.1)"], asking: nil))
        #expect(denied.isError && denied.text.contains("denied by the deny rule fetch_url(domain:127.0.0.1) of role r"), "\(denied.text)")
        let asked = await call(tool, ["url": .string("\(front.baseURL)/b")],
                               try context(workspace, ask: ["fetch_url(domain:127.0.0.1)"], asking: nil))
        #expect(asked.isError && asked.text.contains("needs a person's approval"), "\(asked.text)")
        #expect(target.requestedPaths.isEmpty)

        // The control: once that URL was allowed for the session, the redirect is followed.
        let approvals = SessionApprovals()
        approvals.allowAlways(ApprovalCall(tool: "fetch_url", input: ["url": .string("http://127.0.0.1:\(target.port)/internal")],
                                           workspaceRoot: workspace.root))
        let followed = await call(tool, ["url": .string("\(front.baseURL)/c")],
                                  try context(workspace, ask: ["fetch_url(domain:127.0.0.1)"], asking: nil, approvals: approvals))
        #expect(!followed.isError && followed.text.contains("internal data"), "\(followed.text)")
        #expect(target.requestedPaths == ["/internal"])
    }
}
