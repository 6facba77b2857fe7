import Foundation
import Testing
@testable import TraceStore

/// How the timeline page turns events into call segments and a span into axis ticks.
@Suite struct TimelineLayoutTests {
    @Test func modelCallsLastUntilTheAnswerAndToolCallsUntilTheirResult() {
        let events = [
            Fixture.event("s", "w", 1, kind: "started", at: 0),
            Fixture.event("s", "w", 2, kind: "model_call", at: 1, data: #"{"step":1,"model":"m-1"}"#),
            Fixture.event("s", "w", 3, kind: "tool_call", at: 3, data: #"{"id":"a","name":"read_file"}"#),
            Fixture.event("s", "w", 4, kind: "tool_call", at: 3, data: #"{"id":"b","name":"search"}"#),
            Fixture.event("s", "w", 5, kind: "tool_result", at: 4, data: #"{"id":"b"}"#),
            Fixture.event("s", "w", 6, kind: "tool_result", at: 6, data: #"{"id":"a"}"#),
            Fixture.event("s", "w", 7, kind: "model_call", at: 6, data: #"{"step":2}"#),
            Fixture.event("s", "w", 8, kind: "tool_call", at: 9, data: #"{"id":"c","name":"fetch_url"}"#),
        ]
        let segments = WorkerCall.calls(in: events, end: Fixture.start.addingTimeInterval(12))
        let shape = segments.map { "\($0.kind.rawValue) \($0.label) \(Int($0.start.timeIntervalSince(Fixture.start)))-\(Int($0.end.timeIntervalSince(Fixture.start)))" }
        #expect(shape == [
            "model model call 1 · m-1 1-3",
            "tool tool read_file 3-6",
            "tool tool search 3-4",
            "model model call 2 6-9",
            // Still open when the events end: it lasts until the bar's end.
            "tool tool fetch_url 9-12",
        ])
    }

    @Test func aTerminalEventClosesEverythingOpen() {
        let events = [
            Fixture.event("s", "w", 1, kind: "model_call", at: 0),
            Fixture.event("s", "w", 2, kind: "tool_call", at: 2, data: #"{"id":"a","name":"run_command"}"#),
            Fixture.event("s", "w", 3, kind: "timed_out", at: 5),
        ]
        let ends = WorkerCall.calls(in: events, end: Fixture.start.addingTimeInterval(60)).map { $0.end.timeIntervalSince(Fixture.start) }
        #expect(ends == [2, 5])
    }

    @Test func ticksFallOnRoundTimes() {
        let cases: [(TimeInterval, [String])] = [
            (0.8, ["0", "100ms", "200ms", "300ms", "400ms", "500ms", "600ms", "700ms", "800ms"]),
            (7, ["0", "1s", "2s", "3s", "4s", "5s", "6s", "7s"]),
            (127, ["0", "30s", "1m", "1m30s", "2m"]),
            (3 * 3600 + 5, ["0", "30m", "1h", "1h30m", "2h", "2h30m", "3h"]),
        ]
        for (span, labels) in cases {
            #expect(TimelineLayout.ticks(span: span).map(\.label) == labels, "\(span)")
        }
    }
}
