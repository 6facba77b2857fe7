import BosunJSON
import JSONRPC

/// The protocols bosun speaks on stdio. The first `initialize` picks one for the connection
/// (or `bosun serve --mode` fixes it).
public enum FrontEndKind: String, Sendable, Hashable, CaseIterable {
    /// bosun/1: LSP's lifecycle and bosun's methods (protocol/README.md).
    case bosun
    /// The Model Context Protocol: bosun as a tool server for other agents.
    case mcp
    /// The Agent Client Protocol's agent mode: bosun as an editor's agent (`ACPServer`).
    case acp

    /// What an `initialize` asks for: a string `protocolVersion` (`"2025-11-25"`) is MCP, an
    /// integer one is ACP, anything else (LSP's params) is bosun/1.
    public static func requested(by initializeParams: JSONValue) -> FrontEndKind {
        switch initializeParams["protocolVersion"] {
        case .string?: return .mcp
        case .int?: return .acp
        default: return .bosun
        }
    }

    /// How a client selects it, for messages that point there.
    var howToSelect: String {
        switch self {
        case .bosun: return "bosun/1 (initialize without protocolVersion)"
        case .mcp: return "MCP (initialize with a string protocolVersion such as \"2025-11-25\")"
        case .acp: return "ACP agent mode (initialize with an integer protocolVersion)"
        }
    }
}

/// A protocol bosun speaks once `initialize` chose it. It opens the session through the
/// composition root's `SessionOpener`, maps `BosunOperations` to its own methods, and maps
/// the session's events to its own notifications. A new front end is a type conforming to
/// this in its own module, handed to `BosunServer` by the executable.
public protocol FrontEnd: Sendable {
    /// Answers `initialize` (its raw params): opens the session and registers the
    /// protocol's methods on `connection.registry` before returning the result.
    func initialize(_ params: JSONValue, on connection: FrontEndConnection) async throws -> EncodedJSON
    /// Called once when the connection ends, whether or not `initialize` succeeded: closes
    /// the session it opened.
    func close() async
    /// Called when the connection is ending, before the requests still running are
    /// cancelled: tells its sessions (`SessionHandle.willClose`).
    func willStop() async
    /// For a protocol with no `initialize` (stateless MCP 2026-07-28): called before the first
    /// request, which is one of `statelessMethods`; registers the protocol's methods.
    func startWithoutInitialize(on connection: FrontEndConnection) async throws
    /// The methods that may open a connection without `initialize`; empty for none.
    var statelessMethods: Set<String> { get }
}

extension FrontEnd {
    public func willStop() async {}
    public func startWithoutInitialize(on connection: FrontEndConnection) async throws {}
    public var statelessMethods: Set<String> { [] }
}

/// What a front end gets to work with when `initialize` chose it.
public struct FrontEndConnection: Sendable {
    /// Where it registers its methods; `capabilities.methods` can list them when it answers.
    public let registry: MethodRegistry
    /// The connection itself: `notifier` queues notifications in order with the answers.
    public let connection: JSONRPCConnection
    /// Where server log lines can be sent to the client.
    public let logForwarder: ClientLogForwarder
    /// `serve`'s settings: the version, the default workspace root.
    public let options: ServerOptions
    /// Ends the server (e.g. when the client process is gone).
    public let terminate: @Sendable (Int32) -> Void

    public var notifier: any ClientNotifier { connection.notifier }
}
