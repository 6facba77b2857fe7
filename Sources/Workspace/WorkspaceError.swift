/// A refusal or failure the caller can act on ("path escapes the workspace", "invalid glob
/// pattern"). Tools show its message to the model as an error result; checks report it as a
/// failed outcome. It never means bosun itself is broken.
public struct WorkspaceError: Error, Sendable, CustomStringConvertible {
    public var message: String
    /// The request field the refusal is about, when it is one (`paths`).
    public var field: String?
    public init(_ message: String, field: String? = nil) {
        self.message = message
        self.field = field
    }
    public var description: String { message }
}
