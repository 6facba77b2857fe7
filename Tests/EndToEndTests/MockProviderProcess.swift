import BosunJSON
import Foundation

/// The built `bosun` binary, as `BosunProcess` finds it.
enum BosunBinary {
    static var path: String { (try? BosunProcess.binaryURL().path) ?? "bosun" }
}

/// `bosun mock-provider` in a child process, on a free loopback port.
final class MockProviderProcess: Sendable {
    let port: Int
    private let process: Process

    init(arguments: [String]) throws {
        let process = Process()
        process.executableURL = try BosunProcess.binaryURL()
        process.arguments = ["mock-provider", "--port", "0"] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line = Data()
        while true {
            let byte = output.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty || byte == Data("\n".utf8) { break }
            line.append(byte)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespaces)) else {
            process.terminate()
            throw ProcessFailure("the mock provider printed \(String(decoding: line, as: UTF8.self)) instead of its port")
        }
        self.port = port
        self.process = process
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }
}

struct ProcessFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

