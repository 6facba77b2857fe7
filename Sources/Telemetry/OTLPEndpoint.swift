import Foundation

/// Where and how the live exporter sends spans, from the standard OpenTelemetry
/// environment variables.
public struct OTLPEndpoint: Sendable, Equatable {
    /// The full URL spans are POSTed to.
    public var tracesURL: String
    public var headers: [(name: String, value: String)]
    /// How long one export may take before it is abandoned.
    public var timeout: TimeInterval

    public static func == (lhs: OTLPEndpoint, rhs: OTLPEndpoint) -> Bool {
        lhs.tracesURL == rhs.tracesURL && lhs.timeout == rhs.timeout
            && lhs.headers.map { "\($0.name)=\($0.value)" } == rhs.headers.map { "\($0.name)=\($0.value)" }
    }

    /// Reads `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (used as is) or `OTEL_EXPORTER_OTLP_ENDPOINT`
    /// (with `/v1/traces` appended), `OTEL_EXPORTER_OTLP[_TRACES]_HEADERS` (`k=v,k2=v2`,
    /// values percent-decoded) and `OTEL_EXPORTER_OTLP[_TRACES]_TIMEOUT` (milliseconds, default
    /// 10000). Returns nil when no endpoint is set or `OTEL_SDK_DISABLED` is `true`; throws
    /// when the settings ask for something bosun cannot do (a protocol other than HTTP/JSON,
    /// a URL that is not http(s)).
    public static func fromEnvironment(_ environment: [String: String]) throws(OTLPSettingsError) -> OTLPEndpoint? {
        func value(_ name: String) -> String? {
            environment[name].map { $0.trimmingCharacters(in: .whitespaces) }.flatMap { $0.isEmpty ? nil : $0 }
        }
        if value("OTEL_SDK_DISABLED")?.lowercased() == "true" { return nil }
        let url: String
        if let traces = value("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") {
            url = traces
        } else if let base = value("OTEL_EXPORTER_OTLP_ENDPOINT") {
            url = (base.hasSuffix("/") ? String(base.dropLast()) : base) + "/v1/traces"
        } else {
            return nil
        }
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
            throw .unsupported(variable: "OTEL_EXPORTER_OTLP_ENDPOINT", value: url,
                               hint: "give an http:// or https:// URL of a collector, such as http://localhost:4318")
        }
        if let chosen = value("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") ?? value("OTEL_EXPORTER_OTLP_PROTOCOL"),
           !["http/json", "http/protobuf"].contains(chosen) {
            throw .unsupported(variable: "OTEL_EXPORTER_OTLP_PROTOCOL", value: chosen,
                               hint: "bosun sends OTLP/HTTP with JSON bodies; use the collector's HTTP port (4318), or unset the variable")
        }
        var headers: [(String, String)] = []
        for pair in (value("OTEL_EXPORTER_OTLP_TRACES_HEADERS") ?? value("OTEL_EXPORTER_OTLP_HEADERS") ?? "").split(separator: ",") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[0].isEmpty else {
                throw .unsupported(variable: "OTEL_EXPORTER_OTLP_HEADERS", value: String(pair),
                                   hint: "write headers as name=value pairs separated by commas")
            }
            headers.append((parts[0], parts[1].removingPercentEncoding ?? parts[1]))
        }
        let timeoutText = value("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT") ?? value("OTEL_EXPORTER_OTLP_TIMEOUT")
        let milliseconds = timeoutText.flatMap(Double.init) ?? 10_000
        guard milliseconds > 0 else {
            throw .unsupported(variable: "OTEL_EXPORTER_OTLP_TIMEOUT", value: timeoutText ?? "",
                               hint: "give a positive number of milliseconds")
        }
        return OTLPEndpoint(tracesURL: url, headers: headers, timeout: milliseconds / 1000)
    }
}

public enum OTLPSettingsError: Error, Sendable, CustomStringConvertible {
    case unsupported(variable: String, value: String, hint: String)

    public var description: String {
        switch self {
        case .unsupported(let variable, let value, let hint):
            return "\(variable)=\(value) cannot be used: \(hint). Spans are not exported."
        }
    }
}
