import Testing
@testable import Telemetry

/// The standard OpenTelemetry variables, read as the specification says.
@Suite struct OTLPEndpointTests {
    @Test func noEndpointMeansNoExport() throws {
        #expect(try OTLPEndpoint.fromEnvironment([:]) == nil)
        #expect(try OTLPEndpoint.fromEnvironment(["OTEL_EXPORTER_OTLP_ENDPOINT": "  "]) == nil)
        #expect(try OTLPEndpoint.fromEnvironment(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_SDK_DISABLED": "true"]) == nil)
    }

    @Test func theBaseEndpointGetsTheTracesPathTheSignalEndpointIsUsedAsIs() throws {
        let cases: [([String: String], String)] = [
            (["OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"], "http://collector:4318/v1/traces"),
            (["OTEL_EXPORTER_OTLP_ENDPOINT": "https://collector/otlp/"], "https://collector/otlp/v1/traces"),
            (["OTEL_EXPORTER_OTLP_ENDPOINT": "http://a:4318", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://b:9999/custom"],
             "http://b:9999/custom"),
        ]
        for (environment, url) in cases {
            #expect(try OTLPEndpoint.fromEnvironment(environment)?.tracesURL == url, "\(environment)")
        }
    }

    @Test func headersAndTimeout() throws {
        let endpoint = try #require(try OTLPEndpoint.fromEnvironment([
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318",
            "OTEL_EXPORTER_OTLP_HEADERS": "Authorization=Bearer%20abc, x-tenant = blue",
            "OTEL_EXPORTER_OTLP_TIMEOUT": "2500",
        ]))
        #expect(endpoint.headers.map(\.name) == ["Authorization", "x-tenant"])
        #expect(endpoint.headers.map(\.value) == ["Bearer abc", "blue"])
        #expect(endpoint.timeout == 2.5)
    }

    @Test func settingsBosunCannotHonourAreRefusedWithTheVariableNamed() {
        let cases: [([String: String], String)] = [
            (["OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4317"], "OTEL_EXPORTER_OTLP_ENDPOINT"),
            (["OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4317", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"], "OTEL_EXPORTER_OTLP_PROTOCOL"),
            (["OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_EXPORTER_OTLP_HEADERS": "novalue"], "OTEL_EXPORTER_OTLP_HEADERS"),
            (["OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_EXPORTER_OTLP_TIMEOUT": "-1"], "OTEL_EXPORTER_OTLP_TIMEOUT"),
        ]
        for (environment, variable) in cases {
            do {
                _ = try OTLPEndpoint.fromEnvironment(environment)
                Issue.record("accepted \(environment)")
            } catch {
                #expect(error.description.hasPrefix(variable), "\(error)")
            }
        }
    }
}
