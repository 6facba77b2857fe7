import Foundation

/// A fresh directory under the system's temporary directory, named by its real path (every
/// symlink resolved, as the workspace code compares real paths). Remove it when done.
public struct TemporaryDirectory: Sendable {
    public let path: String

    public init(prefix: String = "bosun-test", in parent: String = FileManager.default.temporaryDirectory.path) throws {
        let base = "\(parent)/\(prefix)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        path = URL(fileURLWithPath: base).resolvingSymlinksInPath().path
    }

    /// Writes `text` at `relative`, creating the directories above it; returns its path.
    @discardableResult
    public func write(_ relative: String, _ text: String) throws -> String {
        let file = "\(path)/\(relative)"
        try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    public func remove() { try? FileManager.default.removeItem(atPath: path) }
}
