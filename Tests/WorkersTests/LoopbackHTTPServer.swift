import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A tiny real HTTP/1.1 server on a loopback address, for fetch_url tests. One thread
/// accepts; each request gets `handler(path)`'s answer and the connection is closed.
final class LoopbackHTTPServer: Sendable {
    struct Reply: Sendable {
        var status: Int = 200
        var headers: [(String, String)] = [("Content-Type", "text/plain")]
        var body: String = ""
    }

    let address: String
    let port: Int
    private let socketFD: Int32
    private let requests = Mutex<[String]>([])

    var baseURL: String { "http://\(address):\(port)" }
    /// The paths requested so far.
    var requestedPaths: [String] { requests.withLock { $0 } }

    init(address: String = "127.0.0.1", handler: @escaping @Sendable (String) -> Reply) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        inet_pton(AF_INET, address, &addr.sin_addr)
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, listen(fd, 16) == 0 else { close(fd); throw POSIXError(.EADDRNOTAVAIL) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        withUnsafeMutablePointer(to: &addr) { _ = $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        self.address = address
        self.port = Int(UInt16(bigEndian: addr.sin_port))
        self.socketFD = fd
        Thread { [self] in serve(handler) }.start()
    }

    private func serve(_ handler: @Sendable (String) -> Reply) {
        let fd = socketFD
            while true {
                let client = accept(fd, nil, nil)
                if client < 0 { if errno == EINTR { continue }; return }
                var data = Data()
                var buffer = [UInt8](repeating: 0, count: 4096)
                while !data.contains(Data("\r\n\r\n".utf8)) {
                    let n = read(client, &buffer, buffer.count)
                    if n <= 0 { break }
                    data.append(contentsOf: buffer[0..<n])
                }
                let requestLine = String(decoding: data, as: UTF8.self).split(separator: "\r\n").first ?? ""
                let path = requestLine.split(separator: " ").dropFirst().first.map(String.init) ?? "/"
                requests.withLock { $0.append(path) }
                let reply = handler(path)
                var head = "HTTP/1.1 \(reply.status) X\r\nContent-Length: \(reply.body.utf8.count)\r\nConnection: close\r\n"
                for (name, value) in reply.headers { head += "\(name): \(value)\r\n" }
                let bytes = Array((head + "\r\n" + reply.body).utf8)
                _ = bytes.withUnsafeBytes { write(client, $0.baseAddress, $0.count) }
                close(client)
            }
    }

    func stop() {
        shutdown(socketFD, Int32(SHUT_RDWR))
        close(socketFD)
    }
}
