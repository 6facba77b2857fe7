import ArgumentParser
import Config
import Foundation

/// `bosun config check --explain CALL`: what each role's approval rules decide for one call,
/// and which rule (or default) decided.
struct ApprovalExplanation {
    let config: BosunConfig
    let workspaceRoot: String
    /// Only these roles; every role when empty.
    let roles: [String]

    func print(_ text: String) throws {
        let call: ApprovalCall
        do {
            call = try ApprovalCall(parsing: text, workspaceRoot: workspaceRoot)
        } catch {
            FileHandle.standardError.write(Data("error: --explain \(text): \(error.message)\n".utf8))
            throw ExitCode(2)
        }
        if let unknown = roles.first(where: { config.roles[$0] == nil }) {
            FileHandle.standardError.write(Data("error: --role: \(ConfigError.unknownRole(unknown, known: Array(config.roles.keys)).message)\n".utf8))
            throw ExitCode(2)
        }
        Swift.print("\(call.text) in \(workspaceRoot):")
        for name in (roles.isEmpty ? config.roles.keys.sorted() : roles) {
            guard let role = config.roles[name] else { continue }
            Swift.print("  \(name): \(line(for: call, role: role))")
        }
    }

    private func line(for call: ApprovalCall, role: RoleConfig) -> String {
        let offered = role.tools.contains(call.tool) || role.offersMCPTool(call.tool)
            || (["spawn_worker", "await_workers"].contains(call.tool) && role.permissions.spawn)
        let note = offered ? "" : " (the role does not offer \(call.tool), so its workers cannot call it at all)"
        guard !role.approval.isEmpty, let policy = try? ApprovalPolicy([role.approval]) else {
            return "allow: no approval rules; the role's tools and permissions decide\(note)"
        }
        let verdict = policy.decide(call)
        return "\(verdict.decision.rawValue): \(verdict.explanation)\(note)"
    }
}
