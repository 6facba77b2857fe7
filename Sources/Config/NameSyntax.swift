/// The shapes of names a config may give, checked by hand: a regular expression (`range(of:
/// options: .regularExpression)`) would load ICU's pattern and property data, about 1.5 MB
/// resident, into every process that loads a config — that is, every session.
extension String {
    /// An environment variable name: `[A-Za-z_][A-Za-z0-9_]*`.
    var isEnvironmentVariableName: Bool {
        guard let first = utf8.first, first == UInt8(ascii: "_") || first.isASCIILetter else { return false }
        return utf8.allSatisfy { $0.isASCIILetter || $0.isASCIIDigit || $0 == UInt8(ascii: "_") }
    }

    /// A role name: `[A-Za-z0-9][A-Za-z0-9_.-]*`.
    var isRoleName: Bool {
        guard let first = utf8.first, first.isASCIILetter || first.isASCIIDigit else { return false }
        return utf8.allSatisfy { $0.isASCIILetter || $0.isASCIIDigit || "_.-".utf8.contains($0) }
    }

    /// The text without the `_` digit separators YAML numbers may carry (`1_000`).
    var withoutDigitSeparators: String { filter { $0 != "_" } }
}

private extension UInt8 {
    var isASCIILetter: Bool { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(self | 0x20) }
    var isASCIIDigit: Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self) }
}
