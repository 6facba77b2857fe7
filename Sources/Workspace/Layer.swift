import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A writing worker's layer: the files it changed, kept apart from the workspace until
/// `apply`. Its `upper` directory is an overlayfs upper layer over the workspace: the
/// worker's `write_file` writes there, its sandboxed commands see the workspace through an
/// overlay mount made in their own namespace (`Sandbox`), and bosun's own file tools
/// resolve a path in the layer first, then in the workspace (`lookup`). Deletions are
/// overlayfs whiteouts (a character device 0:0) and opaque directories.
///
/// Starting one creates three empty directories and a small manifest, whatever the size of
/// the tree. Layers live beside the trace store (never in the workspace or `/tmp`), one
/// directory per worker id, so they survive a crash and a resume and `bosun trace prune`
/// removes them with their workers.
///
/// The manifest records, for each path the worker touched, what the workspace held when it
/// first did (a copy in `base/`, or nothing when the file did not exist): `apply` compares
/// it with the workspace to find what the user changed meanwhile.
public struct Layer: Sendable, Hashable {
    /// The layer's own directory, `<layers>/<workerId>`.
    public let directory: String
    /// The workspace's real path: the lower layer.
    public let workspaceRoot: String

    public var upper: String { directory + "/upper" }
    /// overlayfs's work directory, beside `upper` on the same file system.
    public var work: String { directory + "/work" }
    var baseDirectory: String { directory + "/base" }
    var manifestPath: String { directory + "/layer.json" }

    /// The layers' directory beside a trace store file.
    public static func layersRoot(besideStore storePath: String) -> String {
        (storePath as NSString).deletingLastPathComponent + "/layers"
    }

    /// Opens the layer of `workerId`, creating it (empty) when it does not exist yet.
    public static func open(workerId: String, layersRoot: String, workspaceRoot: String) throws -> Layer {
        guard !workerId.isEmpty, !workerId.contains("/"), !workerId.hasPrefix(".") else {
            throw WorkspaceError("\(workerId) cannot name a layer")
        }
        let layer = Layer(directory: layersRoot + "/" + workerId, workspaceRoot: workspaceRoot)
        if access(layer.manifestPath, F_OK) == 0 { return layer }
        for path in [layersRoot, layer.directory, layer.upper, layer.work, layer.baseDirectory] {
            if mkdir(path, 0o700) != 0 && errno != EEXIST {
                throw WorkspaceError("cannot create the worker's layer at \(path): \(String(cString: strerror(errno)))")
            }
        }
        try layer.save(LayerManifest(workspace: workspaceRoot, createdAt: Date()))
        return layer
    }

    /// The existing layer of `workerId`, nil when it has none.
    public static func existing(workerId: String, layersRoot: String) -> Layer? {
        guard !workerId.isEmpty, !workerId.contains("/") else { return nil }
        let directory = layersRoot + "/" + workerId
        guard let data = FileManager.default.contents(atPath: directory + "/layer.json"),
              let manifest = try? LayerManifest.decode(data) else { return nil }
        return Layer(directory: directory, workspaceRoot: manifest.workspace)
    }

    /// The worker ids that have a layer under `layersRoot`.
    public static func workerIds(layersRoot: String) -> [String] {
        DirectoryReading.entries(in: layersRoot).map(\.name).filter { access(layersRoot + "/" + $0 + "/layer.json", F_OK) == 0 }
    }

    /// Removes the layer of `workerId` and everything in it.
    public static func remove(workerId: String, layersRoot: String) {
        guard !workerId.isEmpty, !workerId.contains("/"), !workerId.hasPrefix(".") else { return }
        try? FileManager.default.removeItem(atPath: layersRoot + "/" + workerId)
    }

    // MARK: Resolving a path

    /// Where `relative` (lexically normalized, relative to the workspace root) is for the worker.
    public enum Entry: Equatable, Sendable {
        /// The worker's own copy, at this absolute path in `upper`.
        case layer(String)
        /// The worker deleted it.
        case deleted
        /// Unchanged by the worker: read it from the workspace.
        case workspace
    }

    public func lookup(_ relative: String) -> Entry {
        var path = upper
        var hidesWorkspace = false
        let components = relative.split(separator: "/")
        for (index, component) in components.enumerated() {
            path += "/" + component
            var info = stat()
            guard lstat(path, &info) == 0 else { return hidesWorkspace ? .deleted : .workspace }
            let type = info.st_mode & S_IFMT
            if Self.isWhiteout(info) { return .deleted }
            let last = index == components.count - 1
            if type == S_IFDIR {
                if Self.isOpaque(path) { hidesWorkspace = true }
                if last { return hidesWorkspace ? .layer(path) : .workspace }
            } else {
                return last ? .layer(path) : .deleted
            }
        }
        return .workspace
    }

    static func isWhiteout(_ info: stat) -> Bool {
        (info.st_mode & S_IFMT) == S_IFCHR && info.st_rdev == 0
    }

    /// overlayfs marks a directory that replaced a deleted one (so hides the workspace's) with
    /// this extended attribute; `userxattr` mounts, the ones a user namespace may make, use it.
    static let opaqueAttribute = "user.overlay.opaque"

    static func isOpaque(_ path: String) -> Bool {
        GNUExtensions.firstXattrByte(path, opaqueAttribute) == UInt8(ascii: "y")
    }

    // MARK: The manifest

    func load() throws -> LayerManifest {
        guard let data = FileManager.default.contents(atPath: manifestPath) else {
            throw WorkspaceError("the worker's layer at \(directory) has no manifest; it was removed or never made")
        }
        do {
            return try LayerManifest.decode(data)
        } catch {
            throw WorkspaceError("the worker's layer manifest \(manifestPath) cannot be read: \(error)")
        }
    }

    func save(_ manifest: LayerManifest) throws {
        let data = try manifest.encoded()
        let temporary = manifestPath + ".tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: data),
              rename(temporary, manifestPath) == 0 else {
            throw WorkspaceError("cannot write the worker's layer manifest \(manifestPath): \(String(cString: strerror(errno)))")
        }
    }

    /// Runs `body` holding the layer's lock, so two writers (a tool and `apply`, or two
    /// processes on one store) never interleave their manifest updates.
    func locked<T>(_ body: () throws -> T) throws -> T {
        let fd = Glibc.open(directory + "/lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw WorkspaceError("cannot lock the worker's layer: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 && errno == EINTR {}
        return try body()
    }

    /// The state of the layer's review and the paths it touched, those `.gitignore` ignores
    /// (as the worker sees the `.gitignore` files) counted apart, as `changes` lists them.
    public func summary() throws -> LayerSummary {
        let manifest = try load()
        var ignore = GitIgnoreView(layer: self)
        var files: [String] = []
        var ignored = 0
        for path in manifest.bases.keys.sorted() {
            if ignore.isIgnored(path) { ignored += 1 } else { files.append(path) }
        }
        return LayerSummary(state: manifest.state, files: files, ignoredCount: ignored)
    }

    // MARK: Recording bases

    /// Records what the workspace holds at `relative` now, if nothing is recorded for it yet;
    /// `write_file` calls it before its first write to a path.
    public func recordBase(_ relative: String) throws {
        try locked {
            var manifest = try load()
            guard manifest.bases[relative] == nil else { return }
            manifest.bases[relative] = .some(try copyFromWorkspace(relative, index: manifest.bases.count))
            try save(manifest)
        }
    }

    /// Records the bases of whatever the layer gained that has none yet (what a command
    /// wrote or deleted through the overlay); called after each command. Returns the number
    /// of paths newly recorded.
    @discardableResult
    public func recordNewBases() throws -> Int {
        try locked {
            var manifest = try load()
            var added = 0
            for path in touchedPaths() where manifest.bases[path] == nil {
                manifest.bases[path] = .some(try copyFromWorkspace(path, index: manifest.bases.count))
                added += 1
            }
            if added > 0 { try save(manifest) }
            return added
        }
    }

    /// Copies the workspace's regular file or symlink at `relative` into `base/`; nil when there is none.
    private func copyFromWorkspace(_ relative: String, index: Int) throws -> String? {
        try copyBase(LayerEntry.inWorkspace(relative, in: WorkspaceDirectory(workspaceRoot)), index: index)
    }

    /// Keeps `entry` in `base/` under a name no other base has; nil for no entry.
    func copyBase(_ entry: LayerEntry?, index: Int) throws -> String? {
        guard let entry else { return nil }
        var name = String(index)
        var info = stat()
        while lstat(baseDirectory + "/" + name, &info) == 0 { name += "+" }
        let copy = baseDirectory + "/" + name
        let made: Bool
        switch entry {
        case .file(let content, let executable):
            made = FileManager.default.createFile(atPath: copy, contents: content) && chmod(copy, executable ? 0o755 : 0o644) == 0
        case .symlink(let target): made = symlink(target, copy) == 0
        }
        guard made else { throw WorkspaceError("cannot record a base in the worker's layer at \(copy): \(String(cString: strerror(errno)))") }
        return name
    }

    /// The base recorded for `relative`: `.some(nil)` when the workspace had nothing there.
    func base(of relative: String, in manifest: LayerManifest) throws -> LayerEntry?? {
        guard let entry = manifest.bases[relative] else { return nil }
        guard let name = entry else { return .some(nil) }
        return .some(try LayerEntry.at(baseDirectory + "/" + name) ?? .file(Data(), executable: false))
    }

    /// Every file path the upper layer holds or deletes: its regular files and symlinks,
    /// its whiteouts, and the workspace's files under a whiteout or opaque directory.
    func touchedPaths() -> [String] {
        var found: [String] = []
        collect("", into: &found)
        return found
    }

    private func collect(_ relative: String, into found: inout [String]) {
        let directory = relative.isEmpty ? upper : upper + "/" + relative
        for entry in DirectoryReading.entries(in: directory) {
            let path = relative.isEmpty ? entry.name : relative + "/" + entry.name
            var info = stat()
            guard lstat(upper + "/" + path, &info) == 0 else { continue }
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                if Self.isOpaque(upper + "/" + path) { found += LayerFiles.workspaceFiles(under: path, root: workspaceRoot) }
                collect(path, into: &found)
            case S_IFREG, S_IFLNK:
                found.append(path)
            default:
                guard Self.isWhiteout(info) else { continue }
                let below = LayerFiles.workspaceFiles(under: path, root: workspaceRoot)
                found += below.isEmpty ? [path] : below
            }
        }
    }

    /// Bytes and files in the upper layer, checked against the layer's limits.
    public func usage() -> (bytes: Int, files: Int) {
        var bytes = 0
        var files = 0
        func walk(_ directory: String) {
            for entry in DirectoryReading.entries(in: directory) {
                let path = directory + "/" + entry.name
                var info = stat()
                guard lstat(path, &info) == 0 else { continue }
                if (info.st_mode & S_IFMT) == S_IFDIR { walk(path) } else { files += 1; bytes += Int(info.st_size) }
            }
        }
        walk(upper)
        return (bytes, files)
    }

    /// Marks the review's outcome.
    func setState(_ state: LayerState) throws {
        var manifest = try load()
        manifest.state = state
        try save(manifest)
    }
}

/// Where a layer's review stands.
/// A layer as its worker's view shows it (`Layer.summary`).
public struct LayerSummary: Sendable, Hashable {
    public var state: LayerState
    /// The paths the layer touched that `.gitignore` does not ignore.
    public var files: [String]
    /// How many paths it touched that `.gitignore` ignores (build output, local settings).
    public var ignoredCount: Int

    public init(state: LayerState, files: [String], ignoredCount: Int) {
        self.state = state
        self.files = files
        self.ignoredCount = ignoredCount
    }

    /// Whether the layer touched any path, ignored ones included.
    public var touchedAny: Bool { !files.isEmpty || ignoredCount > 0 }
}

public enum LayerState: String, Codable, Sendable {
    /// Changes wait for review (or the layer is still empty).
    case pending
    /// `apply` wrote them into the workspace.
    case applied
    /// `discard` threw them away.
    case discarded
    /// The last `apply` found conflicts and wrote nothing; the changes still wait.
    case conflicted
}

/// The layer's manifest file, `layer.json`.
struct LayerManifest: Codable, Sendable {
    var workspace: String
    var createdAt: Date
    var state: LayerState = .pending
    /// For each path the worker touched, the name of its base copy in `base/`, or nil when
    /// the workspace had no such file.
    var bases: [String: String?] = [:]
    /// The paths `apply` wrote (each `apply` with `paths` adds its own).
    var applied: [String]?

    init(workspace: String, createdAt: Date) {
        self.workspace = workspace
        self.createdAt = createdAt
    }

    static func decode(_ data: Data) throws -> LayerManifest {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(LayerManifest.self, from: data)
    }

    func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return try encoder.encode(self)
    }
}
