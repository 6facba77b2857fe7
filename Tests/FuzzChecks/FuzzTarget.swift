/// The fuzz targets: each takes any bytes and checks a property of one parser that must
/// hold for every input, stopping the process (`preconditionFailure`) when it does not.
///
/// `bosun-fuzz` hands them to libFuzzer (`make fuzz`); `FuzzRegressionTests` replays every
/// input that ever failed through the same checks, so a fixed failure stays fixed.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// `FrameDecoder`: the same events however the reads split the bytes, in both framings.
    case frameDecoder = "frame-decoder"
    /// `JSONValue.parse`: its fast path agrees with `JSONDecoder`, and what it writes it reads back.
    case jsonParser = "json-parser"
    /// A message classified and its params decoded into every session method's params type:
    /// a value, or an -32602 error that names the field; an echoed id is valid JSON.
    case params
    /// The YAML configuration: a config, or a `ConfigError` that says where and what.
    case configYAML = "config-yaml"

    public func check(_ bytes: [UInt8]) {
        switch self {
        case .frameDecoder: FrameDecoderCheck.check(bytes)
        case .jsonParser: JSONParserCheck.check(bytes)
        case .params: ParamsCheck.check(bytes)
        case .configYAML: ConfigCheck.check(bytes)
        }
    }
}
