/// Approval rules a `spawn` or an `orchestrate` adds for the workers it starts, on top of
/// their roles' (`approval` in the params). They can only narrow: each set of rules decides
/// on its own and the strictest decision wins. Patterns are those of a role's `approval:`
/// (`run_command(npm test *)`, `write_file(src/**)`, `fetch_url(domain:docs.rs)`,
/// `mcp__github__*`); `default` is what a call no pattern matches gets (`allow`, `ask` or
/// `deny`; default `allow`, which leaves it to the other rules and the role's permissions).
public struct ApprovalParams: Codable, Sendable, Hashable {
    public var allow: [String]?
    public var ask: [String]?
    public var deny: [String]?
    public var `default`: String?

    public init(allow: [String]? = nil, ask: [String]? = nil, deny: [String]? = nil, default: String? = nil) {
        self.allow = allow
        self.ask = ask
        self.deny = deny
        self.default = `default`
    }
}
