/// What approval rules say of a call, from the most permissive to the strictest.
public enum ApprovalDecision: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    /// Run it, as far as the role's permissions let it.
    case allow
    /// Ask a person (the parent worker, the coordinator or the client) first.
    case ask
    /// Refuse it; the worker gets an error tool result naming the rule.
    case deny

    private var strictness: Int { self == .allow ? 0 : self == .ask ? 1 : 2 }
    public static func < (a: Self, b: Self) -> Bool { a.strictness < b.strictness }
}

/// One set of approval rules: a role's `approval:`, or the narrowing a `spawn`, an
/// `orchestrate` or a parent worker adds. Patterns are kept as written (they are stored
/// with a worker and parsed when it runs); `validated()` parses them.
public struct ApprovalRules: Sendable, Hashable, Codable {
    public var allow: [String]
    public var ask: [String]
    public var deny: [String]
    /// What a call that matches none of the patterns gets (the `default` key): `allow`
    /// leaves it to the role's permissions, as without rules.
    public var otherwise: ApprovalDecision
    /// Where the rules come from, for explanations: `role coder`, `spawn params`, `orchestration o_…`, `spawn_worker of w_…`.
    public var origin: String

    enum CodingKeys: String, CodingKey {
        case allow, ask, deny, otherwise = "default", origin
    }

    public init(allow: [String] = [], ask: [String] = [], deny: [String] = [], otherwise: ApprovalDecision = .allow,
                origin: String) {
        self.allow = allow
        self.ask = ask
        self.deny = deny
        self.otherwise = otherwise
        self.origin = origin
    }

    /// No pattern and the permissive default: these rules change nothing.
    public var isEmpty: Bool { allow.isEmpty && ask.isEmpty && deny.isEmpty && otherwise == .allow }

    /// The lists in order of precedence: deny, then ask, then allow.
    public var byPrecedence: [(decision: ApprovalDecision, patterns: [String])] {
        [(.deny, deny), (.ask, ask), (.allow, allow)]
    }

    /// A problem with one pattern: which list, which item, and what is wrong.
    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        /// `deny[0]`.
        public var field: String
        public var pattern: String
        public var error: ApprovalRuleError
        public var description: String { "\(field) \"\(pattern)\": \(error.message)" }
    }

    /// The rules parsed, or the first pattern that cannot be.
    func parsed() throws(Problem) -> [(decision: ApprovalDecision, rules: [ApprovalRule])] {
        var lists: [(ApprovalDecision, [ApprovalRule])] = []
        for (decision, patterns) in byPrecedence {
            var rules: [ApprovalRule] = []
            for (index, pattern) in patterns.enumerated() {
                do {
                    rules.append(try ApprovalRule(pattern))
                } catch {
                    throw Problem(field: "\(decision.rawValue)[\(index)]", pattern: pattern, error: error)
                }
            }
            lists.append((decision, rules))
        }
        return lists
    }

    /// Checks every pattern; the problem names the first that cannot be used.
    public func validate() throws(Problem) { _ = try parsed() }
}

/// What the rules decided for one call, and why.
public struct ApprovalVerdict: Sendable, Hashable {
    public var decision: ApprovalDecision
    /// The pattern that decided; nil when none matched and a default decided.
    public var rule: String?
    /// Whose rules decided (`role coder`, `spawn params`, …).
    public var origin: String

    /// `deny rule run_command(rm *) of role cleaner`, or `default of role cleaner (ask: no rule matched)`.
    public var explanation: String {
        if let rule { return "\(decision.rawValue) rule \(rule) of \(origin)" }
        return "default of \(origin) (\(decision.rawValue): no rule matched)"
    }
}

/// Every set of rules that applies to a worker: its role's, and each narrowing its
/// ancestors and its spawn added. Each set decides on its own (deny over ask over allow,
/// then its default) and the strictest decision wins, so a set added on top can narrow
/// what the others allow but never widen it.
public struct ApprovalPolicy: Sendable {
    public let sets: [ApprovalRules]
    private let parsed: [[(decision: ApprovalDecision, rules: [ApprovalRule])]]

    public init(_ sets: [ApprovalRules]) throws(ApprovalRules.Problem) {
        let kept = sets.filter { !$0.isEmpty }
        var parsed: [[(decision: ApprovalDecision, rules: [ApprovalRule])]] = []
        for set in kept { parsed.append(try set.parsed()) }
        self.sets = kept
        self.parsed = parsed
    }

    /// No rules: every call is left to the role's permissions.
    public static let none = try! ApprovalPolicy([])

    public var isEmpty: Bool { sets.isEmpty }

    /// The decision for `call`: in each set the first list (deny, ask, allow) with a
    /// matching pattern, else its default; of those, the strictest, and among equals the
    /// one a pattern decided, the outermost first.
    public func decide(_ call: ApprovalCall) -> ApprovalVerdict {
        var verdict = ApprovalVerdict(decision: .allow, rule: nil, origin: "no approval rules")
        var decided = false
        for (set, lists) in zip(sets, parsed) {
            let own = Self.decide(call, set: set, lists: lists)
            if !decided || own.decision > verdict.decision || (own.decision == verdict.decision && verdict.rule == nil && own.rule != nil) {
                verdict = own
                decided = true
            }
        }
        return verdict
    }

    private static func decide(_ call: ApprovalCall, set: ApprovalRules,
                               lists: [(decision: ApprovalDecision, rules: [ApprovalRule])]) -> ApprovalVerdict {
        for (decision, rules) in lists {
            if let rule = rules.first(where: { $0.matches(call, anyForm: decision != .allow) }) {
                return ApprovalVerdict(decision: decision, rule: rule.text, origin: set.origin)
            }
        }
        let decision = defaultExempt.contains(call.tool) ? .allow : set.otherwise
        return ApprovalVerdict(decision: decision, rule: nil, origin: set.origin)
    }

    /// Tools a set's `default` does not apply to, only its patterns: asking a person is never
    /// itself asked about, and waiting for one's own children changes nothing.
    static let defaultExempt: Set<String> = ["ask", "await_workers"]
}
