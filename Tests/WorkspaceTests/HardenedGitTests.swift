import Testing
@testable import Workspace

/// What `HardenedGit` overrides, from a config listing: the repository's program-naming keys
/// go back to the user's own values, and the user's credential helpers survive.
@Suite struct HardenedGitTests {
    @Test func theUsersOwnCredentialHelpersSurviveARepositorysOwn() {
        typealias Entry = HardenedGit.ConfigEntry
        let entries = [
            Entry(scope: "global", key: "credential.helper", value: "store"),
            Entry(scope: "system", key: "credential.https://example.com.helper", value: "!corp-helper"),
            Entry(scope: "local", key: "credential.https://example.com.helper", value: "!planted"),
            Entry(scope: "local", key: "core.sshcommand", value: "planted"),
            Entry(scope: "global", key: "core.sshcommand", value: "ssh -i ~/.ssh/work"),
            Entry(scope: "local", key: "remote.origin.url", value: "https://example.com/r.git"),
        ]
        let overrides = HardenedGit.neutralizing(entries).map { "\($0.0)=\($0.1)" }
        #expect(overrides == ["core.sshcommand=ssh -i ~/.ssh/work", "credential.helper=",
                              "credential.helper=store", "credential.https://example.com.helper=!corp-helper"])
    }

    @Test func theListingIsReadAsScopeKeyAndValue() {
        let entries = HardenedGit.ConfigEntry.parse("local\0core.sshcommand\ntouch x; ssh\nmore\0global\0filter.a.required\0")
        #expect(entries.map(\.scope) == ["local", "global"])
        #expect(entries.map(\.key) == ["core.sshcommand", "filter.a.required"])
        #expect(entries.map(\.value) == ["touch x; ssh\nmore", ""])
        #expect(HardenedGit.ConfigEntry.parse("").isEmpty)
    }

    @Test func aRepositorysPackProgramIsReplacedOnTheCommandLine() {
        let planted = [HardenedGit.ConfigEntry(scope: "local", key: "remote.origin.uploadpack", value: "touch x; git-upload-pack")]
        #expect(HardenedGit.withPackPrograms(["fetch", "--quiet", "origin"], planted)
            == ["fetch", "--upload-pack=git-upload-pack", "--quiet", "origin"])
        #expect(HardenedGit.withPackPrograms(["status"], planted) == ["status"])
        let usersOwn = [HardenedGit.ConfigEntry(scope: "global", key: "remote.origin.uploadpack", value: "git-upload-pack")]
        #expect(HardenedGit.withPackPrograms(["fetch", "origin"], usersOwn) == ["fetch", "origin"])
    }
}
