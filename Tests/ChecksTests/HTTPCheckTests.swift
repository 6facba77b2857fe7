import BosunProtocol
import Checks
import Foundation
import MockProvider
import Testing

/// The `http` check against a real loopback server (the mock provider's plain routes).
@Suite struct HTTPCheckTests {
    @Test func statusBodyAndRedirectsAreCheckedAndLoopbackIsAllowed() async throws {
        let server = MockProviderServer()
        let port = try await server.start()
        defer { Task { await server.stop() } }
        let base = "http://127.0.0.1:\(port)"
        let context = CheckRunnerTests.context("/")
        func run(_ check: HTTPCheck) async -> CheckOutcome { await CheckRunner.run(.http(check), context: context) }

        let ok = await run(HTTPCheck(url: base + "/bytes/5", contains: "xxxxx"))
        #expect(ok.passed && ok.kind == "http" && ok.summary.contains("answered 200"), "\(ok)")
        let target = base + "/bytes/3"
        let redirected = await run(HTTPCheck(url: base + "/redirect?to=" + target.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!))
        #expect(redirected.passed, "\(redirected)")

        let missing = await run(HTTPCheck(url: base + "/no-such-page"))
        #expect(!missing.passed && missing.summary.contains("answered 404, expected a 2xx status"), "\(missing)")
        let expected404 = await run(HTTPCheck(url: base + "/no-such-page", expectStatus: 404))
        #expect(expected404.passed, "\(expected404)")
        let wrongText = await run(HTTPCheck(url: base + "/bytes/5", contains: "deployed"))
        #expect(!wrongText.passed && wrongText.summary.contains("does not contain \"deployed\""), "\(wrongText)")

        await server.stop()
        let down = await run(HTTPCheck(url: base + "/bytes/5", timeoutSeconds: 5))
        #expect(!down.passed && down.summary.hasPrefix("GET \(base)/bytes/5 failed"), "\(down)")
        let notHTTP = await run(HTTPCheck(url: "file:///etc/passwd"))
        #expect(!notHTTP.passed && notHTTP.summary.contains("is not an http or https URL"), "\(notHTTP)")
    }

    @Test func theWireFormDecodesAndUnknownKindsNameTheNewOne() throws {
        let check = try JSONDecoder().decode(Check.self, from: Data(#"{"kind":"http","url":"http://127.0.0.1:1/","expectStatus":204,"contains":"ok"}"#.utf8))
        #expect(check == .http(HTTPCheck(url: "http://127.0.0.1:1/", expectStatus: 204, contains: "ok")))
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Check.self, from: Data(#"{"kind":"http"}"#.utf8)) }
        do {
            _ = try JSONDecoder().decode(Check.self, from: Data(#"{"kind":"ping"}"#.utf8))
            Issue.record("an unknown kind decoded")
        } catch {
            #expect("\(error)".contains("git-sync and http"))
        }
    }
}
