import BosunJSON
import Foundation
import Providers
import Workers

/// One tool of an MCP server as a worker sees it. A call goes through the session's pool
/// (which starts the server again if it died); its result becomes text the model reads, and
/// the trace keeps the server, the tool, the protocol version, the duration and the size.
struct MCPWorkerTool: WorkerTool {
    let spec: ToolSpec
    let server: String
    let tool: String
    let pool: MCPServerPool

    func run(_ input: JSONValue, context: ToolContext) async throws -> ToolOutput {
        let started = ContinuousClock.now
        let arguments: JSONValue = input.isNull ? [:] : input
        var trace: [String: JSONValue] = ["server": .string(server), "tool": .string(tool)]
        do {
            let (result, version) = try await pool.call(server: server, tool: tool, arguments: arguments)
            let rendered = MCPResultText.render(result, maxBytes: await pool.maxResultBytes)
            trace["protocolVersion"] = .string(version)
            trace["durationMs"] = .double(Self.milliseconds(since: started))
            trace["bytes"] = .int(Int64(rendered.bytes))
            return ToolOutput(text: rendered.text, isError: rendered.isError, trace: ["mcp": .object(trace)])
        } catch let error as MCPClientError {
            trace["durationMs"] = .double(Self.milliseconds(since: started))
            trace["error"] = .string(error.description)
            return ToolOutput(text: error.description, isError: true, trace: ["mcp": .object(trace)])
        }
    }

    static func milliseconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return (Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15).rounded(toPlaces: 3)
    }
}

extension Double {
    fileprivate func rounded(toPlaces places: Int) -> Double {
        let scale = pow(10, Double(places))
        return (self * scale).rounded() / scale
    }
}
