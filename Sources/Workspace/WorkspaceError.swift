/// A refusal or failure the caller can act on ("path escapes the workspace", "invalid glob
/// pattern"). Tools show its message to the model as an error result; checks report it as a
/// failed outcome. It never means bosun itself is broken.
public struct WorkspaceError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
