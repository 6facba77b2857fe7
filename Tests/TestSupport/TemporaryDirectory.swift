import Foundation

/// A fresh directory under the system's temporary directory (or `parent`), named by its real
/// path (every symlink resolved, as the workspace code compares real paths). It is removed
/// with everything in it by `remove()`, or when the last reference to it goes: keep the
/// value, not only its path, for as long as the directory is used (a suite keeps it as a
/// property, and each test gets its own).
public final class TemporaryDirectory: Sendable {
    public let path: String

    /// Stops the test run if the directory cannot be made: no test can go on without it.
    public init(prefix: String = "bosun-test", in parent: String = FileManager.default.temporaryDirectory.path) {
        let base = "\(parent)/\(prefix)-\(UUID().uuidString)"
        do {
            try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        } catch {
            fatalError("cannot make a temporary directory at \(base): \(error)")
        }
        path = URL(fileURLWithPath: base).resolvingSymlinksInPath().path
    }

    deinit { remove() }

    /// The path of `relative` inside it.
    public func file(_ relative: String) -> String { "\(path)/\(relative)" }

    /// Writes `text` at `relative`, creating the directories above it; returns its path.
    @discardableResult
    public func write(_ relative: String, _ text: String) throws -> String {
        let file = file(relative)
        try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    public func remove() { try? FileManager.default.removeItem(atPath: path) }
}
