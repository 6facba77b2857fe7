import Foundation
import Testing
import TraceStore

/// What leaves the process loses every known key, in the forms JSON text gives it, and
/// nothing else: a worker's own `api_key=` text is its business.
@Suite struct KnownSecretsTests {
    @Test func knownKeysAreRedactedInJSONTextAndNothingElseChanges() throws {
        let secrets = KnownSecrets()
        let untouched = Data(#"{"text":"sk-live\"quoted/123"}"#.utf8)
        #expect(secrets.redact(untouched) == untouched, "no key known yet")
        secrets.add(["sk-live\"quoted/123"])
        secrets.add(["sk-live\"quoted/123"])
        let json = try JSONEncoder().encode(["message": "bad key sk-live\"quoted/123, api_key=mine"])
        let redacted = String(decoding: secrets.redact(json), as: UTF8.self)
        #expect(redacted == #"{"message":"bad key [REDACTED], api_key=mine"}"#, "\(redacted)")
        #expect(secrets.redact("key sk-live\"quoted/123 here") == "key [REDACTED] here")
    }
}
