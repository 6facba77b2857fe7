import Foundation

/// Where the store file lives, and making its directory and file with private permissions.
enum StoreLocation {
    static func defaultPath(environment: [String: String]) -> String {
        if let state = environment["XDG_STATE_HOME"], state.hasPrefix("/") {
            return state + "/bosun/bosun.sqlite"
        }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return home + "/.local/state/bosun/bosun.sqlite"
    }

    /// Expands a leading `~/` and makes the path absolute, so messages name the real file.
    static func normalize(_ path: String) -> String {
        var path = path
        if path == "~" || path.hasPrefix("~/") {
            path = NSHomeDirectory() + path.dropFirst()
        }
        if !path.hasPrefix("/") {
            path = FileManager.default.currentDirectoryPath + "/" + path
        }
        return path
    }

    /// Creates missing parent directories (0700) and the file itself (0600) if absent.
    static func prepare(_ path: String) throws(TraceStoreError) {
        guard !path.isEmpty, !path.hasSuffix("/") else {
            throw .badPath(path: path, reason: "it does not name a file")
        }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            if isDirectory.boolValue { throw .badPath(path: path, reason: "it is a directory") }
            return
        }
        try makeDirectories((path as NSString).deletingLastPathComponent)
        let descriptor = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
        if descriptor >= 0 {
            close(descriptor)
        } else if errno != EEXIST {
            throw .cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
    }

    private static func makeDirectories(_ directory: String) throws(TraceStoreError) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw .badPath(path: directory, reason: "it is a file, not a directory")
            }
            return
        }
        let parent = (directory as NSString).deletingLastPathComponent
        if parent != directory { try makeDirectories(parent) }
        if mkdir(directory, 0o700) != 0 && errno != EEXIST {
            throw .badPath(path: directory, reason: "cannot create the directory: \(String(cString: strerror(errno)))")
        }
    }
}
