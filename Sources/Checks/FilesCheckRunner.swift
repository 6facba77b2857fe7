import BosunProtocol
import Foundation
import Workspace

/// Claims about files, checked on disk: each listed path exists inside the workspace, is
/// not empty when asked, and contains its pattern when one is given.
enum FilesCheckRunner {
    /// Files larger than this are not searched for `contains` patterns.
    static let maxSearchedBytes = 16 << 20

    static func run(_ check: FilesCheck, context: CheckContext) -> CheckOutcome {
        var problems: [String] = []
        var checked = 0
        let paths = check.exist + (check.contains ?? [:]).keys.sorted().filter { !check.exist.contains($0) }
        for path in paths {
            checked += 1
            let real: String
            let isDirectory: Bool
            do {
                (real, isDirectory) = try WorkspacePath.resolveExisting(path, in: context.workspaceRoot)
            } catch {
                problems.append("\(path): does not exist inside the workspace (\(error))")
                continue
            }
            if check.nonEmpty == true, !isDirectory, (try? FileManager.default.attributesOfItem(atPath: real)[.size] as? Int) == 0 {
                problems.append("\(path): is empty")
            }
            guard let pattern = check.contains?[path] else { continue }
            let regex: NSRegularExpression
            do {
                regex = try NSRegularExpression(pattern: pattern, options: [.anchorsMatchLines])
            } catch {
                problems.append("\(path): contains pattern \(pattern) is not a valid regular expression")
                continue
            }
            guard !isDirectory, let data = FileManager.default.contents(atPath: real), data.count <= maxSearchedBytes else {
                problems.append("\(path): is not a readable file of at most \(maxSearchedBytes >> 20) MiB to search")
                continue
            }
            let text = String(decoding: data, as: UTF8.self)
            if regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) == nil {
                problems.append("\(path): does not contain a match for \(pattern)")
            }
        }
        if problems.isEmpty {
            return CheckOutcome(kind: "files", passed: true, summary: "all \(checked) file claim(s) hold")
        }
        return CheckOutcome(kind: "files", passed: false, summary: "\(problems.count) of \(checked) file(s) fail: \(problems[0])",
                            output: problems.joined(separator: "\n"))
    }
}
