import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The file operations bosun's own tools make through a layer.
extension Layer {
    /// The file at `relative` as the worker sees it: its layer's copy, else the workspace's;
    /// nil when there is none (or it is not a regular file).
    public func content(of relative: String) throws -> Data? {
        switch lookup(relative) {
        case .deleted: return nil
        case .layer(let copy): return try LayerFiles.readLayerFile(copy)
        case .workspace: return try LayerFiles.readWorkspaceFile(relative, root: workspaceRoot)
        }
    }

    /// Writes `data` at `relative` in the layer, recording the base first; a file the
    /// workspace has keeps its permission bits.
    public func write(_ data: Data, to relative: String, shownAs path: String) throws {
        var mode: mode_t = 0o644
        var info = stat()
        switch lookup(relative) {
        case .layer(let copy): if lstat(copy, &info) == 0 { mode = info.st_mode & 0o777 }
        case .workspace: if lstat(workspaceRoot + "/" + relative, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG { mode = info.st_mode & 0o777 }
        case .deleted: break
        }
        try recordBase(relative)
        let directory = try LayerFiles.openUpperDirectory((relative as NSString).deletingLastPathComponent, upper: upper)
        defer { close(directory) }
        try WholeFile.replace((relative as NSString).lastPathComponent, in: directory, with: data, mode: mode, shownAs: path)
    }

    /// The files under `start` (relative; `""` for the root) as the worker sees them, in
    /// sorted order, honouring `.gitignore` the way `WorkspaceWalker` does.
    public func files(under start: String) -> [String] {
        var found = Set<String>()
        let workspaceStart = start.isEmpty ? workspaceRoot : workspaceRoot + "/" + start
        WorkspaceWalker(root: workspaceRoot).walk(from: workspaceStart) { entry in
            if lookup(entry.relativePath) == .workspace { found.insert(entry.relativePath) }
            return true
        }
        let upperStart = start.isEmpty ? upper : upper + "/" + start
        var info = stat()
        if lstat(upperStart, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR {
            var ignore = GitIgnoreView(layer: self)
            WorkspaceWalker(root: upper).walk(from: upperStart) { entry in
                if !ignore.isIgnored(entry.relativePath) { found.insert(entry.relativePath) }
                return true
            }
        }
        return found.sorted()
    }
}
