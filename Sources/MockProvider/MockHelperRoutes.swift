import Foundation

/// Plain HTTP routes for testing HTTP clients (such as `fetch_url`) against the mock:
/// - `GET /bytes/N`: N bytes of `x` (N up to 64 MiB).
/// - `GET /redirect?to=URL`: a 302 to URL (percent-encoded in the query).
enum MockHelperRoutes {
    static func respond(to request: MockHTTPRequest, path: String, on connection: LoopbackConnection) -> Bool {
        if path.hasPrefix("/bytes/") {
            guard let count = Int(path.dropFirst("/bytes/".count)), (0...64 * 1024 * 1024).contains(count) else {
                return connection.respond(status: 400, contentType: "text/plain", body: Data("use /bytes/N, N in 0...67108864\n".utf8),
                                          keepAlive: request.keepAlive)
            }
            return connection.respond(status: 200, contentType: "application/octet-stream",
                                      body: Data(repeating: UInt8(ascii: "x"), count: count), keepAlive: request.keepAlive)
        }
        let query = URLComponents(string: request.path)?.queryItems ?? []
        guard let target = query.first(where: { $0.name == "to" })?.value, !target.isEmpty else {
            return connection.respond(status: 400, contentType: "text/plain", body: Data("use /redirect?to=URL\n".utf8),
                                      keepAlive: request.keepAlive)
        }
        return connection.respond(status: 302, contentType: "text/plain", body: Data("redirecting to \(target)\n".utf8),
                                  headers: ["location: \(target)"], keepAlive: request.keepAlive)
    }
}
