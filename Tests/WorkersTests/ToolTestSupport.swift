import BosunJSON
import Config
import Foundation
import Testing
import TestSupport
@testable import Workers
import Workspace

/// A temporary workspace (a real directory, symlinks resolved) with helpers to fill it.
struct TestWorkspace {
    let directory = TemporaryDirectory(prefix: "bosun-ws")
    var root: String { directory.path }

    init() throws {}

    @discardableResult
    func write(_ relative: String, _ text: String) throws -> String { try directory.write(relative, text) }

    func symlink(_ relative: String, to destination: String) throws {
        let path = "\(root)/\(relative)"
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: destination)
    }

    func read(_ relative: String) -> String? { try? String(contentsOfFile: "\(root)/\(relative)", encoding: .utf8) }

    func context(worker: String = "w_1", session: String = "s_1", permissions: ToolPermissions = ToolPermissions()) -> ToolContext {
        ToolContext(sessionId: session, workerId: worker, workspaceRoot: root, permissions: permissions)
    }

    func remove() { directory.remove() }
}

/// Runs a tool and returns its output, turning a thrown ToolError or WorkspaceError into an error output as the worker loop does.
func call(_ tool: any WorkerTool, _ input: JSONValue, _ context: ToolContext) async -> ToolOutput {
    do {
        return try await tool.run(input, context: context)
    } catch let error as ToolError {
        return ToolOutput(text: error.message, isError: true)
    } catch let error as WorkspaceError {
        return ToolOutput(text: error.message, isError: true)
    } catch {
        return ToolOutput(text: "unexpected \(type(of: error)): \(error)", isError: true)
    }
}
