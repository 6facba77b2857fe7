import Foundation
import Glibc
import Synchronization

/// Why the mock server could not start.
public struct MockServerError: Error, CustomStringConvertible, Sendable {
    public var description: String
}

/// A listening TCP socket with an accept thread that hands every connection to its own
/// thread. Threads with blocking sockets keep fault injection literal: a stall is a thread
/// that stops writing, a reset is `SO_LINGER` 0 and `close`.
final class LoopbackListener: Sendable {
    private let fd: Int32
    let port: Int
    private let open = Mutex<[ObjectIdentifier: LoopbackConnection]>([:])
    private let accepted = Atomic<Int>(0)
    private let stopped = Mutex(false)

    init(host: String, port: Int) throws {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            throw MockServerError(description: "host \(host) is not an IPv4 address; use e.g. 127.0.0.1")
        }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw MockServerError(description: "socket() failed: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 512) == 0 else {
            let reason = String(cString: strerror(errno))
            Glibc.close(fd)
            throw MockServerError(description: "cannot listen on \(host):\(port): \(reason); choose another --port (0 picks a free one)")
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.fd = fd
        self.port = Int(UInt16(bigEndian: actual.sin_port))
    }

    /// Starts accepting; `handle` runs on a new thread per connection and must close it.
    func start(handle: @escaping @Sendable (LoopbackConnection) -> Void) {
        let thread = Thread { [self] in
            while true {
                let client = accept(fd, nil, nil)
                if client < 0 {
                    if errno == EINTR || errno == ECONNABORTED { continue }
                    // `stop` shut the socket down. Only this thread closes it, so its number
                    // cannot be reused by another socket while `accept` might still use it.
                    Glibc.close(fd)
                    return
                }
                accepted.add(1, ordering: .relaxed)
                let connection = LoopbackConnection(fd: client)
                let key = ObjectIdentifier(connection)
                let isServing = stopped.withLock { isStopped in
                    if !isStopped { open.withLock { $0[key] = connection } }
                    return !isStopped
                }
                guard isServing else {
                    connection.close()
                    continue
                }
                let worker = Thread { [self] in
                    handle(connection)
                    connection.close()
                    open.withLock { _ = $0.removeValue(forKey: key) }
                }
                worker.stackSize = 256 * 1024
                worker.start()
            }
        }
        thread.name = "mock-provider-accept"
        thread.start()
    }

    /// Connections currently open.
    var openConnections: Int { open.withLock { $0.count } }

    /// Connections accepted since `start`: how many times a client connected.
    var acceptedConnections: Int { accepted.load(ordering: .relaxed) }

    /// Stops accepting and wakes every connection thread so it ends.
    func stop() {
        let already = stopped.withLock { isStopped in
            defer { isStopped = true }
            return isStopped
        }
        guard !already else { return }
        Glibc.shutdown(fd, Int32(SHUT_RDWR))
        for connection in open.withLock({ Array($0.values) }) { connection.shutdownBoth() }
    }
}
