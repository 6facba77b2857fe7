import BosunJSON
import BosunProtocol
import Foundation
import Providers
import Testing
@testable import Orchestration

/// A worker's terminal `worker/event` goes out with its data as the session wrote it once for
/// the trace (the outcome's text spliced in, not built and written again), and those bytes are
/// the ones writing the typed event gives.
@Suite struct TerminalNotificationTests {
    @Test func aSuccessWithAStructuredResultAndAFailureGoOutAsTheTypedEventWrites() async throws {
        let harness = try SessionHarness()
        let log = NotificationLog()
        let client = FakeModelClient { request in
            let brief = "\(request.messages.first?.content ?? [])"
            if brief.contains("Fail") {
                return ModelReply(content: [.text("no \"quotes\"\n")], stopReason: .endTurn, usage: Usage())
            }
            let input: JSONValue = ["count": 3, "why": "a/b \"c\"\té", "list": [1.5, nil, true, ["z": 1, "a": "x"]]]
            return ModelReply(content: [.toolUse(id: "s", name: "submit_result", input: input)],
                              stopReason: .toolUse, usage: Usage(inputTokens: 7, outputTokens: 3))
        }
        let session = try await harness.open(client, log: log)
        let schema: JSONValue = ["type": "object", "properties": ["count": ["type": "integer"]], "required": ["count"]]
        let succeeded = try await session.spawn(SpawnParams(task: "Count", output: .init(schema: schema), wait: true))
        let failed = try await session.spawn(SpawnParams(task: "Fail", limits: LimitOverrides(maxSteps: 1), wait: true))
        #expect(succeeded.state == .succeeded && succeeded.result?.structured?["list"] != nil)
        #expect(failed.state == .failed && failed.error != nil)

        for (worker, kind, member) in [(succeeded, "succeeded", "result"), (failed, "failed", "error")] {
            let terminal = try #require(log.all.first {
                $0.method == BosunNotification.workerEvent && $0.params["workerId"]?.stringValue == worker.id
                    && $0.params["kind"]?.stringValue == kind
            })
            let written = try #require(terminal.written, "the terminal event of \(worker.id) was not sent as written")
            // `params` is the typed event's value: what the notification carried before.
            #expect(written.data == Data(terminal.params.jsonBytes()),
                    "\(String(decoding: written.data, as: UTF8.self))\n\(terminal.params.jsonString())")
            let sent = try JSONValue.parse(written.data)
            #expect(sent["data"]?[member] != nil)
        }
        await session.close()
        await harness.cleanUp()
    }
}
