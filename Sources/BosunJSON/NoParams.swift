/// Params of a method or operation that takes none: absent params, `null`, `{}` or `[]`;
/// whatever an object holds is ignored, so clients that always send `{}` work. Encoded as `{}`.
public struct NoParams: Codable, Sendable, Hashable {
    public init() {}
    public init(from decoder: Decoder) throws {}
    public func encode(to encoder: Encoder) throws {
        _ = encoder.container(keyedBy: NoKeys.self)
    }
    private enum NoKeys: CodingKey {}
}
