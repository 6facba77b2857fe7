import Foundation
import HTTP

/// Builds a reply from a provider's SSE events, one event at a time. Runs on the HTTP
/// thread, so `progress` callbacks it makes arrive there too.
protocol StreamAccumulator {
    /// Takes one event; throws `AttemptFailure` for error events or unparseable data.
    mutating func consume(_ event: SSEEvent) throws
    /// The reply, once the stream ended; throws if it ended before the provider said it was done.
    func finish() throws -> ModelReply
}

/// Holds a stream's accumulator while libcurl's thread feeds it.
///
/// `@unchecked Sendable`: `requestId` is set and `consume` runs only on the HTTP thread, one
/// call at a time, while the transfer lives; `finish` runs in the awaiting task after `streamEvents` returned,
/// which orders it after every `consume`.
final class AccumulatorBox: @unchecked Sendable {
    var accumulator: any StreamAccumulator
    /// From the 2xx head, set before the first event.
    var requestId: String?

    init(_ accumulator: any StreamAccumulator) {
        self.accumulator = accumulator
    }
}

/// One model call as HTTP attempts under a retry policy: the part both API clients share.
struct ProviderCall {
    var endpoint: ProviderEndpoint
    var http: HTTPClient
    var progress: (@Sendable (ModelCallProgress) -> Void)?

    /// Runs attempts until one succeeds, one fails for good, or the policy's bounds are hit.
    func run(_ request: HTTPRequest, streaming: Bool,
             decodeWhole: (Data, _ requestId: String?) throws -> ModelReply,
             makeAccumulator: () -> any StreamAccumulator) async throws -> ModelReply {
        let policy = endpoint.retry
        let started = ContinuousClock.now
        var attempt = 1
        while true {
            do {
                var reply = streaming
                    ? try await attemptStream(request, makeAccumulator: makeAccumulator)
                    : try await attemptWhole(request, decode: decodeWhole)
                reply.attempts = attempt
                return reply
            } catch let failure as AttemptFailure {
                try Task.checkCancellation()
                let elapsed = (ContinuousClock.now - started).seconds
                let delay = failure.retryAfter ?? policy.backoff(afterAttempt: attempt, jitter: Double.random(in: 0...1))
                guard failure.error.retryable else { throw failure.error }
                guard attempt < policy.maxAttempts else {
                    throw annotated(failure.error, "gave up after \(attempt) attempts")
                }
                guard elapsed + delay <= policy.maxTotalSeconds else {
                    throw annotated(failure.error, String(format: "gave up after %d attempts: retrying in %.1f s would pass the %.0f s retry limit",
                                                          attempt, delay, policy.maxTotalSeconds))
                }
                progress?(.retrying(attempt: attempt, delay: delay, error: failure.error))
                try await Task.sleep(for: .seconds(delay))
                attempt += 1
            }
        }
    }

    private func annotated(_ error: ProviderError, _ note: String) -> ProviderError {
        var error = error
        error.message += " (\(note))"
        return error
    }

    private func attemptWhole(_ request: HTTPRequest, decode: (Data, String?) throws -> ModelReply) async throws -> ModelReply {
        let response: HTTPResponse
        do {
            response = try await http.send(request)
        } catch let error as HTTPClientError {
            throw ProviderErrorClassifier.transport(error, provider: endpoint.name)
        }
        let requestId = Self.requestId(response.headers)
        guard (200...299).contains(response.status) else {
            throw ProviderErrorClassifier.classify(status: response.status, body: response.body, headers: response.headers,
                                                   provider: endpoint.name)
        }
        return try decode(response.body, requestId)
    }

    private func attemptStream(_ request: HTTPRequest, makeAccumulator: () -> any StreamAccumulator) async throws -> ModelReply {
        let box = AccumulatorBox(makeAccumulator())
        let head: HTTPResponseHead
        do {
            head = try await http.streamEvents(request) { head in
                box.requestId = Self.requestId(head.headers)
            } onEvent: { event in
                try box.accumulator.consume(event)
            }
        } catch let error as HTTPClientError {
            throw ProviderErrorClassifier.transport(error, provider: endpoint.name)
        } catch var failure as AttemptFailure {
            failure.error.requestId = failure.error.requestId ?? box.requestId
            throw failure
        }
        let requestId = Self.requestId(head.headers)
        if let body = head.errorBody {
            throw ProviderErrorClassifier.classify(status: head.status, body: body, headers: head.headers, provider: endpoint.name)
        }
        do {
            var reply = try box.accumulator.finish()
            reply.requestId = requestId
            return reply
        } catch var failure as AttemptFailure {
            failure.error.requestId = failure.error.requestId ?? requestId
            throw failure
        }
    }

    static func requestId(_ headers: [HTTPHeader]) -> String? {
        headers.value(for: "request-id") ?? headers.value(for: "x-request-id")
    }

    /// Decodes a provider JSON document, turning a failure into a non-retryable malformed-response error.
    static func decode<T: WireObject>(_ type: T.Type, from data: Data, what: String, provider: String,
                                      requestId: String?) throws -> T {
        do {
            return try T.decode(data)
        } catch {
            throw ProviderErrorClassifier.malformed("\(what) is not valid JSON of the expected shape (\(error)): "
                                                        + String(decoding: data.prefix(200), as: UTF8.self),
                                                    provider: provider, requestId: requestId)
        }
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
