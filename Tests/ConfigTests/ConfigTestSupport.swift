import Config
import Foundation
import TestSupport

/// A throwaway directory tree for config tests: a workspace and an XDG config home.
struct ConfigSandbox {
    private let directory = TemporaryDirectory(prefix: "bosun-config")
    var root: String { directory.path }
    var workspace: String { "\(root)/ws" }
    var xdg: String { "\(root)/xdg" }

    init() throws {
        try FileManager.default.createDirectory(atPath: workspace, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: xdg, withIntermediateDirectories: true)
    }

    /// Writes `text` at `relative` under the sandbox root, creating directories; returns the absolute path.
    @discardableResult
    func write(_ relative: String, _ text: String) throws -> String { try directory.write(relative, text) }

    var environment: [String: String] { ["XDG_CONFIG_HOME": xdg, "HOME": "\(root)/home"] }

    /// Trusts the workspace's config and role files as they are now (`bosun trust`).
    func trustWorkspace() throws {
        try WorkspaceTrust.trust(try WorkspaceConfigFiles.read(root: workspace), environment: environment)
    }

    func remove() { directory.remove() }
}
