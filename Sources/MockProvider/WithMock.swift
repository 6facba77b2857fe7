/// Runs `body` with a mock provider started on a free loopback port (the server and its
/// port), and stops the server however `body` ends.
public func withMock<T>(_ options: MockProviderOptions = MockProviderOptions(),
                        _ body: (MockProviderServer, Int) async throws -> T) async throws -> T {
    let server = MockProviderServer(options: options)
    let port = try await server.start()
    do {
        let result = try await body(server, port)
        await server.stop()
        return result
    } catch {
        await server.stop()
        throw error
    }
}
