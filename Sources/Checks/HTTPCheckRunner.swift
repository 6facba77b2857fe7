import BosunProtocol
import Foundation
import HTTP

/// Fetches a URL (redirects followed) and passes on the expected status (any 2xx unless
/// one is given) and, when asked, on text found in the body. Loopback is allowed: the
/// client wrote the check, not a model.
enum HTTPCheckRunner {
    /// The most of a body read; `contains` is looked for in this much.
    static let maxBodyBytes = 4 << 20
    static let defaultTimeoutSeconds = 30.0

    static func run(_ check: HTTPCheck, context: CheckContext, http: HTTPClient = .shared) async -> CheckOutcome {
        func failed(_ summary: String, _ output: String = "") -> CheckOutcome {
            CheckOutcome(kind: "http", passed: false, summary: summary, output: output)
        }
        guard let url = URL(string: check.url), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
              url.host?.isEmpty == false else {
            return failed("url \"\(check.url)\" is not an http or https URL")
        }
        let timeout = min(check.timeoutSeconds ?? defaultTimeoutSeconds, context.commands.maxTimeoutSeconds)
        let request = HTTPRequest(url: check.url, headers: [HTTPHeader(name: "User-Agent", value: "bosun-check/1")],
                                  connectTimeout: min(10, timeout), idleTimeout: timeout, maxResponseBytes: maxBodyBytes,
                                  followRedirects: true)
        let response: HTTPResponse
        do {
            response = try await http.send(request)
        } catch {
            return failed("GET \(check.url) failed: \(error)")
        }
        let body = String(decoding: response.body, as: UTF8.self)
        let excerpt = OutputExcerpt.bounded(body, limit: context.commands.outputBytes)
        let statusOK = check.expectStatus.map { response.status == $0 } ?? (200..<300).contains(response.status)
        guard statusOK else {
            let expected = check.expectStatus.map(String.init) ?? "a 2xx status"
            return failed("GET \(check.url) answered \(response.status), expected \(expected)", excerpt)
        }
        if let text = check.contains, !body.contains(text) {
            return failed("GET \(check.url) answered \(response.status), but its body does not contain \"\(text)\"", excerpt)
        }
        let found = check.contains.map { ", and its body contains \"\($0)\"" } ?? ""
        return CheckOutcome(kind: "http", passed: true, summary: "GET \(check.url) answered \(response.status)\(found)", output: excerpt)
    }
}
