import BosunJSON
import Foundation
import HTTP
import MockProvider
import Testing
import TestSupport
@testable import Providers

/// Every fault class of the mock, retried or failed as the retry rules say.
@Suite struct FaultHandlingTests {
    private func options(_ specs: String...) throws -> MockProviderOptions {
        MockProviderOptions(faults: try specs.map(FaultSpec.init(parsing:)))
    }

    /// Transient faults injected twice, then a normal reply: three attempts, two retry reports.
    @Test(arguments: [
        ("429:retry-after-ms=30,count=2", [ProviderError.Kind.rateLimited]),
        ("529:count=2", [.overloaded]),
        ("500:count=2", [.server]),
        ("503:count=2", [.server]),
        ("408:count=2", [.timeout]),
        ("409:count=2", [.server]),
        ("reset:count=2", [.connection]),
        // Anthropic sends `overloaded_error`; OpenAI-compatible streams send `server_error`.
        ("midstream-error:count=2", [.overloaded, .server]),
    ])
    func transientFaultsAreRetried(spec: String, kinds: [ProviderError.Kind]) async throws {
        for apiKind in [ProviderKind.anthropic, .openai] {
            for stream in [false, true] {
                try await withMock(try options(spec)) { server, port in
                    let log = ProgressLog()
                    let reply = try await makeModelClient(endpoint(apiKind, port: port))
                        .complete(request(stream: stream)) { log.record($0) }
                    #expect(reply.attempts == 3, "\(spec) \(apiKind) stream=\(stream)")
                    #expect(log.retries.map(\.attempt) == [1, 2])
                    #expect(log.retries.allSatisfy { kinds.contains($0.error.kind) }, "\(spec): \(log.retries.map(\.error))")
                    #expect(server.stats().faultsInjected == 2)
                    #expect(!reply.text.isEmpty)
                }
            }
        }
    }

    @Test func retryAfterSecondsAndDatesAreHonoured() async throws {
        try await withMock(try options("429:retry-after=1,count=1")) { _, port in
            let log = ProgressLog()
            let started = ContinuousClock.now
            _ = try await makeModelClient(endpoint(.anthropic, port: port)).complete(request(stream: true)) { log.record($0) }
            #expect(log.retries.map(\.delay) == [1])
            #expect(ContinuousClock.now - started >= .milliseconds(950))
        }
        try await withMock(try options("503:retry-after-date=2,count=1")) { _, port in
            let log = ProgressLog()
            _ = try await makeModelClient(endpoint(.openai, port: port)).complete(request(stream: false)) { log.record($0) }
            let delay = try #require(log.retries.first?.delay)
            #expect(delay > 0 && delay <= 2.001)
        }
    }

    /// Permanent failures: one attempt, the status, type and request id carried in the error.
    @Test(arguments: [
        ("400", ProviderError.Kind.invalidRequest, 400),
        ("401", .authentication, 401),
        ("403", .permission, 403),
        ("404", .notFound, 404),
        ("413", .tooLarge, 413),
        ("429:type=insufficient_quota,message=You exceeded your current quota", .spendLimit, 429),
        ("500:should-retry=false", .server, 500),
        ("400:should-retry=true", .invalidRequest, 400),
    ])
    func permanentFaultsFailAtOnce(spec: String, kind: ProviderError.Kind, status: Int) async throws {
        for apiKind in [ProviderKind.anthropic, .openai] {
            try await withMock(try options(spec)) { server, port in
                let error = try await #require(throws: ProviderError.self) {
                    try await makeModelClient(endpoint(apiKind, port: port)).complete(request(stream: true), progress: nil)
                }
                #expect(error.kind == kind, "\(spec) \(apiKind)")
                #expect(error.status == status)
                #expect(error.type != nil)
                #expect(error.requestId?.hasPrefix("req_") == true)
                #expect(error.provider == "mock-\(apiKind.rawValue)")
                #expect(!error.retryable)
                #expect(server.stats().requests == 1)
            }
        }
    }

    @Test func malformedStreamsFailWithoutRetry() async throws {
        for apiKind in [ProviderKind.anthropic, .openai] {
            for stream in [true, false] {
                try await withMock(try options("malformed-sse")) { server, port in
                    let error = try await #require(throws: ProviderError.self) {
                        try await makeModelClient(endpoint(apiKind, port: port)).complete(request(stream: stream), progress: nil)
                    }
                    #expect(error.kind == .malformedResponse, "\(apiKind) stream=\(stream): \(error)")
                    #expect(server.stats().requests == 1)
                }
            }
        }
    }

    /// A stall trips the endpoint's idle timeout; the retry then succeeds. The mock's stall
    /// never ends by itself (only when the client closes the connection or the server stops),
    /// so the call coming back at all means the client gave up on it; the retried error says
    /// which timeout did: the loop's idle check with the endpoint's 1 s, not libcurl's
    /// low-speed backup or another limit. How soon after the 1 s it fires is for bench/.
    /// The time limit only keeps a build whose idle timeout never fires from hanging.
    @Test(.timeLimit(.minutes(1))) func stallsTimeOutAndAreRetried() async throws {
        try await withMock(try options("stall:count=1")) { server, port in
            let log = ProgressLog()
            let reply = try await makeModelClient(endpoint(.anthropic, port: port, idleTimeout: 1))
                .complete(request(stream: true)) { log.record($0) }
            #expect(reply.attempts == 2)
            #expect(server.stats().faultsInjected == 1)
            let retried = try #require(log.retries.first).error
            #expect(retried.kind == .timeout)
            #expect(retried.message.contains("no data for 1.0 s, the idle timeout"), "\(retried.message)")
            // The stalled reply ended because the client closed its connection, not because the server stopped.
            #expect(try await waitUntil { server.stats().activeResponses == 0 }, "the mock is still stalling after the retry succeeded")
        }
    }

    /// A provider that always fails is given up on within the policy's total bound: no retry
    /// starts that would end past it. The proof is the delays the client chose and reported,
    /// and why it says it stopped; how long the call took is the host's speed, not the policy's.
    @Test func totalRetryTimeIsBounded() async throws {
        try await withMock(try options("500")) { server, port in
            // Without the bound, 100 attempts would wait about 15 s in all.
            let policy = RetryPolicy(maxAttempts: 100, baseDelay: 0.1, maxDelay: 0.2, maxTotalSeconds: 1)
            let log = ProgressLog()
            let error = try await #require(throws: ProviderError.self) {
                try await makeModelClient(endpoint(.openai, port: port, retry: policy)).complete(request(stream: false)) { log.record($0) }
            }
            #expect(error.kind == .server)
            // It stopped at the time bound, not at the attempt cap.
            #expect(error.message.contains("would pass the 1 s retry limit"), "\(error.message)")
            let delays = log.retries.map(\.delay)
            // It retried (how many times fit is the host's speed), and every attempt but the
            // last was followed by a reported wait.
            #expect(!delays.isEmpty)
            #expect(server.stats().requests == delays.count + 1)
            // The waits it chose fit in the bound, attempts aside: a retry whose wait would
            // end past it was never started.
            #expect(delays.reduce(0, +) <= policy.maxTotalSeconds, "\(delays)")
        }
        // A retry-after past the bound gives up at once instead of sleeping past it: no wait
        // is announced (the client sleeps only after announcing one) and no second attempt made.
        try await withMock(try options("429:retry-after=30")) { server, port in
            let policy = RetryPolicy(maxAttempts: 5, maxTotalSeconds: 5)
            let log = ProgressLog()
            let error = try await #require(throws: ProviderError.self) {
                try await makeModelClient(endpoint(.anthropic, port: port, retry: policy)).complete(request(stream: true)) { log.record($0) }
            }
            #expect(error.kind == .rateLimited)
            #expect(error.message.contains("retrying in 30.0 s would pass the 5 s retry limit"), "\(error.message)")
            #expect(log.retries.isEmpty)
            #expect(server.stats().requests == 1)
        }
        // maxAttempts caps the attempts.
        try await withMock(try options("529")) { server, port in
            _ = await #expect(throws: ProviderError.self) {
                try await makeModelClient(endpoint(.anthropic, port: port)).complete(request(stream: false), progress: nil)
            }
            #expect(server.stats().requests == fastRetry.maxAttempts)
        }
    }

    @Test func connectionRefusedIsAConnectionError() async throws {
        let server = MockProviderServer()
        let port = try await server.start()
        await server.stop()
        let error = try await #require(throws: ProviderError.self) {
            try await makeModelClient(endpoint(.anthropic, port: port, retry: .none)).complete(request(stream: true), progress: nil)
        }
        #expect(error.kind == .connection)
        #expect(error.retryable)
    }

    @Test func retryAfterHeaderParsing() {
        let now = Date(timeIntervalSince1970: 1_000_000)
        #expect(ProviderErrorClassifier.retryAfter([HTTPHeader(name: "Retry-After-Ms", value: "250")]) == 0.25)
        #expect(ProviderErrorClassifier.retryAfter([HTTPHeader(name: "retry-after", value: "3")]) == 3)
        #expect(ProviderErrorClassifier.retryAfter([HTTPHeader(name: "retry-after", value: "1.5")]) == 1.5)
        #expect(ProviderErrorClassifier.retryAfter([HTTPHeader(name: "retry-after", value: "Mon, 12 Jan 1970 13:46:50 GMT")],
                                                  now: now) == 10)
        #expect(ProviderErrorClassifier.retryAfter([HTTPHeader(name: "retry-after", value: "soon")]) == nil)
        #expect(ProviderErrorClassifier.retryAfter([]) == nil)
    }
}
