import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A pids cgroup holding one command, where bosun may make one: the kernel refuses the
/// command's forks past its `pids.max`. It bounds the process count also when bosun runs as
/// root, which the kernel exempts from `RLIMIT_NPROC`. Found on a cgroup v1 `pids`
/// hierarchy, or at the root of a cgroup v2 one that delegates `pids`; elsewhere (a user
/// without a writable cgroup) the sandbox's resource limit bounds the count alone.
final class PidsCgroup: Sendable {
    let path: String

    /// Where command cgroups are made: probed once per process; nil where none can be.
    private static let parent: String? = {
        guard let mounts = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8) else { return nil }
        for line in mounts.split(separator: "\n") {
            // "… mountpoint options - fstype source superoptions"
            let halves = line.components(separatedBy: " - ")
            guard halves.count == 2 else { continue }
            let fields = halves[0].split(separator: " "), tail = halves[1].split(separator: " ")
            guard fields.count > 4, tail.count > 2 else { continue }
            let mountPoint = String(fields[4])
            let usable = tail[0] == "cgroup" && tail[2].split(separator: ",").contains("pids")
                || tail[0] == "cgroup2" && ((try? String(contentsOfFile: "\(mountPoint)/cgroup.subtree_control", encoding: .utf8))?
                    .split(whereSeparator: \.isWhitespace).contains("pids") ?? false)
            guard usable else { continue }
            let probe = "\(mountPoint)/bosun-probe-\(getpid())"
            guard mkdir(probe, 0o755) == 0 else { continue }
            rmdir(probe)
            return mountPoint
        }
        return nil
    }()

    private static let counter = Atomic<Int>(0)

    /// A new cgroup allowing `maxProcesses` tasks, holding process `pid` and every process
    /// it has started so far; nil where none can be made.
    init?(holding pid: pid_t, maxProcesses: Int) {
        guard let parent = Self.parent else { return nil }
        let number = Self.counter.add(1, ordering: .relaxed).newValue
        path = "\(parent)/bosun-\(getpid())-\(number)"
        guard mkdir(path, 0o755) == 0 else { return nil }
        guard Self.write("\(maxProcesses)", to: "\(path)/pids.max"), add(treeOf: pid) else {
            remove()
            return nil
        }
    }

    /// Moves process `pid` and every process it has started so far into the cgroup (each
    /// process starts in its parent's cgroup, so whatever they start afterwards is inside):
    /// the parent first, so a child it starts meanwhile is either inside or already listed.
    private func add(treeOf pid: pid_t) -> Bool {
        guard Self.write("\(pid)", to: "\(path)/cgroup.procs") else { return false }
        var pending = [pid]
        while let next = pending.popLast() {
            for child in Self.children(of: next) {
                guard Self.write("\(child)", to: "\(path)/cgroup.procs") else { return false }
                pending.append(child)
            }
        }
        return true
    }

    private static func children(of pid: pid_t) -> [pid_t] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        return tasks.flatMap { task in
            ((try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/children", encoding: .utf8)) ?? "")
                .split(separator: " ").compactMap { pid_t($0) }
        }
    }

    /// Removes the cgroup once its processes are gone (they die with the sandbox's PID
    /// namespace, a moment after its first process); gives up after about a second.
    func remove() {
        for _ in 0..<100 {
            if rmdir(path) == 0 || errno == ENOENT { return }
            usleep(10_000)
        }
    }

    private static func write(_ text: String, to file: String) -> Bool {
        let fd = open(file, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return text.withCString { Glibc.write(fd, $0, strlen($0)) } == text.utf8.count
    }
}
