import Foundation
import Testing
import TestSupport
@testable import TraceStore

@Suite struct RedactionTests {
    static let key = "sk-ant-api03-TESTKEY-9f8e7d6c5b4a"
    let redactor = Redactor(secrets: [key, "", "abc"])

    @Test(arguments: [
        ("plain \(key) text", "plain [REDACTED] text"),
        ("\(key)\(key)", "[REDACTED][REDACTED]"),
        ("Authorization: Bearer abc.def\r\nHost: x", "Authorization: [REDACTED]\r\nHost: x"),
        (#"{"authorization":"Bearer zzz","other":1}"#, #"{"authorization":"[REDACTED]","other":1}"#),
        (#"{"X-Api-Key": "k-123"}"#, #"{"X-Api-Key": "[REDACTED]"}"#),
        (#"{"note":"{\"x-api-key\":\"k-123\"}"}"#, #"{"note":"{\"x-api-key\":\"[REDACTED]\"}"}"#),
        (#"{"headers":{"authorization":["Bearer q"]}}"#, #"{"headers":{"authorization":["[REDACTED]"]}}"#),
        ("OPENAI_API_KEY=sk-live-1 next", "OPENAI_API_KEY=[REDACTED] next"),
        ("curl -H 'x-api-key: k-9 9' url", "curl -H 'x-api-key: [REDACTED]' url"),
        (#"{"authorization":null}"#, #"{"authorization":null}"#),
        (#"{"apiKeyEnv":"ANTHROPIC_API_KEY"}"#, #"{"apiKeyEnv":"ANTHROPIC_API_KEY"}"#),
        ("the authorization failed", "the authorization failed"),
        ("short abc stays", "short abc stays"),
        ("Authorization: [REDACTED]", "Authorization: [REDACTED]"),
        ("naïve ünïcode ✓ \(key)", "naïve ünïcode ✓ [REDACTED]"),
    ])
    func redacts(input: String, expected: String) {
        #expect(redactor.redact(input) == expected)
        #expect(redactor.redact(redactor.redact(input)) == expected)
    }

    /// A run with a known key in the environment, written by a separate process through the
    /// store; the key must appear nowhere in the database files.
    @Test func keyInTheEnvironmentNeverReachesTheFile() throws {
        let dir = TemporaryDirectory()
        let db = dir.file("trace.sqlite")
        var environment = ProcessInfo.processInfo.environment
        environment["ANTHROPIC_API_KEY"] = Self.key
        let result = try runProcess(BuiltProducts.harness, ["populate", db, "ANTHROPIC_API_KEY"], environment: environment)
        #expect(result.status == 0, "\(result.stderr)")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        #expect(files.contains("trace.sqlite"))
        var scanned = 0
        for file in files {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: dir.file(file)))
            scanned += bytes.count
            #expect(!bytes.contains(bytesOf: Self.key), "key found in \(file)")
            #expect(!bytes.contains(bytesOf: "TESTKEY"), "part of the key found in \(file)")
        }
        #expect(scanned > 0)
        // The run did write the places the key was offered, and closing folded the WAL into
        // the main file: the redaction marker is there.
        #expect(try Data(contentsOf: URL(fileURLWithPath: db)).contains(bytesOf: "[REDACTED]"))
        #expect(!files.contains("trace.sqlite-wal"))
    }
}

extension Data {
    /// A plain byte search, so the test does not rest on the library under suspicion.
    func contains(bytesOf text: String) -> Bool {
        let needle = Array(text.utf8), haystack = Array(self)
        guard needle.count <= haystack.count else { return false }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if Array(haystack[start..<(start + needle.count)]) == needle { return true }
        }
        return false
    }
}
