/// A glob's `[...]`: scalars and ranges (`a-z`), negated by a leading `!` or `^`. A negated
/// class matches `/` too, as it always has.
///
/// The syntax is what the regular-expression translation used to accept, minus ICU's set
/// operators: a `-` first, last or right after a range is literal; a reversed range (`z-a`),
/// a range starting at `&`, a `[` (ICU's nested set), `--` and `&&` make the pattern invalid.
struct GlobCharacterClass: Sendable, Equatable {
    let ranges: [ClosedRange<UInt32>]
    let negated: Bool

    /// nil when `body` (the scalars between the brackets, negation removed) is invalid.
    init?(body: [Unicode.Scalar], negated: Bool) {
        var ranges: [ClosedRange<UInt32>] = []
        for (index, scalar) in body.enumerated() where index + 1 < body.count {
            let pair = (scalar, body[index + 1])
            if pair == ("-", "-") || pair == ("&", "&") { return nil }
        }
        if body.contains("[") { return nil }
        var index = 0
        while index < body.count {
            let low = body[index]
            if low != "-", index + 2 < body.count, body[index + 1] == "-" {
                let high = body[index + 2]
                guard low != "&", low.value <= high.value else { return nil }
                ranges.append(low.value...high.value)
                index += 3
            } else {
                ranges.append(low.value...low.value)
                index += 1
            }
        }
        self.ranges = ranges
        self.negated = negated
    }

    func contains(_ scalar: Unicode.Scalar) -> Bool {
        ranges.contains { $0.contains(scalar.value) } != negated
    }
}
