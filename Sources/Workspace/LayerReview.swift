import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One file a layer changes.
public struct LayerFileChange: Sendable, Hashable {
    public enum Status: String, Sendable { case added, modified, deleted }
    public var path: String
    public var status: Status
    /// Lines added and removed, as in the unified diff (0 and 0 for a binary file).
    public var additions: Int
    public var deletions: Int
}

/// What a layer changes against its base, with a unified diff in git's style.
public struct LayerChanges: Sendable {
    public var workspace: String
    /// When the layer started: the workspace as it was then is what the worker built on.
    public var createdAt: Date
    public var state: LayerState
    public var files: [LayerFileChange]
    public var diff: String
    /// Changed files that `.gitignore` ignores: left out of `files`, the diff and `apply`
    /// unless its `paths` name them.
    public var ignored: [LayerFileChange]
}

/// What `apply` did: the paths it wrote, or the conflicts that made it write nothing.
public struct LayerApplyOutcome: Sendable {
    public struct Conflict: Sendable, Hashable {
        public var path: String
        public var reason: String
    }
    public var applied: [String]
    public var conflicts: [Conflict]
    public var state: LayerState
}

extension Layer {
    /// A changed file's two sides: its base and the worker's version (nil: absent), each a
    /// regular file or a symlink.
    struct Side: Sendable {
        var path: String
        var base: LayerEntry?
        var basePath: String
        var worker: LayerEntry?
        var workerPath: String
        var mode: mode_t
        /// `.gitignore` ignores it (as the worker sees the `.gitignore` files).
        var ignored: Bool

        var status: LayerFileChange.Status { base == nil ? .added : worker == nil ? .deleted : .modified }

        /// Whether the worker made the file executable (true) or no longer executable
        /// (false); nil when it kept the base's mode, or the path was not a file on both sides.
        var executableChange: Bool? {
            guard case .file(_, let was)? = base, case .file(_, let now)? = worker, was != now else { return nil }
            return now
        }
    }

    /// The files and symlinks the worker changed, leaving out protected paths (never
    /// carried); those `.gitignore` ignores (build output of the worker's commands, local
    /// settings) are marked.
    func changedSides(protected: ProtectedPaths) throws -> (LayerManifest, [Side]) {
        try recordNewBases()
        let manifest = try load()
        var ignore = GitIgnoreView(layer: self)
        var sides: [Side] = []
        for path in manifest.bases.keys.sorted() where protected.match(path) == nil {
            let base = try self.base(of: path, in: manifest) ?? nil
            let basePath = manifest.bases[path].flatMap { $0 }.map { baseDirectory + "/" + $0 } ?? "/dev/null"
            var worker: LayerEntry?
            var workerPath = "/dev/null"
            var mode: mode_t = 0o644
            switch lookup(path) {
            case .deleted: worker = nil
            case .workspace: continue
            case .layer(let copy):
                var info = stat()
                guard lstat(copy, &info) == 0, let entry = try LayerEntry.at(copy) else { continue }
                worker = entry
                workerPath = copy
                mode = info.st_mode & 0o777
            }
            if worker == base { continue }
            sides.append(Side(path: path, base: base, basePath: basePath, worker: worker, workerPath: workerPath, mode: mode,
                              ignored: ignore.isIgnored(path)))
        }
        return (manifest, sides)
    }

    /// The layer's changes, each file's line counts and the unified diff with `context` lines
    /// of context around each change.
    public func changes(protected: ProtectedPaths, context: Int = 3) async throws -> LayerChanges {
        let (manifest, sides) = try await BlockingWork.run { try self.changedSides(protected: protected) }
        var files: [LayerFileChange] = []
        var diff = ""
        for side in sides where !side.ignored {
            let (text, additions, deletions) = try await UnifiedDiff.of(side, status: side.status, context: context)
            files.append(LayerFileChange(path: side.path, status: side.status, additions: additions, deletions: deletions))
            diff += text
        }
        let ignored = sides.filter(\.ignored).map { LayerFileChange(path: $0.path, status: $0.status, additions: 0, deletions: 0) }
        return LayerChanges(workspace: manifest.workspace, createdAt: manifest.createdAt, state: manifest.state, files: files, diff: diff,
                            ignored: ignored)
    }

    /// What `apply` says when the worker's files all ended as they began.
    public static let nothingToApply = "the worker changed no files; there is nothing to apply"

    /// Writes the worker's changes (or those `paths` names, which may name ignored ones) into
    /// the workspace, all or nothing: a file the user changed since the base is merged when
    /// the two changes touch different lines (`diff3`), and is a conflict otherwise; on any
    /// conflict nothing is written. Without `paths`, what `.gitignore` ignores stays behind.
    public func apply(paths: [String]?, protected: ProtectedPaths) async throws -> LayerApplyOutcome {
        let state = try load().state
        guard state == .pending || state == .conflicted else {
            throw WorkspaceError("the worker's changes were already \(state.rawValue); there is nothing left to apply")
        }
        var (_, sides) = try await BlockingWork.run { try self.changedSides(protected: protected) }
        let all = sides
        if let paths {
            let wanted = Set(paths.map { $0.split(separator: "/").joined(separator: "/") })
            let unknown = wanted.subtracting(sides.map(\.path))
            guard unknown.isEmpty else {
                let known = sides.isEmpty ? "it changed none" : "it changed " + Self.list(sides.map(\.path))
                throw WorkspaceError("paths: \(Self.list(unknown.sorted())) \(unknown.count == 1 ? "is" : "are") not among the files this worker changed (\(known)); paths are relative to the workspace root, as `changes` lists them", field: "paths")
            }
            sides = sides.filter { wanted.contains($0.path) }
        } else {
            let ignored = sides.filter(\.ignored).map(\.path)
            sides = sides.filter { !$0.ignored }
            if sides.isEmpty, !ignored.isEmpty {
                throw WorkspaceError("the worker changed only files that .gitignore ignores (\(Self.list(ignored))); name them in paths to apply them anyway, or discard")
            }
        }
        guard !sides.isEmpty else {
            throw WorkspaceError(Self.nothingToApply)
        }
        var writes: [(Side, LayerEntry?)] = []
        var conflicts: [LayerApplyOutcome.Conflict] = []
        let chosen = sides
        let currents = try await BlockingWork.run {
            let workspace = try WorkspaceDirectory(self.workspaceRoot)
            return try chosen.map { try LayerEntry.inWorkspace($0.path, in: workspace) }
        }
        for (side, current) in zip(sides, currents) {
            if case .symlink(let target) = side.worker,
               let refusal = LayerEntry.symlinkRefusal(side.path, target: target, workspaceRoot: workspaceRoot, protected: protected) {
                conflicts.append(.init(path: side.path, reason: refusal))
                continue
            }
            switch try await Self.resolve(side, current: current, workspaceRoot: workspaceRoot) {
            case .write(let content): writes.append((side, content))
            case .unchanged: break
            case .conflict(let reason): conflicts.append(.init(path: side.path, reason: reason))
            }
        }
        if !conflicts.isEmpty {
            try await BlockingWork.run { try self.locked { try self.setState(.conflicted) } }
            return LayerApplyOutcome(applied: [], conflicts: conflicts, state: .conflicted)
        }
        let planned = writes
        let picked = Set(sides.map(\.path))
        // What `paths` left out still waits for review: the layer stays pending, its applied
        // files based on what they now are, so `changes` and the next `apply` show the rest.
        let rest = paths == nil ? [] : all.filter { !$0.ignored && !picked.contains($0.path) }
        let settled = rest.isEmpty ? [] : sides
        let applied = try await BlockingWork.run {
            try self.locked { try self.write(planned, protected: protected, rebasing: settled) }
        }
        return LayerApplyOutcome(applied: applied, conflicts: [], state: .applied)
    }

    /// Throws the layer's changes away; returns the paths that were changed.
    public func discard(protected: ProtectedPaths) async throws -> [String] {
        let state = try load().state
        guard state == .pending || state == .conflicted else {
            throw WorkspaceError("the worker's changes were already \(state.rawValue); there is nothing left to discard")
        }
        return try await BlockingWork.run {
            let paths = try self.changedSides(protected: protected).1.map(\.path)
            return try self.locked {
                try FileManager.default.removeItem(atPath: self.upper)
                _ = mkdir(self.upper, 0o700)
                try self.setState(.discarded)
                return paths
            }
        }
    }

    /// Up to ten paths, and how many more.
    static func list(_ paths: [String]) -> String {
        paths.prefix(10).joined(separator: ", ") + (paths.count > 10 ? " and \(paths.count - 10) more" : "")
    }

    enum Resolution { case write(LayerEntry?), unchanged, conflict(String) }

    /// What to write for one path given what the workspace holds there now.
    static func resolve(_ side: Side, current: LayerEntry?, workspaceRoot: String) async throws -> Resolution {
        if current == side.base { return .write(side.worker) }
        if current == side.worker { return .unchanged }
        switch (side.base, current, side.worker) {
        case (nil, _?, _):
            return .conflict("the workspace gained this file since the worker started, with other content")
        case (_?, nil, _):
            return .conflict("the file was deleted in the workspace since the worker started")
        case (_?, _?, nil):
            return .conflict("the worker deleted this file, and the workspace changed it since the worker started")
        case (.file?, .file(_, let executable)?, .file?):
            let merged = try await ProcessRunner.run(
                ["diff3", "--merge", "--text", workspaceRoot + "/" + side.path, side.basePath, side.workerPath],
                cwd: "/", environment: ["PATH": "/usr/bin:/bin", "LC_ALL": "C"], timeout: 60, outputCap: 64 << 20)
            if merged.exitCode == 0 { return .write(.file(merged.output, executable: side.executableChange ?? executable)) }
            if merged.exitCode == 1 {
                return .conflict("the workspace changed this file since the worker started, and the two changes overlap")
            }
            return .conflict("the workspace changed this file since the worker started, and merging failed: \(String(decoding: merged.output.prefix(300), as: UTF8.self))")
        case (_?, _?, _?):
            return .conflict("the workspace changed this path since the worker started, and a symlink cannot be merged with other changes")
        default:
            return .unchanged
        }
    }

    /// Writes the planned files into the workspace as one `StagedWrites` batch: all staged and
    /// flushed before the first lands, and put back on a failure. Marks the layer applied.
    /// With `rebasing` (a partial apply that leaves other changes waiting), those paths'
    /// bases become the worker's versions and the layer stays pending.
    private func write(_ planned: [(Side, LayerEntry?)], protected: ProtectedPaths, rebasing: [Side]) throws -> [String] {
        let batch = StagedWrites(workspace: try WorkspaceDirectory(workspaceRoot))
        for (side, content) in planned {
            let staged: StagedWrites.Content
            switch content {
            case .file(let data, _)?: staged = .file(data, mode: side.mode, executable: side.executableChange)
            case .symlink(let target)?: staged = .symlink(target)
            case nil: staged = .absent
            }
            try batch.stage(staged, at: side.path) { target in
                if let refusal = protected.refusal(target, shownAs: side.path, by: "apply") { throw refusal }
            }
        }
        try batch.sync()
        try batch.commit()
        batch.finish()
        let applied = planned.map(\.0.path)
        var manifest = try load()
        manifest.applied = (manifest.applied ?? []) + applied
        manifest.state = rebasing.isEmpty ? .applied : .pending
        for side in rebasing { manifest.bases[side.path] = .some(try copyBase(side.worker, index: manifest.bases.count)) }
        try save(manifest)
        return applied
    }
}

/// `.gitignore` rules as the worker sees them: each directory's file read through the layer,
/// once per directory.
struct GitIgnoreView {
    let layer: Layer
    private var rulesByDirectory: [String: GitIgnoreRules?] = [:]

    init(layer: Layer) { self.layer = layer }

    mutating func isIgnored(_ relative: String) -> Bool {
        let components = relative.split(separator: "/").map(String.init)
        var rules: [GitIgnoreRules] = []
        var directory = ""
        for (index, component) in components.enumerated() {
            if rulesByDirectory[directory] == nil { rulesByDirectory[directory] = .some(rulesOf(directory)) }
            if let own = rulesByDirectory[directory] ?? nil { rules.append(own) }
            let path = directory.isEmpty ? component : directory + "/" + component
            let isDirectory = index < components.count - 1
            var ignored = false
            for rule in rules { if let verdict = rule.verdict(for: path, isDirectory: isDirectory) { ignored = verdict } }
            if ignored { return true }
            directory = path
        }
        return false
    }

    private func rulesOf(_ directory: String) -> GitIgnoreRules? {
        let file = directory.isEmpty ? ".gitignore" : directory + "/.gitignore"
        let data: Data?
        switch layer.lookup(file) {
        case .deleted: data = nil
        case .layer(let path): data = try? LayerFiles.readLayerFile(path)
        case .workspace: data = try? LayerFiles.readWorkspaceFile(file, root: layer.workspaceRoot)
        }
        guard let data, let text = String(data: data, encoding: .utf8) else { return nil }
        return GitIgnoreRules(base: directory, text: text)
    }
}
