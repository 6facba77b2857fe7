#if canImport(Glibc)
import Glibc
#endif

/// The two reads the workspace walker makes, straight on the system calls: FileManager's
/// versions cost more than the walk itself in profiles (issue 6). Each answers as the
/// FileManager call it replaces did.
enum DirectoryReading {
    /// An entry of a directory, with its type as readdir(3) tells it (`S_IFREG`, `S_IFDIR`,
    /// `S_IFLNK`, ...) or nil when the file system does not say (then lstat it).
    struct Entry {
        let name: String
        let type: mode_t?
    }

    /// The entries of `directory` but `.` and `..`, in readdir's order; none when it cannot be
    /// read. Names that are not UTF-8 are left out: `contentsOfDirectory` repaired them with
    /// U+FFFD, and the walker's lstat of the repaired name failed.
    static func entries(in directory: String) -> [Entry] {
        guard let stream = opendir(directory) else { return [] }
        defer { closedir(stream) }
        var entries: [Entry] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(validating: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard let name, name != ".", name != ".." else { continue }
            // DTTOIF: a DT_* type is the S_IF* type shifted right by 12 bits; DT_UNKNOWN is 0.
            let type = entry.pointee.d_type
            entries.append(Entry(name: name, type: type == 0 ? nil : mode_t(type) << 12))
        }
        return entries
    }

    /// The file's text, nil when it cannot be opened or read or is not UTF-8. A leading
    /// byte-order mark is dropped, as `String(data:encoding: .utf8)` did.
    static func utf8Text(ofFile path: String) -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count > 0 { bytes += chunk[..<count]; continue }
            if count == 0 { break }
            if errno != EINTR { return nil }
        }
        let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
        return String(validating: bytes.starts(with: bom) ? bytes[3...] : bytes[...], as: UTF8.self)
    }
}
