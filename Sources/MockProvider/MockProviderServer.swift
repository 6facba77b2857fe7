import BosunJSON
import Foundation
import Synchronization

/// A fake model provider on loopback that speaks Anthropic Messages (`POST /v1/messages`)
/// and OpenAI Chat Completions (`POST /v1/chat/completions`), streaming and not, with
/// scripted or synthetic replies and injected faults. See docs/providers.md.
public final class MockProviderServer: Sendable {
    public let options: MockProviderOptions
    private let planner: MockReplyPlanner
    private let state = Mutex(State())
    private let listener = Mutex<LoopbackListener?>(nil)

    private struct State {
        var requests = 0
        var modelCalls = 0
        var activeResponses = 0
        var faultsInjected = 0
        /// Uses of each global fault (by position) and of each rule's fault (by rule index).
        var globalFaultHits: [Int: Int] = [:]
        var ruleFaultHits: [Int: Int] = [:]
        var ruleUses: [Int: Int] = [:]
        var recent: [MockRecordedRequest] = []
        /// The pacing of the latest replies, with their call numbers.
        var paced: [(call: Int, reply: MockPacedReply)] = []
        /// Prompt prefixes seen, as a provider's prompt cache keeps them (never expiring here).
        var cachedPrefixes: Set<Int> = []
        /// Requests a `hold` rule keeps waiting now, and how many releases there were: a
        /// request held before the latest release goes on.
        var held = 0
        var releases = 0
        var stopping = false
    }

    /// How many requests `recordedRequests()` keeps.
    static let recordedLimit = 200

    public init(options: MockProviderOptions = MockProviderOptions()) {
        self.options = options
        planner = MockReplyPlanner(options: options)
    }

    /// Binds and starts serving; returns the bound port.
    @discardableResult
    public func start() async throws -> Int {
        let listener = try LoopbackListener(host: options.host, port: options.port)
        self.listener.withLock { $0 = listener }
        listener.start { [self] connection in serve(connection) }
        return listener.port
    }

    /// Stops accepting, ends stalls, and closes every connection.
    public func stop() async {
        state.withLock { $0.stopping = true }
        listener.withLock { $0 }?.stop()
    }

    public var port: Int? { listener.withLock { $0?.port } }

    public func stats() -> MockProviderStats {
        let (open, accepted) = listener.withLock { ($0?.openConnections ?? 0, $0?.acceptedConnections ?? 0) }
        return state.withLock {
            MockProviderStats(requests: $0.requests, activeResponses: $0.activeResponses, openConnections: open,
                              acceptedConnections: accepted, faultsInjected: $0.faultsInjected)
        }
    }

    /// The most recent requests, oldest first (up to 200).
    public func recordedRequests() -> [MockRecordedRequest] { state.withLock { $0.recent } }

    /// The pauses the latest model replies took as their plans asked, oldest first (up to 200).
    public func pacedReplies() -> [MockPacedReply] { state.withLock { $0.paced.map(\.reply) } }

    /// How many requests a `hold` rule keeps waiting now (`GET /holds`).
    public func heldRequests() -> Int { state.withLock { $0.held } }

    /// Lets every request held now go on (`POST /holds/release`); returns how many. Requests
    /// a `hold` rule matches later wait for the next release.
    @discardableResult
    public func releaseHeld() -> Int {
        state.withLock { state in
            defer { state.held = 0 }
            state.releases += 1
            return state.held
        }
    }

    // MARK: Serving (one thread per connection)

    private func serve(_ connection: LoopbackConnection) {
        while true {
            let request: MockHTTPRequest
            do {
                request = try connection.readRequest()
            } catch ConnectionReadError.malformed(let reason) {
                _ = connection.respond(status: 400, contentType: "text/plain", body: Data("bad request: \(reason)\n".utf8), keepAlive: false)
                return
            } catch ConnectionReadError.tooLarge {
                _ = connection.respond(status: 413, contentType: "text/plain", body: Data("request too large\n".utf8), keepAlive: false)
                return
            } catch {
                return
            }
            record(request)
            guard handle(request, on: connection) else { return }
        }
    }

    private func record(_ request: MockHTTPRequest) {
        let headers = Dictionary(request.headers.map { ($0.name.lowercased(), $0.value) }, uniquingKeysWith: { _, last in last })
        state.withLock {
            $0.requests += 1
            $0.recent.append(MockRecordedRequest(path: request.path, headers: headers, body: request.body))
            if $0.recent.count > Self.recordedLimit { $0.recent.removeFirst($0.recent.count - Self.recordedLimit) }
        }
    }

    /// Returns whether the connection can serve another request.
    private func handle(_ request: MockHTTPRequest, on connection: LoopbackConnection) -> Bool {
        let path = request.path.split(separator: "?").first.map(String.init) ?? request.path
        let api: MockAPI
        switch (request.method, path) {
        case ("POST", "/v1/messages"): api = .anthropic
        case ("POST", "/v1/chat/completions"), ("POST", "/chat/completions"): api = .openai
        case ("GET", "/health"), ("GET", "/"):
            return connection.respond(status: 200, contentType: "text/plain", body: Data("bosun mock-provider\n".utf8),
                                      keepAlive: request.keepAlive)
        case ("GET", _) where path.hasPrefix("/bytes/") || path == "/redirect":
            return MockHelperRoutes.respond(to: request, path: path, on: connection)
        case ("GET", "/holds"):
            let body: JSONValue = ["held": .int(Int64(heldRequests()))]
            return connection.respond(status: 200, contentType: "application/json", body: body.jsonData(), keepAlive: request.keepAlive)
        case ("POST", "/holds/release"):
            let body: JSONValue = ["released": .int(Int64(releaseHeld()))]
            return connection.respond(status: 200, contentType: "application/json", body: body.jsonData(), keepAlive: request.keepAlive)
        default:
            let body: JSONValue = ["type": "error", "error": ["type": "not_found_error",
                                                              "message": .string("no route \(request.method) \(path); use POST /v1/messages or POST /v1/chat/completions")]]
            return connection.respond(status: 404, contentType: "application/json", body: body.jsonData(), keepAlive: request.keepAlive)
        }
        let modelRequest: MockModelRequest
        do {
            modelRequest = try MockModelRequest(api: api, body: request.body)
        } catch {
            let body: JSONValue = ["type": "error", "error": ["type": "invalid_request_error", "message": .string("\(error)")]]
            return connection.respond(status: 400, contentType: "application/json", body: body.jsonData(), keepAlive: request.keepAlive)
        }
        let (plan, callNumber) = decide(modelRequest)
        state.withLock {
            $0.paced.append((callNumber, MockPacedReply(model: modelRequest.facts.model, pauses: [])))
            if $0.paced.count > Self.recordedLimit { $0.paced.removeFirst($0.paced.count - Self.recordedLimit) }
        }
        state.withLock { $0.activeResponses += 1 }
        defer { state.withLock { $0.activeResponses -= 1 } }
        if plan.hold, !hold(while: connection) { return false }
        let wire = MockWireFormat(api: api, model: modelRequest.facts.model, messageId: "msg_mock_\(callNumber)")
        let writer = MockResponseWriter(connection: connection, wire: wire, plan: plan, request: modelRequest,
                                        keepAlive: request.keepAlive, isStopping: { [self] in state.withLock { $0.stopping } },
                                        notePause: { [self] seconds in
                                            state.withLock { state in
                                                guard let at = state.paced.lastIndex(where: { $0.call == callNumber }) else { return }
                                                state.paced[at].reply.pauses.append(seconds)
                                            }
                                        })
        return writer.write()
    }

    /// Keeps a request waiting until the next release; false when the client went away or
    /// the server stopped first.
    private func hold(while connection: LoopbackConnection) -> Bool {
        let release = state.withLock { state in
            state.held += 1
            return state.releases + 1
        }
        while true {
            let (released, stopping) = state.withLock { ($0.releases >= release, $0.stopping) }
            if released { return true }
            // Paces the checks of the release, and sees a client that closed the connection.
            if stopping || !connection.waitWhileConnected(0.01) {
                return state.withLock { state in
                    if state.releases >= release { return true }
                    state.held -= 1
                    return false
                }
            }
        }
    }

    /// Picks the rule and the fault under the lock, so counts hold under concurrency.
    private func decide(_ request: MockModelRequest) -> (MockReplyPlan, Int) {
        state.withLock { state in
            state.modelCalls += 1
            let callNumber = state.modelCalls
            var rule: MockRule?
            for candidate in options.script?.rules ?? [] where candidate.matches(request.facts) {
                if let times = candidate.times, state.ruleUses[candidate.index, default: 0] >= times { continue }
                state.ruleUses[candidate.index, default: 0] += 1
                rule = candidate
                break
            }
            var plan = planner.plan(for: request, rule: rule, callNumber: callNumber)
            if let fault = plan.fault, let rule, !Self.fires(fault, hits: &state.ruleFaultHits[rule.index, default: 0]) {
                plan.fault = nil
            }
            for (position, fault) in options.faults.enumerated() where fault.model == nil || fault.model == request.facts.model {
                if Self.fires(fault, hits: &state.globalFaultHits[position, default: 0]) {
                    plan.fault = fault
                    break
                }
            }
            if plan.fault != nil { state.faultsInjected += 1 }
            if plan.fault == nil { Self.applyPromptCache(request, to: &plan, cached: &state.cachedPrefixes) }
            return (plan, callNumber)
        }
    }

    /// Splits the request's input into tokens read from the cache (the longest prefix up to
    /// the last breakpoint that was kept before), written to it (the rest up to that
    /// breakpoint, where the API bills writes) and uncached, as the real APIs report them;
    /// then keeps the breakpoints' prefixes.
    private static func applyPromptCache(_ request: MockModelRequest, to plan: inout MockReplyPlan, cached: inout Set<Int>) {
        let prefixes = request.cachePrefixes
        guard let end = prefixes.lastIndex(where: \.breakpoint) else { return }
        let last = prefixes[end]
        let read = prefixes[...end].last { cached.contains($0.key) }?.tokens ?? 0
        let written = request.billsCacheWrites ? max(0, last.tokens - read) : 0
        let total = max(plan.inputTokens, last.tokens)
        plan.cacheReadTokens = read
        plan.cacheWriteTokens = written
        plan.inputTokens = max(1, total - read - written)
        for prefix in prefixes where prefix.breakpoint { cached.insert(prefix.key) }
    }

    /// Whether a fault applies to this request, counting it if it does.
    private static func fires(_ fault: FaultSpec, hits: inout Int) -> Bool {
        if let count = fault.count, hits >= count { return false }
        if let probability = fault.probability, Double.random(in: 0..<1) >= probability { return false }
        hits += 1
        return true
    }
}
