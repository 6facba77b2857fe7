import BosunProtocol
import Checks
import Foundation
import Testing
import TestSupport
import Workspace

/// A worker (or a cloned repository) plants a program in the repository's git config; the
/// git-sync check runs git on it as the user. Each case plants a command that would create a
/// marker file and asserts the marker never appears while the check still answers right.
@Suite struct GitSyncPlantedConfigTests {
    /// A bare remote and a clone of it with one commit pushed, `main` tracking `origin/main`.
    struct Repositories {
        let dir: TemporaryDirectory
        var clone: String { dir.path + "/clone" }
        var remote: String { dir.path + "/remote.git" }
        var marker: String { dir.path + "/PLANTED-PROGRAM-RAN" }
        /// A shell command that leaves the marker behind.
        var plant: String { "touch \(marker)" }

        init() throws {
            dir = TemporaryDirectory()
            try git("init", "--quiet", "--bare", "-b", "main", remote)
            try git("clone", "--quiet", remote, clone)
            try git("-C", clone, "checkout", "--quiet", "-B", "main")
            try dir.write("clone/a.txt", "a\n")
            try git("-C", clone, "add", "a.txt")
            try git("-C", clone, "commit", "--quiet", "-m", "a")
            try git("-C", clone, "push", "--quiet", "-u", "origin", "main")
        }

        func git(_ args: String...) throws {
            let identity = ["-c", "user.name=bosun-test", "-c", "user.email=test@example.com"]
            let result = try runProcess("/usr/bin/env", ["git"] + identity + args)
            try #require(result.status == 0, "git \(args): \(result.stderr)")
        }

        func set(_ key: String, _ value: String) throws { try git("-C", clone, "config", key, value) }

        func check(clean: Bool = true) async -> CheckOutcome {
            await CheckRunner.run(.gitSync(GitSyncCheck(clean: clean)), context: CheckRunnerTests.context(clone))
        }

        var markerExists: Bool { FileManager.default.fileExists(atPath: marker) }
    }

    @Test func uploadPackOfTheRemoteIsNotRun() async throws {
        let repos = try Repositories()
        defer { repos.dir.remove() }
        try repos.set("remote.origin.uploadpack", "\(repos.plant); git-upload-pack")
        let outcome = await repos.check()
        #expect(outcome.passed, "\(outcome)")
        #expect(!repos.markerExists)
    }

    @Test func aCleanFilterNamedByGitAttributesIsNotRun() async throws {
        let repos = try Repositories()
        defer { repos.dir.remove() }
        try repos.dir.write("clone/.gitattributes", "*.txt filter=planted\n")
        try repos.git("-C", repos.clone, "add", ".gitattributes")
        try repos.git("-C", repos.clone, "commit", "--quiet", "-m", "attributes")
        try repos.git("-C", repos.clone, "push", "--quiet", "origin", "main")
        try repos.set("filter.planted.clean", "\(repos.plant); cat")
        try repos.set("filter.planted.process", repos.plant)
        // A new modification time makes status hash the file again, through the filter.
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: 60)],
                                              ofItemAtPath: repos.clone + "/a.txt")
        let unchanged = await repos.check()
        #expect(unchanged.passed, "\(unchanged)")
        try repos.dir.write("clone/a.txt", "edited\n")
        let edited = await repos.check()
        #expect(!edited.passed && edited.summary.contains("uncommitted"), "\(edited)")
        #expect(!repos.markerExists)
    }

    @Test func sshCommandIsNotRun() async throws {
        let repos = try Repositories()
        defer { repos.dir.remove() }
        // Port 1 on loopback refuses at once: the fetch fails, whichever ssh runs.
        try repos.set("remote.origin.url", "ssh://git@127.0.0.1:1/repo.git")
        try repos.set("core.sshCommand", "\(repos.plant); ssh")
        let outcome = await repos.check()
        #expect(!outcome.passed && outcome.summary.contains("git fetch"), "\(outcome)")
        #expect(!repos.markerExists)
    }

    @Test func anExtRemoteIsRefused() async throws {
        let repos = try Repositories()
        defer { repos.dir.remove() }
        try repos.set("remote.origin.url", "ext::sh -c \(repos.plant.replacingOccurrences(of: " ", with: "% "))")
        try repos.set("protocol.ext.allow", "always")
        let outcome = await repos.check()
        #expect(!outcome.passed && outcome.output.contains("not allowed"), "\(outcome)")
        #expect(!repos.markerExists)
    }

    @Test func anIncludedFileCannotNameAProgramEither() async throws {
        let repos = try Repositories()
        defer { repos.dir.remove() }
        let planted = try repos.dir.write("planted.cfg", """
            [remote "origin"]
            \tuploadpack = \(repos.plant); git-upload-pack
            [core]
            \tfsmonitor = \(repos.plant)
            """)
        try repos.set("include.path", planted)
        let outcome = await repos.check()
        #expect(outcome.passed, "\(outcome)")
        #expect(!repos.markerExists)
    }

    @Test func fsmonitorIsNotRun() async throws {
        let repos = try Repositories()
        defer { repos.dir.remove() }
        try repos.set("core.fsmonitor", repos.plant)
        let outcome = await repos.check()
        #expect(outcome.passed, "\(outcome)")
        #expect(!repos.markerExists)
    }

    @Test func hooksAreNotRun() async throws {
        let repos = try Repositories()
        defer { repos.dir.remove() }
        let hooks = repos.dir.path + "/hooks"
        for hook in ["reference-transaction", "post-index-change", "pre-auto-gc", "post-checkout"] {
            let path = try repos.dir.write("hooks/\(hook)", "#!/bin/sh\n\(repos.plant)\n")
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        }
        try repos.set("core.hooksPath", hooks)
        // A commit on the remote makes the fetch update a ref: a reference transaction.
        try repos.git("clone", "--quiet", repos.remote, repos.dir.path + "/other")
        try repos.dir.write("other/b.txt", "b\n")
        try repos.git("-C", repos.dir.path + "/other", "add", "b.txt")
        try repos.git("-C", repos.dir.path + "/other", "commit", "--quiet", "-m", "b")
        try repos.git("-C", repos.dir.path + "/other", "-c", "core.hooksPath=/dev/null", "push", "--quiet", "origin", "main")
        let outcome = await repos.check()
        #expect(!outcome.passed && outcome.summary.contains("1 behind"), "\(outcome)")
        #expect(!repos.markerExists)
    }
}
