import BosunProtocol
import Foundation
import Workspace
#if canImport(Glibc)
import Glibc
#endif

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
                (real, isDirectory) = try resolve(path, context: context)
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

    /// Where `path` is for the worker: its layer's copy first, when it has a layer.
    private static func resolve(_ path: String, context: CheckContext) throws -> (real: String, isDirectory: Bool) {
        if let layer = context.layer {
            let relative = try WorkspaceDirectory(context.workspaceRoot).relative(path)
            switch layer.lookup(relative) {
            case .deleted: throw WorkspaceError("the worker deleted it")
            case .layer(let copy):
                var info = stat()
                guard lstat(copy, &info) == 0 else { throw WorkspaceError("it is gone from the worker's layer") }
                return (copy, (info.st_mode & S_IFMT) == S_IFDIR)
            case .workspace: break
            }
        }
        return try WorkspacePath.resolveExisting(path, in: context.workspaceRoot)
    }
}
