import Testing
@testable import Config

/// The hand-written name checks that replaced regular expressions on the config path.
@Suite struct NameSyntaxTests {
    @Test(arguments: [
        ("ANTHROPIC_API_KEY", true), ("_private", true), ("key1", true), ("a", true),
        ("", false), ("1KEY", false), ("MY-KEY", false), ("MY KEY", false), ("KEY\n", false),
        ("sk-proj-abc123", false), ("ÉCLAIR", false), ("KEY$", false),
    ])
    func environmentVariableNames(name: String, valid: Bool) {
        #expect(name.isEnvironmentVariableName == valid)
    }

    @Test(arguments: [
        ("reviewer", true), ("code-reviewer", true), ("v1.2_beta", true), ("9lives", true), ("A", true),
        ("", false), ("-lead", false), (".hidden", false), ("_x", false), ("two words", false),
        ("naïve", false), ("role/sub", false), ("role\n", false),
    ])
    func roleNames(name: String, valid: Bool) {
        #expect(name.isRoleName == valid)
    }

    @Test func digitSeparatorsAreDropped() {
        #expect("1_000_000".withoutDigitSeparators == "1000000")
        #expect("0.000_5".withoutDigitSeparators == "0.0005")
        #expect("42".withoutDigitSeparators == "42")
    }
}
