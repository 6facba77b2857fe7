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

    /// Requests the script's `hold` rules keep waiting now (`GET /holds`).
    func held() throws -> Int {
        try route("GET", "/holds")["held"]?.intValue.map(Int.init) ?? -1
    }

    /// Lets every held request go on (`POST /holds/release`); returns how many there were.
    @discardableResult
    func releaseHeld() throws -> Int {
        try route("POST", "/holds/release")["released"]?.intValue.map(Int.init) ?? -1
    }

    /// One request to the mock's own routes on a loopback connection of its own, which the
    /// mock closes after its answer (`connection: close`).
    private func route(_ method: String, _ path: String) throws -> JSONValue {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ProcessFailure("socket() failed: errno \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw ProcessFailure("cannot connect to the mock provider: errno \(errno)") }
        let request = Array("\(method) \(path) HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".utf8)
        guard write(fd, request, request.count) == request.count else { throw ProcessFailure("cannot write to the mock provider") }
        var response = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(fd, &buffer, buffer.count)
            guard count > 0 else { break }
            response += buffer[0..<count]
        }
        let text = String(decoding: response, as: UTF8.self)
        guard text.hasPrefix("HTTP/1.1 200"), let head = text.range(of: "\r\n\r\n") else {
            throw ProcessFailure("\(method) \(path) got \(text)")
        }
        return try JSONValue.parse(Data(text[head.upperBound...].utf8))
    }
}

struct ProcessFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

