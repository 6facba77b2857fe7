/// What this binary was built from, for `--version` and `initialize`'s `serverInfo.version`.
///
/// The commit is known when `make` built it: `make` writes `BuildCommit.generated.swift` beside
/// this file (ignored by git), an extension that gives `BuildInfo` a `commit` of its own, which
/// Swift prefers to the protocol's default. A plain `swift build`, or a build outside a git
/// checkout, has no such file and keeps the default: nil, and the package version alone.
protocol BuildCommitSource {
    static var commit: String? { get }
}

extension BuildCommitSource {
    static var commit: String? { nil }
}

enum BuildInfo: BuildCommitSource {
    static let packageVersion = "0.1.0"

    /// `0.1.0 (commit 1a2b3c4d5e6f)`, or `0.1.0` when the commit is unknown.
    static var version: String {
        commit.map { "\(packageVersion) (commit \($0))" } ?? packageVersion
    }
}
