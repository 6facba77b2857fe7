import Foundation
import Testing
@testable import Providers

/// `bosun mock-provider` as users run it: the real binary in a child process.
@Suite(.serialized) struct MockProviderCommandTests {
    /// The built `bosun`, next to the test bundle (or `$BOSUN_BINARY`).
    static var binary: String {
        if let explicit = ProcessInfo.processInfo.environment["BOSUN_BINARY"] { return explicit }
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [bundle, bundle.deletingLastPathComponent()] {
            let path = candidate.appendingPathComponent("bosun").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return bundle.appendingPathComponent("bosun").path
    }

    private func launch(_ arguments: [String]) throws -> (Process, Pipe, Pipe) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["mock-provider"] + arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        return (process, out, err)
    }

    private func firstLine(_ pipe: Pipe) -> String {
        var line = Data()
        while true {
            let byte = pipe.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty || byte == Data("\n".utf8) { break }
            line.append(byte)
        }
        return String(decoding: line, as: UTF8.self)
    }

    @Test func printsItsPortFirstServesAndStopsOnSIGTERM() async throws {
        let (process, out, _) = try launch(["--port", "0", "--fault", "500:count=1", "--tool-steps", "0"])
        let port = try #require(Int(firstLine(out)))
        let reply = try await makeModelClient(endpoint(.openai, port: port))
            .complete(request(stream: true, tools: [submitResultTool]), progress: nil)
        #expect(reply.attempts == 2)
        #expect(reply.toolUses.first?.name == "submit_result")
        process.terminate()
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 0)
    }

    @Test(arguments: [
        (["--fault", "explode"], "unknown fault kind"),
        (["--script", "/nonexistent/mock.yaml"], "cannot read script"),
        (["--port", "70000"], "--port"),
        (["--tokens-per-second", "0"], "--tokens-per-second"),
    ])
    func badOptionsExitWithAClearMessage(arguments: [String], message: String) throws {
        let (process, _, err) = try launch(arguments)
        process.waitUntilExit()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus != 0)
        #expect(stderr.contains(message), "\(stderr)")
    }
}
