import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Walks a directory inside the workspace the way a developer's tools would: honouring every
/// `.gitignore` on the way down, skipping `.git`, never following symlinks out of the root.
public struct WorkspaceWalker {
    public struct Entry {
        /// Relative to the workspace root.
        public let relativePath: String
        public let absolutePath: String

        public init(relativePath: String, absolutePath: String) {
            self.relativePath = relativePath
            self.absolutePath = absolutePath
        }
    }

    public let root: String

    public init(root: String) { self.root = root }

    /// Calls `visit` for every regular file under `start` (a real path inside `root`), in
    /// sorted order, until it returns false. Files are reported by their type in the directory
    /// listing: the walk stats only symlinks (and entries of file systems that give no type).
    public func walk(from start: String, _ visit: (Entry) throws -> Bool) rethrows {
        var rules: [GitIgnoreRules] = []
        // The .gitignore files of the directories above `start`, up to the root, apply too.
        var ancestors: [String] = []
        var dir = start
        while dir.hasPrefix(root), dir != root {
            dir = (dir as NSString).deletingLastPathComponent
            ancestors.insert(dir, at: 0)
        }
        for ancestor in ancestors { if let r = loadRules(ancestor) { rules.append(r) } }
        _ = try walkDirectory(start, rules: rules, visit)
    }

    private func relative(_ path: String) -> String {
        path == root ? "" : String(path.dropFirst(root.count + 1))
    }

    private func loadRules(_ directory: String) -> GitIgnoreRules? {
        guard let text = DirectoryReading.utf8Text(ofFile: directory + "/.gitignore") else { return nil }
        return GitIgnoreRules(base: relative(directory), text: text)
    }

    private func isIgnored(_ relativePath: String, isDirectory: Bool, rules: [GitIgnoreRules]) -> Bool {
        var ignored = false
        for rule in rules {
            if let verdict = rule.verdict(for: relativePath, isDirectory: isDirectory) { ignored = verdict }
        }
        return ignored
    }

    /// Returns false when the visitor asked to stop.
    private func walkDirectory(_ directory: String, rules: [GitIgnoreRules], _ visit: (Entry) throws -> Bool) rethrows -> Bool {
        let entries = DirectoryReading.entries(in: directory).sorted { $0.name < $1.name }
        var rules = rules
        // Only a listed .gitignore is opened: most directories have none.
        if entries.contains(where: { $0.name == ".gitignore" }), let own = loadRules(directory),
           !rules.contains(where: { $0.base == own.base }) {
            rules.append(own)
        }
        for entry in entries where entry.name != ".git" {
            let path = directory + "/" + entry.name
            var info = stat()
            var type: mode_t
            if let known = entry.type {
                type = known
            } else {
                guard lstat(path, &info) == 0 else { continue }
                type = info.st_mode & S_IFMT
            }
            if type == S_IFLNK {
                // A symlink counts only when it resolves inside the root; directories behind symlinks are not entered.
                guard let real = try? WorkspacePath.realPath(path), real.hasPrefix(root + "/"), stat(real, &info) == 0 else { continue }
                type = info.st_mode & S_IFMT
                if type == S_IFDIR { continue }
            }
            let rel = relative(path)
            if type == S_IFDIR {
                if isIgnored(rel, isDirectory: true, rules: rules) { continue }
                if try !walkDirectory(path, rules: rules, visit) { return false }
            } else if type == S_IFREG {
                if isIgnored(rel, isDirectory: false, rules: rules) { continue }
                if try !visit(Entry(relativePath: rel, absolutePath: path)) { return false }
            }
        }
        return true
    }
}
