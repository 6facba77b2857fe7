import BosunJSON
import Config
import Foundation
import Testing
@testable import Workers

/// search runs ripgrep: any pattern ends in linear time, errors come back to the model.
@Suite struct SearchToolTests {
    @Test func aPathologicalPatternEndsAtOnce() async throws {
        let workspace = try TestWorkspace()
        defer { workspace.remove() }
        try workspace.write("p.txt", String(repeating: String(repeating: "a", count: 31) + "!\n", count: 200))
        try workspace.write("q.txt", "aaa!x\n")
        let output = await call(SearchTool(policy: ToolPolicy()), ["pattern": "(.*){12}!x"], workspace.context())
        #expect(output.text == "q.txt:1: aaa!x", "\(output.text)")
    }

    @Test func invalidPatternsAndAMissingRipgrepAreExplained() async throws {
        let workspace = try TestWorkspace()
        defer { workspace.remove() }
        try workspace.write("a.txt", "a\n")
        let invalid = await call(SearchTool(policy: ToolPolicy()), ["pattern": "("], workspace.context())
        #expect(invalid.isError && invalid.text.contains("unclosed group"), "\(invalid.text)")
        let missing = await call(SearchTool(policy: ToolPolicy(), ripgrep: nil), ["pattern": "a"], workspace.context())
        #expect(missing.isError && missing.text.contains("apt-get install ripgrep"), "\(missing.text)")
        let unsandboxed = await call(SearchTool(policy: ToolPolicy(), bwrap: nil), ["pattern": "a"], workspace.context())
        #expect(unsandboxed.isError && unsandboxed.text.contains("allowUnsandboxed"), "\(unsandboxed.text)")
        let allowed = await call(SearchTool(policy: ToolPolicy(sandbox: .allowUnsandboxed), bwrap: nil), ["pattern": "a"], workspace.context())
        #expect(allowed.text == "a.txt:1: a", "\(allowed.text)")
    }
}
