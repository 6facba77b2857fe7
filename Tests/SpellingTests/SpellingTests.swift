import Testing

@testable import Spelling

@Suite struct SpellingSuggestions {
    @Test(arguments: [
        ("wiat", ["task", "wait", "limits"], "wait"),
        ("limit", ["limits", "inputs"], "limits"),
        ("serv", ["serve", "trace", "top"], "serve"),
        ("maxStep", ["maxSteps", "maxTokens"], "maxSteps"),
        ("MaxSteps", ["maxSteps"], "maxSteps"),
        ("timeoutSecond", ["timeoutSeconds", "maxSteps"], "timeoutSeconds"),
        ("modle", ["model", "role"], "model"),
    ])
    func aCloseNameIsSuggested(typed: String, known: [String], expected: String) {
        #expect(Spelling.closest(to: typed, among: known) == expected)
        #expect(Spelling.suggestion(for: typed, among: known) == " (did you mean '\(expected)'?)")
    }

    @Test(arguments: [
        ("frobnicate", ["serve", "trace", "top"]),
        ("x", ["task", "wait"]),
        ("colour", ["task", "wait"]),
    ])
    func aFarNameGetsNoSuggestion(typed: String, known: [String]) {
        #expect(Spelling.closest(to: typed, among: known) == nil)
        #expect(Spelling.suggestion(for: typed, among: known) == "")
    }

    @Test func theClosestWinsAndTiesGoToTheFirst() {
        #expect(Spelling.closest(to: "tace", among: ["trace", "task"]) == "trace")
        #expect(Spelling.closest(to: "tast", among: ["task", "test"]) == "task")
    }

    @Test func aSwapOfNeighboursIsOneEdit() {
        #expect(Spelling.editDistance(Array("wiat"), Array("wait")) == 1)
        #expect(Spelling.editDistance(Array("kitten"), Array("sitting")) == 3)
        #expect(Spelling.editDistance([], Array("abc")) == 3)
    }
}
