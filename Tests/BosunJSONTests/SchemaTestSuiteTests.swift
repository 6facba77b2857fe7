import BosunJSON
import Foundation
import Testing

/// Runs the schema validator against the official JSON Schema Test Suite's draft 2020-12
/// cases (`make schema-test-suite` fetches them; `BOSUN_SCHEMA_TEST_SUITE` may point
/// elsewhere) and prints a table, one row per keyword file. Every case whose schema uses
/// only supported keywords must pass; every other case must be refused, naming a keyword.
@Suite struct SchemaTestSuiteTests {
    static let directory: URL = {
        if let path = ProcessInfo.processInfo.environment["BOSUN_SCHEMA_TEST_SUITE"] { return URL(fileURLWithPath: path) }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../.schema-test-suite/draft2020-12").standardizedFileURL
    }()

    static var suiteIsPresent: Bool { FileManager.default.fileExists(atPath: directory.appendingPathComponent("type.json").path) }

    /// The suite's files about keywords the validator refuses: every group in them must be refused.
    static let refusedFiles: Set<String> = ["anchor", "dynamicRef", "refRemote", "unevaluatedItems", "unevaluatedProperties", "vocabulary"]

    struct Row {
        var file: String
        var tests = 0
        var passed = 0
        var refused = 0
        var failures: [String] = []
        var refusedKeywords: Set<String> = []
    }

    @Test(.enabled(if: suiteIsPresent, "run `make schema-test-suite` to fetch the JSON Schema Test Suite"))
    func draft2020_12() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.directory.path)
            .filter { $0.hasSuffix(".json") }.sorted()
        #expect(files.count >= 40, "the suite's draft2020-12 directory looks incomplete: \(files.count) files")
        var rows: [Row] = []
        for file in files {
            let data = try Data(contentsOf: Self.directory.appendingPathComponent(file))
            let groups = try JSONDecoder().decode([JSONValue].self, from: data)
            var row = Row(file: String(file.dropLast(5)))
            for group in groups {
                let schema = group["schema"] ?? .bool(true)
                let tests = group["tests"]?.arrayValue ?? []
                row.tests += tests.count
                let refusals = JSONSchemaValidator.problems(inSchema: schema).compactMap(\.keyword)
                if !refusals.isEmpty {
                    row.refused += tests.count
                    row.refusedKeywords.formUnion(refusals)
                    continue
                }
                for test in tests {
                    let expected = test["valid"]?.boolValue ?? true
                    let violations = JSONSchemaValidator.validate(test["data"] ?? .null, against: schema)
                    if violations.isEmpty == expected {
                        row.passed += 1
                    } else {
                        let name = "\(group["description"]?.stringValue ?? "?") / \(test["description"]?.stringValue ?? "?")"
                        row.failures.append(name + (expected ? ": \(violations)" : ": passed, expected a failure"))
                    }
                }
            }
            rows.append(row)
        }
        print(Self.table(rows))
        for row in rows {
            #expect(row.failures.isEmpty, "\(row.file): \(row.failures.joined(separator: "; "))")
            if Self.refusedFiles.contains(row.file) {
                #expect(row.refused == row.tests, "\(row.file): every case must be refused, \(row.passed) were run")
            }
        }
    }

    static func table(_ rows: [Row]) -> String {
        func pad(_ text: String, _ width: Int) -> String { text.padding(toLength: max(width, text.count), withPad: " ", startingAt: 0) }
        var lines = ["JSON Schema Test Suite, draft 2020-12: every supported case passes, every other case is refused",
                     pad("file", 24) + pad("cases", 7) + pad("passed", 8) + pad("refused", 9) + pad("failed", 8) + "refused for"]
        for row in rows {
            lines.append(pad(row.file, 24) + pad(String(row.tests), 7) + pad(String(row.passed), 8) + pad(String(row.refused), 9)
                + pad(String(row.failures.count), 8) + row.refusedKeywords.sorted().joined(separator: ", "))
        }
        let total = rows.reduce(into: Row(file: "total")) { sum, row in
            sum.tests += row.tests; sum.passed += row.passed; sum.refused += row.refused; sum.failures += row.failures
        }
        lines.append(pad("total", 24) + pad(String(total.tests), 7) + pad(String(total.passed), 8) + pad(String(total.refused), 9)
            + pad(String(total.failures.count), 8))
        return lines.joined(separator: "\n")
    }
}
