import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Opens paths beneath a directory descriptor so that no symlink, `..` or racing swap can
/// lead outside it: resolving a path and then opening it by name leaves a window in which
/// a directory can be replaced by a symlink to `../outside` (issue 13 saw 42 escapes in
/// 4,000 reads). The kernel's `openat2` with `RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS`
/// resolves and opens in one step; where it is missing (Linux before 5.6, or filtered by a
/// seccomp profile) the path is walked one component at a time with `O_NOFOLLOW`, each
/// symlink read and resolved by hand against the descriptors already held.
///
/// Either way: absolute symlinks and `..` above the directory fail with `EXDEV`, loops with
/// `ELOOP`, `/proc` magic links never resolve.
enum BeneathOpener {
    static let O_PATH = GNUExtensions.openPathFlag
    /// `SYS_openat2`: the same number on every architecture Linux added it to.
    private static let openat2Number = 437
    private static let resolveNoMagicLinks: UInt64 = 0x02
    private static let resolveBeneath: UInt64 = 0x08
    /// Linux's limit on symlinks followed in one lookup.
    private static let maxSymlinks = 40

    /// Whether the kernel answers `openat2` (probed once).
    static let kernelResolves: Bool = {
        let fd = viaOpenat2(AT_FDCWD, ".", flags: O_PATH | O_CLOEXEC, mode: 0)
        if fd >= 0 { close(fd); return true }
        return errno != ENOSYS && errno != EPERM
    }()

    /// A descriptor for `relative` beneath `directory`, or -1 with `errno` set.
    static func open(_ relative: String, beneath directory: Int32, flags: Int32, mode: mode_t = 0, useKernel: Bool = kernelResolves) -> Int32 {
        let path = relative.isEmpty ? "." : relative
        if useKernel {
            while true {
                let fd = viaOpenat2(directory, path, flags: flags | O_CLOEXEC, mode: mode)
                if fd < 0 && (errno == EAGAIN || errno == EINTR) { continue }
                return fd
            }
        }
        return byComponents(path, beneath: directory, flags: flags | O_CLOEXEC, mode: mode)
    }

    private static func viaOpenat2(_ directory: Int32, _ path: String, flags: Int32, mode: mode_t) -> Int32 {
        // struct open_how { __u64 flags; __u64 mode; __u64 resolve; }
        var how: (UInt64, UInt64, UInt64) = (UInt64(UInt32(bitPattern: flags)), UInt64(mode), resolveBeneath | resolveNoMagicLinks)
        return path.withCString { cPath in
            withUnsafeMutablePointer(to: &how) { pointer in
                Int32(truncatingIfNeeded: GNUExtensions.syscall4(openat2Number, Int(directory), cPath, pointer,
                                                                 MemoryLayout<(UInt64, UInt64, UInt64)>.size))
            }
        }
    }

    /// The fallback: each directory opened with `O_NOFOLLOW` relative to the one before, a
    /// stack of them kept for `..`, symlinks spliced into the components still to walk.
    private static func byComponents(_ path: String, beneath directory: Int32, flags: Int32, mode: mode_t) -> Int32 {
        if path.hasPrefix("/") { errno = EXDEV; return -1 }
        var remaining = path.split(separator: "/").map(String.init).reversed() as [String]
        var stack: [Int32] = []
        defer { stack.forEach { close($0) } }
        var current: Int32 { stack.last ?? directory }
        var followed = 0
        if remaining.isEmpty { remaining = ["."] }
        while let component = remaining.popLast() {
            let isLast = remaining.isEmpty
            if component == "." && !isLast { continue }
            if component == ".." {
                guard let top = stack.popLast() else { errno = EXDEV; return -1 }
                close(top)
                if isLast { return openat(current, ".", flags, mode) }
                continue
            }
            if isLast {
                let fd = openat(current, component, flags | O_NOFOLLOW, mode)
                if fd >= 0 || (errno != ELOOP && errno != ENOTDIR) { return fd }
                // O_NOFOLLOW on a symlink fails with ELOOP (ENOTDIR with O_DIRECTORY): resolve it by hand.
                guard isSymlink(current, component) else { return fd }
            } else {
                let fd = openat(current, component, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                if fd >= 0 { stack.append(fd); continue }
                guard errno == ENOTDIR || errno == ELOOP, isSymlink(current, component) else { return -1 }
            }
            followed += 1
            guard followed <= maxSymlinks, let target = readLink(current, component) else { errno = ELOOP; return -1 }
            if target.hasPrefix("/") { errno = EXDEV; return -1 }
            remaining += target.split(separator: "/").map(String.init).reversed()
            if remaining.isEmpty { remaining = ["."] }
        }
        return openat(current, ".", flags, mode)
    }

    private static func isSymlink(_ directory: Int32, _ name: String) -> Bool {
        var info = stat()
        return fstatat(directory, name, &info, AT_SYMLINK_NOFOLLOW) == 0 && (info.st_mode & S_IFMT) == S_IFLNK
    }

    private static func readLink(_ directory: Int32, _ name: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 4097)
        let count = readlinkat(directory, name, &buffer, 4096)
        guard count > 0 else { return nil }
        return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The path an open descriptor refers to now, as the kernel names it.
    static func currentPath(of descriptor: Int32) -> String? {
        var buffer = [CChar](repeating: 0, count: 4097)
        let count = readlink("/proc/self/fd/\(descriptor)", &buffer, 4096)
        guard count > 0 else { return nil }
        return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
