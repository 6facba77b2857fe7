import Foundation

/// A `sleep` length no other process on the machine has in its command line: a test's
/// command sleeps it, and `sleepers(of:)` then sees that command start and end.
public func markerSleepSeconds() -> String { "37.\(Int.random(in: 100_000...999_999))" }

/// How many processes on this machine run `sleep seconds` (sandboxed ones included: their
/// PID namespace is a child of this one).
public func sleepers(of seconds: String) -> Int {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.filter { Int($0) != nil }.filter { pid in
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
        let args = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        return args.count >= 2 && args.last == seconds && args.contains { $0.hasSuffix("sleep") }
    }.count
}
