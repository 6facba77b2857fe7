import BosunJSON
import Config
import Foundation
import Testing
@testable import Workers
import Workspace

/// Each bound of the command sandbox stops what goes past it, and the worker is told which
/// limit it met; each case has a control, the same command under a looser bound, which
/// passes (so it is the bound that stopped it).
@Suite(.serialized) struct SandboxLimitsTests {
    let policy = ToolPolicy(commandTimeoutSeconds: 60)

    func run(_ command: [String], _ limits: SandboxLimits) async throws -> ToolOutput {
        let bwrap = try #require(Sandbox.bwrapPath, "bubblewrap must be installed and usable: apt-get install bubblewrap")
        let workspace = try TestWorkspace()
        defer { workspace.remove() }
        let tool = RunCommandTool(policy: policy, bwrap: bwrap, limits: limits)
        return await call(tool, ["command": .array(command.map(JSONValue.string))],
                          workspace.context(permissions: ToolPermissions(exec: true)))
    }

    @Test func writingPastTheTmpfsSizeIsRefused() async throws {
        for directory in ["/tmp", "$HOME"] {
            let fill = ["/bin/sh", "-c", "dd if=/dev/zero of=\(directory)/fill bs=1M count=48 && echo wrote"]
            let bounded = try await run(fill, SandboxLimits(tmpfsMB: 16))
            #expect(bounded.isError && bounded.text.contains("No space left on device"), "\(bounded.text)")
            #expect(bounded.text.contains("sandbox limit met: a disk was full: the sandbox's /tmp and home directory hold 16 MB each"),
                    "\(bounded.text)")
            let control = try await run(fill, SandboxLimits(tmpfsMB: 64))
            #expect(!control.isError && control.text.contains("wrote"), "\(control.text)")
        }
    }

    @Test func aForkBombIsBounded() async throws {
        // 300 sleeping children, started one after another; the shell stops at the first refused fork.
        let bomb = ["/bin/sh", "-c", "i=0; while [ $i -lt 300 ]; do sleep 30 & i=$((i+1)); done; echo started $i"]
        let bounded = try await run(bomb, SandboxLimits(maxProcesses: 32))
        #expect(bounded.isError && !bounded.text.contains("started 300"), "\(bounded.text)")
        #expect(bounded.text.contains("sandbox limit met: the command met the sandbox's limit of 32 processes"), "\(bounded.text)")
        let control = try await run(bomb, SandboxLimits(maxProcesses: 400))
        #expect(control.text.contains("started 300"), "\(control.text)")
    }

    @Test func aMemoryHogIsBounded() async throws {
        let hog = ["/usr/bin/python3", "-c", "x = bytearray(256 << 20); print('allocated')"]
        let bounded = try await run(hog, SandboxLimits(memoryMB: 64))
        #expect(bounded.isError && bounded.text.contains("MemoryError"), "\(bounded.text)")
        #expect(bounded.text.contains("sandbox limit met: a process met the sandbox's limit of 64 MB of memory"), "\(bounded.text)")
        let control = try await run(hog, SandboxLimits(memoryMB: 1_024))
        #expect(!control.isError && control.text.contains("allocated"), "\(control.text)")
    }

    @Test func openFilesAndFileSizesAreBounded() async throws {
        let opener = ["/usr/bin/python3", "-c", "f = [open('/dev/null') for _ in range(200)]; print('opened')"]
        let files = try await run(opener, SandboxLimits(maxOpenFiles: 64))
        #expect(files.isError && files.text.contains("sandbox limit met: a process met the sandbox's limit of 64 open files"),
                "\(files.text)")
        #expect(try await run(opener, SandboxLimits(maxOpenFiles: 1_024)).text.contains("opened"))

        let writer = ["dd", "if=/dev/zero", "of=/tmp/big", "bs=1M", "count=8"]
        let size = try await run(writer, SandboxLimits(maxFileMB: 2))
        #expect(size.isError && size.text.contains("sandbox limit met: a file reached the sandbox's limit of 2 MB per file"),
                "\(size.text)")
        #expect(!(try await run(writer, SandboxLimits(maxFileMB: 16)).isError))
    }

    @Test func aRolesSandboxBlockReplacesTheDefaults() throws {
        let limits = ToolRegistry.sandboxLimits(SandboxOverrides(tmpfsMB: 64, maxProcesses: 10))
        #expect(limits == SandboxLimits(tmpfsMB: 64, maxProcesses: 10))
        #expect(ToolRegistry.sandboxLimits(SandboxOverrides()) == SandboxLimits())
    }
}
