import Foundation

/// What a role lets its workers do beyond reading.
public struct ToolPermissions: Sendable, Hashable, Codable {
    public var write: Bool
    public var exec: Bool
    public var spawn: Bool

    public init(write: Bool = false, exec: Bool = false, spawn: Bool = false) {
        self.write = write
        self.exec = exec
        self.spawn = spawn
    }
}
