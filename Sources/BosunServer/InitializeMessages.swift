import BosunJSON
import BosunProtocol
import Foundation
import JSONRPC

/// `initialize` params: LSP's, plus bosun's `initializationOptions`.
struct InitializeParams: Decodable, Sendable {
    struct ClientInfo: Decodable, Sendable {
        var name: String
        var version: String?
    }

    struct WorkspaceFolder: Decodable, Sendable {
        var uri: String
        var name: String?
    }

    struct Options: Decodable, Sendable {
        /// Resume this session id.
        var session: String?
        var maxConcurrentWorkers: Int?
        var events: String?
        /// Also send server log lines at this level or above as `window/logMessage`.
        var logLevel: String?
    }

    var processId: Int32?
    var clientInfo: ClientInfo?
    var capabilities: JSONValue?
    var rootUri: String?
    var rootPath: String?
    var workspaceFolders: [WorkspaceFolder]?
    var initializationOptions: Options?

    static let logLevelChoices = ["error", "warning", "info", "debug", "trace"]
    static let maxConcurrentWorkersLimit = 1000

    /// `initializationOptions.events`, checked: which worker events the client wants.
    func eventDelivery() throws(RPCError) -> EventDelivery {
        let events = initializationOptions?.events ?? "all"
        guard let delivery = EventDelivery(rawValue: events) else {
            throw .invalidParams(
                "initializationOptions.events must be \"all\", \"terminal\" or \"none\", got \"\(events)\"",
                field: "initializationOptions.events")
        }
        return delivery
    }

    /// Checks what types alone cannot and builds the session request.
    func sessionOpenRequest(defaultRoot: String, events: @escaping SessionEventSink) throws(RPCError) -> SessionOpenRequest {
        let options = initializationOptions
        if let cap = options?.maxConcurrentWorkers, !(1...Self.maxConcurrentWorkersLimit).contains(cap) {
            throw .invalidParams(
                "initializationOptions.maxConcurrentWorkers must be between 1 and \(Self.maxConcurrentWorkersLimit), got \(cap)",
                field: "initializationOptions.maxConcurrentWorkers")
        }
        if let level = options?.logLevel, !Self.logLevelChoices.contains(level) {
            throw .invalidParams(
                "initializationOptions.logLevel must be one of \(Self.logLevelChoices.joined(separator: ", ")), got \"\(level)\"",
                field: "initializationOptions.logLevel")
        }
        if let session = options?.session, session.isEmpty {
            throw .invalidParams(
                "initializationOptions.session must be a session id like s_…; leave it out to start a new session",
                field: "initializationOptions.session")
        }
        return SessionOpenRequest(
            workspaceRoot: try workspaceRoot(default: defaultRoot), resumeSessionId: options?.session,
            maxConcurrentWorkers: options?.maxConcurrentWorkers, workerEvents: try eventDelivery(), events: events)
    }

    /// `rootUri`, else the first workspace folder, else `rootPath`, else `defaultRoot`;
    /// it must be an existing directory.
    private func workspaceRoot(default defaultRoot: String) throws(RPCError) -> String {
        let path: String
        let field: String
        if let uri = rootUri {
            (path, field) = (try Self.path(fromFileURI: uri, field: "rootUri"), "rootUri")
        } else if let folder = workspaceFolders?.first {
            (path, field) = (try Self.path(fromFileURI: folder.uri, field: "workspaceFolders[0].uri"), "workspaceFolders[0].uri")
        } else if let rootPath {
            (path, field) = (rootPath, "rootPath")
        } else {
            return defaultRoot
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .invalidParams("""
                the workspace root \(path) is not an existing directory: name one that exists in \(field), or leave \
                it out for the server's --workspace (its working directory by default)
                """, field: field)
        }
        return path
    }

    static func path(fromFileURI uri: String, field: String) throws(RPCError) -> String {
        guard let url = URL(string: uri), url.isFileURL, !url.path.isEmpty else {
            throw .invalidParams("\(field) must be a file:// URI, got \"\(uri)\"", field: field)
        }
        return url.path
    }
}

/// `initialize`'s result.
struct InitializeResult: Encodable, Sendable {
    struct ServerInfo: Encodable, Sendable {
        var name: String
        var version: String
    }

    struct Capabilities: Encodable, Sendable {
        /// The protocol this server speaks.
        var `protocol` = "bosun/1"
        /// Every request method answered now, the session's included.
        var methods: [String]
        /// Notifications the server may send.
        var notifications = [BosunNotification.workerEvent, BosunNotification.progress, "window/logMessage",
                             "bosun/notificationsDropped"]
        /// Requests the server may send: `worker/ask` to a client that declared `capabilities.bosun.asks`.
        var serverRequests = [ClientAsks.workerAsk.method]
        var batches = true
        var cancellation = true
    }

    var serverInfo: ServerInfo
    var capabilities: Capabilities
    var session: SessionInfo
}
