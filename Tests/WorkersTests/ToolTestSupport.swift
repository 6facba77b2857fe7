import BosunJSON
import Config
import Foundation
import Testing
@testable import Workers
import Workspace

/// A temporary workspace (a real directory, symlinks resolved) with helpers to fill it.
struct TestWorkspace {
    let root: String

    init() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("bosun-ws-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        root = try WorkspacePath.realPath(base) ?? base
    }

    @discardableResult
    func write(_ relative: String, _ text: String) throws -> String {
        let path = "\(root)/\(relative)"
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func symlink(_ relative: String, to destination: String) throws {
        let path = "\(root)/\(relative)"
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: destination)
    }

    func read(_ relative: String) -> String? { try? String(contentsOfFile: "\(root)/\(relative)", encoding: .utf8) }

    func context(worker: String = "w_1", session: String = "s_1", permissions: ToolPermissions = ToolPermissions()) -> ToolContext {
        ToolContext(sessionId: session, workerId: worker, workspaceRoot: root, permissions: permissions)
    }

    func remove() { try? FileManager.default.removeItem(atPath: root) }
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
