import Testing
@testable import MCPServer

/// What the instructions tell a calling model about when to hand work off.
@Suite struct MCPInstructionsTests {
    @Test func smallJobsAreDoneByTheCallerNotSpawned() {
        let text = MCPInstructions.text
        #expect(text.contains("Do small things yourself. A job you can finish in under ~30 seconds"))
        #expect(!text.contains("quick job"), "the instructions still send a quick job to a worker")
        #expect(!text.contains("spawn with wait: true"))
    }
}
