import Config
import Foundation

/// A throwaway directory tree for config tests: a workspace and an XDG config home.
struct ConfigSandbox {
    let root: String
    var workspace: String { "\(root)/ws" }
    var xdg: String { "\(root)/xdg" }

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("bosun-config-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: "\(root)/ws", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: "\(root)/xdg", withIntermediateDirectories: true)
    }

    /// Writes `text` at `relative` under the sandbox root, creating directories; returns the absolute path.
    @discardableResult
    func write(_ relative: String, _ text: String) throws -> String {
        let path = "\(root)/\(relative)"
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    var environment: [String: String] { ["XDG_CONFIG_HOME": xdg, "HOME": "\(root)/home"] }

    /// Trusts the workspace's config and role files as they are now (`bosun trust`).
    func trustWorkspace() throws {
        try WorkspaceTrust.trust(try WorkspaceConfigFiles.read(root: workspace), environment: environment)
    }

    func remove() { try? FileManager.default.removeItem(atPath: root) }
}
