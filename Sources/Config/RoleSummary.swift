import Foundation

/// One role as the `roles` JSON-RPC method and `bosun roles` list it.
public struct RoleSummary: Codable, Sendable, Hashable {
    public struct Limits: Codable, Sendable, Hashable {
        public var timeoutSeconds: Double
        public var maxSteps: Int
        public var maxTokens: Int
        public var maxCostUSD: Double
    }

    public var name: String
    public var description: String
    /// The alias or tier the role names.
    public var model: String
    public var tools: [String]
    public var permissions: ToolPermissions
    public var limits: Limits
    public var source: String
    /// The role's approval rules as written (`default` only when it is not allow); nil when it has none.
    public var approval: Approval?

    public struct Approval: Codable, Sendable, Hashable {
        public var allow: [String]?
        public var ask: [String]?
        public var deny: [String]?
        public var `default`: String?
    }

    public init(_ role: RoleConfig) {
        name = role.name
        description = role.description
        model = role.model
        tools = role.tools
        permissions = role.permissions
        limits = Limits(timeoutSeconds: role.timeoutSeconds, maxSteps: role.maxSteps, maxTokens: role.maxTokens,
                        maxCostUSD: role.maxCostUSD)
        source = role.source
        let rules = role.approval
        approval = rules.isEmpty ? nil : Approval(allow: rules.allow.isEmpty ? nil : rules.allow, ask: rules.ask.isEmpty ? nil : rules.ask,
                                                  deny: rules.deny.isEmpty ? nil : rules.deny,
                                                  default: rules.otherwise == .allow ? nil : rules.otherwise.rawValue)
    }
}
