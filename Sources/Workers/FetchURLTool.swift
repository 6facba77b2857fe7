import BosunJSON
import Config
import Foundation
import HTTP
import Providers

/// `fetch_url`: GET an http(s) URL over libcurl and return its text (HTML made readable).
///
/// Guards against server-side request forgery: the host is resolved here, every address it
/// resolves to must be public (unless `tools.allowPrivateAddresses`), and curl is pinned to
/// the vetted address with `CURLOPT_RESOLVE`, so a DNS answer that changes between check
/// and connect (rebinding) cannot slip through. Redirects are followed here, one hop at a
/// time, each hop checked the same way.
struct FetchURLTool: WorkerTool {
    let policy: ToolPolicy
    let http: HTTPClient
    /// Whether an address may be connected to; tests replace it to tell two loopback servers apart.
    var isAllowed: @Sendable (IPAddress) -> Bool
    /// Made once: a spec encodes its schema, and every model call of a run sends it.
    let spec: ToolSpec

    init(policy: ToolPolicy, http: HTTPClient) {
        self.policy = policy
        self.http = http
        let allowPrivate = policy.allowPrivateAddresses
        isAllowed = { allowPrivate || AddressPolicy.refusalReason($0) == nil }
        spec = Self.spec(policy: policy)
    }

    static func spec(policy: ToolPolicy) -> ToolSpec {
        ToolSpec(name: "fetch_url", description: """
            Fetch an http:// or https:// URL (GET) and return its text; HTML is converted to readable \
            text. Bodies over \(policy.fetchMaxBytes) bytes are refused. Private, loopback and \
            link-local addresses are not reachable.
            """, inputSchema: [
                "type": "object",
                "properties": ["url": ["type": "string", "description": "An http:// or https:// URL"]],
                "required": ["url"],
                "additionalProperties": false,
            ])
    }

    func run(_ input: JSONValue, context: ToolContext) async throws -> ToolOutput {
        let args = try ToolInput(input, tool: "fetch_url")
        var url = try args.requiredString("url")
        var hops = 0
        while true {
            let target = try await vet(url)
            let request = HTTPRequest(url: target.url, headers: [HTTPHeader(name: "User-Agent", value: "bosun-fetch/0.1"),
                                                          HTTPHeader(name: "Accept", value: "text/html, text/*;q=0.9, application/json;q=0.9, */*;q=0.5")],
                                      connectTimeout: min(10, policy.fetchTimeoutSeconds), idleTimeout: policy.fetchTimeoutSeconds,
                                      maxResponseBytes: policy.fetchMaxBytes, resolve: target.pins, followRedirects: false)
            let response: HTTPResponse
            do {
                response = try await http.send(request)
            } catch let error as HTTPClientError {
                if case .responseTooLarge(let limit) = error {
                    throw ToolError("fetch_url: \(url) is larger than \(limit) bytes (tools.fetchMaxBytes); refused")
                }
                throw ToolError("fetch_url: \(url): \(error)")
            }
            if let ip = response.primaryIP, let connected = IPAddress(literal: ip), !target.addresses.contains(connected) {
                throw ToolError("fetch_url: \(url) connected to \(ip), not an address that was checked; refused")
            }
            if [301, 302, 303, 307, 308].contains(response.status), let location = response.header("Location") {
                hops += 1
                guard hops <= policy.fetchMaxRedirects else {
                    throw ToolError("fetch_url: more than \(policy.fetchMaxRedirects) redirects, last to \(location)")
                }
                guard let next = URL(string: location, relativeTo: URL(string: url))?.absoluteURL.absoluteString else {
                    throw ToolError("fetch_url: \(url) redirects to an invalid location \"\(location)\"")
                }
                try Self.checkRedirect(from: url, to: next, context: context)
                url = next
                continue
            }
            return Self.render(url: url, response: response)
        }
    }

    /// A redirect goes only where the worker's approval rules would let it fetch outright:
    /// an allowed `https://docs.rs/*` must not lead to a denied or asked-for host.
    static func checkRedirect(from url: String, to next: String, context: ToolContext) throws {
        guard !context.approval.isEmpty else { return }
        let call = ApprovalCall(tool: "fetch_url", input: ["url": .string(next)], workspaceRoot: context.workspaceRoot)
        let verdict = context.approval.decide(call)
        guard verdict.decision != .allow, context.sessionApprovals?.isAllowed(call) != true || verdict.decision == .deny else { return }
        if verdict.decision == .deny {
            throw ToolError("fetch_url: \(url) redirects to \(next), which is denied by the \(verdict.explanation); not followed.")
        }
        throw ToolError("""
            fetch_url: \(url) redirects to \(next), which needs a person's approval (the \(verdict.explanation)); \
            not followed. Fetch \(next) itself to have it asked for.
            """)
    }

    struct VettedTarget {
        /// The URL rebuilt from the parts that were checked (no user info, no fragment), so
        /// curl cannot parse a different host out of it than the one vetted here.
        var url: String
        var addresses: [IPAddress]
        var pins: [String]
    }

    /// Checks scheme and host, resolves the host and refuses the URL unless every address is allowed.
    func vet(_ url: String) async throws -> VettedTarget {
        guard !url.utf8.contains(0), let components = URLComponents(string: url), let scheme = components.scheme?.lowercased() else {
            throw ToolError("fetch_url: \"\(url)\" is not a valid URL")
        }
        guard scheme == "http" || scheme == "https" else {
            throw ToolError("fetch_url: only http:// and https:// URLs can be fetched, not \(scheme)://")
        }
        guard var host = components.host, !host.isEmpty else { throw ToolError("fetch_url: \(url) has no host") }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        let port = components.port ?? (scheme == "https" ? 443 : 80)
        let addresses = try await AddressPolicy.resolve(host: host)
        guard !addresses.isEmpty else { throw ToolError("fetch_url: \(host) resolves to no address") }
        for address in addresses where !isAllowed(address) {
            let reason = AddressPolicy.refusalReason(address) ?? "not allowed"
            throw ToolError("fetch_url: \(host) resolves to \(address), which is \(reason); workers may only fetch public addresses (tools.allowPrivateAddresses is off)")
        }
        guard host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-._:".contains($0)) }) else {
            throw ToolError("fetch_url: the host \"\(host)\" has characters a host name cannot have")
        }
        let urlHost = host.contains(":") ? "[\(host)]" : host
        let portPart = components.port == nil ? "" : ":\(port)"
        var rebuilt = "\(scheme)://\(urlHost)\(portPart)\(components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath)"
        if let query = components.percentEncodedQuery { rebuilt += "?\(query)" }
        let pins = IPAddress(literal: host) == nil ? ["\(host):\(port):\(addresses.map(\.curlForm).joined(separator: ","))"] : []
        return VettedTarget(url: rebuilt, addresses: addresses, pins: pins)
    }

    static func render(url: String, response: HTTPResponse) -> ToolOutput {
        let contentType = response.header("Content-Type")?.lowercased() ?? ""
        var header = "URL: \(url)\nStatus: \(response.status)"
        if !contentType.isEmpty { header += "\nContent-Type: \(contentType)" }
        let isError = response.status >= 400
        let textual = contentType.isEmpty || contentType.hasPrefix("text/") || ["json", "xml", "javascript", "yaml", "csv"].contains { contentType.contains($0) }
        guard textual, !ReadFileTool.looksBinary(response.body) || response.body.isEmpty else {
            return ToolOutput(text: "\(header)\n\n[\(response.body.count) bytes of non-text content; not shown]", isError: isError)
        }
        var body = String(decoding: response.body, as: UTF8.self)
        if contentType.contains("html") || (contentType.isEmpty && body.range(of: "<html", options: .caseInsensitive) != nil) {
            body = HTMLText.text(fromHTML: body)
        }
        return ToolOutput(text: "\(header)\n\n\(body)", isError: isError)
    }
}
