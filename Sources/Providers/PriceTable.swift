/// Default prices per million tokens, keyed by the provider's model id. Config prices
/// (`models.<alias>.price`) override these; a model in neither has no known cost.
public enum PriceTable {
    /// When these list prices were last checked against the providers' pricing pages.
    public static let asOf = "2026-11-01"

    public static let defaults: [String: ModelPrice] = [
        // Anthropic: cache reads at 0.1x input, 5-minute cache writes at 1.25x input.
        "claude-opus-4-1": ModelPrice(input: 15, output: 75),
        "claude-opus-4-5": ModelPrice(input: 5, output: 25),
        "claude-sonnet-4-5": ModelPrice(input: 3, output: 15),
        "claude-sonnet-4-0": ModelPrice(input: 3, output: 15),
        "claude-haiku-4-5": ModelPrice(input: 1, output: 5),
        "claude-3-5-haiku-latest": ModelPrice(input: 0.8, output: 4),
        // OpenAI: cached input as listed; no separate write charge.
        "gpt-5": ModelPrice(input: 1.25, output: 10, cacheRead: 0.125, cacheWrite: 0),
        "gpt-5-mini": ModelPrice(input: 0.25, output: 2, cacheRead: 0.025, cacheWrite: 0),
        "gpt-5-nano": ModelPrice(input: 0.05, output: 0.4, cacheRead: 0.005, cacheWrite: 0),
        "gpt-4.1": ModelPrice(input: 2, output: 8, cacheRead: 0.5, cacheWrite: 0),
        "gpt-4.1-mini": ModelPrice(input: 0.4, output: 1.6, cacheRead: 0.1, cacheWrite: 0),
        "gpt-4o": ModelPrice(input: 2.5, output: 10, cacheRead: 1.25, cacheWrite: 0),
        "gpt-4o-mini": ModelPrice(input: 0.15, output: 0.6, cacheRead: 0.075, cacheWrite: 0),
    ]

    /// The price for a model id: an override first, then the defaults; dated snapshot ids
    /// (`claude-haiku-4-5-20251001`, `gpt-4o-2024-08-06`) fall back to their base id.
    public static func price(for model: String, overrides: [String: ModelPrice] = [:]) -> ModelPrice? {
        if let price = overrides[model] ?? defaults[model] { return price }
        let base = baseId(model)
        return base == model ? nil : overrides[base] ?? defaults[base]
    }

    /// USD for one call's usage, or nil when the model's price is unknown.
    public static func cost(model: String, usage: Usage, overrides: [String: ModelPrice] = [:]) -> Double? {
        price(for: model, overrides: overrides)?.cost(of: usage)
    }

    /// Strips a trailing `-YYYYMMDD` or `-YYYY-MM-DD` snapshot date.
    private static func baseId(_ model: String) -> String {
        let parts = model.split(separator: "-", omittingEmptySubsequences: false)
        if let last = parts.last, last.count == 8, last.allSatisfy(\.isNumber) {
            return parts.dropLast().joined(separator: "-")
        }
        if parts.count > 3, parts.suffix(3).map(\.count) == [4, 2, 2], parts.suffix(3).allSatisfy({ $0.allSatisfy(\.isNumber) }) {
            return parts.dropLast(3).joined(separator: "-")
        }
        return model
    }
}
