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
        let dir = TemporaryDirectory(prefix: "bosun-store-tests")
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

    /// Keys that JSON must escape, and one read with a newline after it: no form of them
    /// reaches the database or its write-ahead log, which the harness leaves on disk.
    @Test(arguments: [
        (#"sk-"quoted"\back\slash-KEYPART1"#, "KEYPART1"),
        ("sk-ant-newline-KEYPART2\n", "KEYPART2"),
        ("  sk/slash/KEYPART3\t\r\n", "KEYPART3"),
    ])
    func keysInEveryEncodingNeverReachTheDatabaseOrTheLog(key: String, marker: String) throws {
        let dir = TemporaryDirectory(prefix: "bosun-store-tests")
        let db = dir.file("trace.sqlite")
        var environment = ProcessInfo.processInfo.environment
        environment["ANTHROPIC_API_KEY"] = key
        let result = try runProcess(BuiltProducts.harness, ["populate", db, "ANTHROPIC_API_KEY", "--keep-wal"],
                                    environment: environment)
        #expect(result.status == 0, "\(result.stderr)")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        #expect(files.contains("trace.sqlite-wal"), "the log must be on disk for this test to see into it")
        var redactions = 0
        for file in files {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: dir.file(file)))
            #expect(!bytes.contains(bytesOf: marker), "part of the key found in \(file)")
            if file.hasSuffix("-wal") { redactions = bytes.count(of: Redactor.replacement) }
        }
        #expect(redactions > 0, "the log holds the redacted writes")
    }

    @Test func storedFormsCoverEscapingAndTrimming() {
        let forms = Redactor.storedForms(of: "a\"b\\c/d\n")
        #expect(forms.isSuperset(of: [#"a"b\c/d"#, #"a\"b\\c/d"#, #"a\"b\\c\/d"#, #"a\\\"b\\\\c/d"#,
                                      #"a\"b\\c/d\n"#, "a\"b\\c/d\n"]))
    }
}

extension Data {
    /// How many times `text` occurs (a plain byte search, overlapping ones counted once).
    func count(of text: String) -> Int {
        let needle = Array(text.utf8), haystack = Array(self)
        var count = 0, start = 0
        while start + needle.count <= haystack.count {
            if haystack[start] == needle[0], Array(haystack[start..<(start + needle.count)]) == needle {
                count += 1
                start += needle.count
            } else {
                start += 1
            }
        }
        return count
    }

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
