import Foundation
import MockProvider
import Testing
import TestSupport
@testable import HTTP

/// The libcurl client itself against a real loopback server: options that `fetch_url` relies
/// on, limits, streams, cancellation.
@Suite(.serialized) struct HTTPClientTests {
    @Test func resolvePinsDecideTheAddress() async throws {
        try await withMock { _, port in
            let pinned = HTTPRequest(url: "http://pinned.bosun.invalid:\(port)/health",
                                     resolve: ["pinned.bosun.invalid:\(port):127.0.0.1"])
            let response = try await HTTPClient.shared.send(pinned)
            #expect(response.status == 200)
            #expect(response.primaryIP == "127.0.0.1")
            #expect(String(decoding: response.body, as: UTF8.self) == "bosun mock-provider\n")
            let unpinned = HTTPRequest(url: "http://pinned.bosun.invalid:\(port)/health", connectTimeout: 5)
            let error = try await #require(throws: HTTPClientError.self) { try await HTTPClient.shared.send(unpinned) }
            guard case .connectFailed = error else { Issue.record("expected connectFailed, got \(error)"); return }
        }
    }

    @Test func redirectsAreNotFollowedUnlessAsked() async throws {
        try await withMock { _, port in
            let target = "http://127.0.0.1:\(port)/health"
            let url = "http://127.0.0.1:\(port)/redirect?to=\(target.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)"
            let unfollowed = try await HTTPClient.shared.send(HTTPRequest(url: url))
            #expect(unfollowed.status == 302)
            #expect(unfollowed.header("LOCATION") == target)
            let followed = try await HTTPClient.shared.send(HTTPRequest(url: url, followRedirects: true))
            #expect(followed.status == 200)
            #expect(String(decoding: followed.body, as: UTF8.self) == "bosun mock-provider\n")
        }
    }

    @Test func responseSizeIsCapped() async throws {
        try await withMock { _, port in
            let small = try await HTTPClient.shared.send(HTTPRequest(url: "http://127.0.0.1:\(port)/bytes/1000", maxResponseBytes: 1000))
            #expect(small.body.count == 1000)
            let error = try await #require(throws: HTTPClientError.self) {
                try await HTTPClient.shared.send(HTTPRequest(url: "http://127.0.0.1:\(port)/bytes/300000", maxResponseBytes: 100_000))
            }
            #expect(error == .responseTooLarge(limit: 100_000))
        }
    }

    @Test func badURLsAreInvalidRequests() async throws {
        for url in ["not a url", "file:///etc/passwd", "ftp://127.0.0.1/"] {
            await #expect(throws: HTTPClientError.self, "\(url)") { try await HTTPClient.shared.send(HTTPRequest(url: url)) }
        }
    }

    /// The AsyncThrowingStream flavour: events as they come, errors in the head's body, cancellation.
    @Test func streamDeliversEventsAndErrorBodies() async throws {
        try await withMock(MockProviderOptions(faults: [try FaultSpec(parsing: "429:model=limited")])) { server, port in
            func post(_ model: String) -> HTTPRequest {
                HTTPRequest(method: "POST", url: "http://127.0.0.1:\(port)/v1/messages",
                            body: Data(#"{"model":"\#(model)","max_tokens":5,"stream":true,"messages":[{"role":"user","content":"hi"}]}"#.utf8))
            }
            let (head, events) = try await HTTPClient.shared.stream(post("m"))
            #expect(head.status == 200 && head.errorBody == nil)
            #expect(head.headers.value(for: "Content-Type")?.hasPrefix("text/event-stream") == true)
            var names: [String] = []
            for try await event in events { names.append(event.event ?? "") }
            #expect(names.first == "message_start" && names.last == "message_stop")
            #expect(names.filter { $0 == "content_block_delta" }.count == 20)

            let (limited, none) = try await HTTPClient.shared.stream(post("limited"))
            #expect(limited.status == 429)
            #expect(String(decoding: limited.errorBody ?? Data(), as: UTF8.self).contains("rate_limit_error"))
            var count = 0
            for try await _ in none { count += 1 }
            #expect(count == 0)
        }
        try await withMock(MockProviderOptions(tokensPerSecond: 20, syntheticTextTokens: 1000)) { server, port in
            let request = HTTPRequest(method: "POST", url: "http://127.0.0.1:\(port)/v1/chat/completions",
                                      body: Data(#"{"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]}"#.utf8))
            let task = Task {
                let (_, events) = try await HTTPClient.shared.stream(request)
                for try await _ in events {}
            }
            let started = ContinuousClock.now
            try await waitUntil(timeout: .seconds(5), pace: .milliseconds(2)) { server.stats().activeResponses > 0 }
            task.cancel()
            try await waitUntil(timeout: .seconds(5), pace: .milliseconds(2)) { server.stats().activeResponses == 0 }
            #expect(server.stats().activeResponses == 0)
            #expect(ContinuousClock.now - started < .seconds(5))
        }
    }

    @Test func pinsAreCheckedAndBracketed() throws {
        #expect(try CurlTransfer.connectTo("example.com:443:93.184.216.34") == "example.com:443:93.184.216.34:443")
        #expect(try CurlTransfer.connectTo("example.com:443:2606:2800::1") == "example.com:443:[2606:2800::1]:443")
        #expect(try CurlTransfer.connectTo("example.com:80:[::1],10.0.0.1") == "example.com:80:[::1]:80")
        #expect(throws: HTTPClientError.self) { try CurlTransfer.connectTo("example.com:443") }
        #expect(throws: HTTPClientError.self) { try CurlTransfer.connectTo("example.com:https:1.2.3.4") }
    }
}
