import Foundation
import Testing
import TestSupport
@testable import Workspace
#if canImport(Glibc)
import Glibc
#endif

/// Both ways of opening beneath the root answer alike: the kernel's `openat2` and the
/// component-by-component walk used where the kernel lacks it.
@Suite struct BeneathOpenerTests {
    @Test(arguments: [true, false])
    func escapesAreRefusedAndInsideSymlinksFollowed(useKernel: Bool) throws {
        let root = TemporaryDirectory(prefix: "bosun-beneath")
        let outside = TemporaryDirectory(prefix: "bosun-beneath-outside")
        defer { root.remove(); outside.remove() }
        try outside.write("secret.txt", "SECRET")
        try root.write("dir/inside.txt", "inside")
        let links: [(String, String)] = [
            ("abs_out", outside.path + "/secret.txt"), ("abs_in", root.path + "/dir/inside.txt"),
            ("rel_out", "../\((outside.path as NSString).lastPathComponent)/secret.txt"), ("rel_in", "dir/inside.txt"),
            ("dir/up_in", "../dir/inside.txt"), ("dir_link", "dir"), ("chain", "dir_link/up_in"),
            ("loop1", "loop2"), ("loop2", "loop1"), ("magic", "/proc/self/root/etc/passwd"), ("dangling", "missing"),
        ]
        for (name, target) in links { try FileManager.default.createSymbolicLink(atPath: "\(root.path)/\(name)", withDestinationPath: target) }
        let directory = open(root.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        defer { close(directory) }

        func outcome(_ path: String) -> String {
            let fd = BeneathOpener.open(path, beneath: directory, flags: O_RDONLY, useKernel: useKernel)
            guard fd >= 0 else { return "errno \(errno)" }
            defer { close(fd) }
            var buffer = [UInt8](repeating: 0, count: 64)
            let count = read(fd, &buffer, 64)
            return String(decoding: buffer[..<max(count, 0)], as: UTF8.self)
        }
        let expected: [(String, String)] = [
            ("dir/inside.txt", "inside"), ("./dir/../dir/inside.txt", "inside"), ("rel_in", "inside"),
            ("dir/up_in", "inside"), ("dir_link/inside.txt", "inside"), ("chain", "inside"),
            ("abs_out", "errno \(EXDEV)"), ("abs_in", "errno \(EXDEV)"), ("rel_out", "errno \(EXDEV)"),
            ("../x", "errno \(EXDEV)"), ("dir/../../x", "errno \(EXDEV)"), ("magic", "errno \(EXDEV)"),
            ("loop1", "errno \(ELOOP)"), ("dangling", "errno \(ENOENT)"), ("missing.txt", "errno \(ENOENT)"),
        ]
        for (path, answer) in expected {
            #expect(outcome(path) == answer, "\(path) (kernel: \(useKernel))")
        }
    }
}
