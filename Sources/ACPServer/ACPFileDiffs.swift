import BosunProtocol

/// The `diff` content of a writing worker's tool call: each file its layer changed, with its
/// whole text before and after. They come from `changes` asked for as much context as a file
/// can have lines, so each file's diff is one hunk that spans it.
enum ACPFileDiffs {
    /// Lines of context that make every file's diff the whole file.
    static let wholeFiles = Int(Int32.max)
    /// A file with a side longer than this (in UTF-8 bytes) is left out of the content.
    static let maxTextBytes = 1 << 20

    /// The worker's changed files as diffs; nil when `changes` could not be read.
    static func of(_ workerId: String, in operations: any SessionOperations) async -> [ACPDiff]? {
        guard let changes = try? await operations.changes(ChangesParams(workerId: workerId, context: wholeFiles)) else {
            return nil
        }
        return diffs(changes)
    }

    /// Each text file of `changes` with its absolute path; binary files, files too large and
    /// any section that does not read as one whole-file hunk are left out.
    static func diffs(_ changes: ChangesResult) -> [ACPDiff] {
        let sections = self.sections(of: changes.diff)
        guard sections.count == changes.files.count else { return [] }
        let workspaces = Dictionary(changes.base.map { ($0.workerId, $0.workspace) }, uniquingKeysWith: { first, _ in first })
        return zip(changes.files, sections).compactMap { file, section in
            guard let workspace = workspaces[file.workerId], let texts = texts(of: section),
                  texts.old.utf8.count <= maxTextBytes, texts.new.utf8.count <= maxTextBytes else { return nil }
            return ACPDiff(path: workspace + "/" + file.path, oldText: file.status == .added ? nil : texts.old, newText: texts.new)
        }
    }

    /// The diff split into one part per file, each starting at its `diff --git` line (a file's
    /// own lines in a hunk start with a space, `+` or `-`, so they never look like one).
    static func sections(of diff: String) -> [[Substring]] {
        var sections: [[Substring]] = []
        for line in diff.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("diff --git ") {
                sections.append([line])
            } else if !sections.isEmpty {
                sections[sections.count - 1].append(line)
            }
        }
        return sections
    }

    /// The old and new text of one file's section, when it has exactly one hunk and that hunk
    /// holds as many lines as its header says (so it is the whole file, not a cut output).
    static func texts(of section: [Substring]) -> (old: String, new: String)? {
        guard let start = section.firstIndex(where: { $0.hasPrefix("@@ ") }),
              let counts = hunkCounts(section[start]) else { return nil }
        var old = "", new = ""
        var oldLines = 0, newLines = 0
        var last: Character = " "
        for line in section[(start + 1)...] {
            guard let mark = line.first else { continue }
            let text = line.dropFirst()
            switch mark {
            case " ":
                old += text + "\n"
                new += text + "\n"
                oldLines += 1
                newLines += 1
            case "-":
                old += text + "\n"
                oldLines += 1
            case "+":
                new += text + "\n"
                newLines += 1
            case "\\": // "\ No newline at end of file": the line before has none.
                if last != "+", old.hasSuffix("\n") { old.removeLast() }
                if last != "-", new.hasSuffix("\n") { new.removeLast() }
            default: return nil // a second hunk header, or not a diff line
            }
            last = mark
        }
        guard oldLines == counts.old, newLines == counts.new else { return nil }
        return (old, new)
    }

    /// The line counts of `@@ -a,b +c,d @@` (a missing count is 1).
    static func hunkCounts(_ header: Substring) -> (old: Int, new: Int)? {
        let ranges = header.split(separator: " ").dropFirst().prefix(2)
        guard ranges.count == 2 else { return nil }
        let counts = ranges.map { range -> Int? in
            let parts = range.dropFirst().split(separator: ",", maxSplits: 1)
            return parts.count == 2 ? Int(parts[1]) : 1
        }
        guard let old = counts[0], let new = counts[1] else { return nil }
        return (old, new)
    }
}
