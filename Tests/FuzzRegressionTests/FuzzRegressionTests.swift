import Foundation
import FuzzChecks
import Testing

/// Every input in `Tests/FuzzCorpus/<target>/`, the seeds and every input that ever made a
/// fuzz target fail (named after what it found), replayed through the target's checks. A
/// regression stops the test process, naming the failed check.
@Suite struct FuzzRegressionTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("FuzzCorpus")

    static var inputs: [(FuzzTarget, String)] {
        FuzzTarget.allCases.flatMap { target in
            let directory = corpus.appendingPathComponent(target.rawValue).path
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            return names.sorted().map { (target, $0) }
        }
    }

    @Test(arguments: inputs)
    func replays(target: FuzzTarget, name: String) throws {
        let file = Self.corpus.appendingPathComponent(target.rawValue).appendingPathComponent(name)
        target.check(Array(try Data(contentsOf: file)))
    }

    @Test func everyTargetHasInputs() {
        for target in FuzzTarget.allCases {
            #expect(Self.inputs.contains { $0.0 == target }, "no inputs for \(target.rawValue)")
        }
    }
}
