import Foundation
import Synchronization
import Testing

@testable import JSONRPC

/// Requests past `maxRunning` wait for a turn instead of each getting a task at once, and
/// the reader is told to stop past `maxWaiting`; a waiting request that is cancelled answers
/// at once. Without the limit a flooding client cost a task per request read: 1.5 GB.
@Suite struct InFlightLimitTests {
    /// Requests that wait until released; each records how many ran at once.
    final class Harness: Sendable {
        let requests = InFlightRequests(maxRunning: 2, maxWaiting: 3)
        let state = Mutex((running: 0, peak: 0, started: [Int](), answers: [String]()))
        let release = Mutex<[CheckedContinuation<Void, Never>]>([])

        func submit(_ number: Int) {
            requests.answer(id: .number("\(number)"), produce: { [self] in
                state.withLock { $0.running += 1; $0.peak = max($0.peak, $0.running); $0.started.append(number) }
                defer { state.withLock { $0.running -= 1 } }
                if Task.isCancelled { return Data("cancelled \(number)".utf8) }
                await withTaskCancellationHandler {
                    await withCheckedContinuation { continuation in release.withLock { $0.append(continuation) } }
                } onCancel: {}
                return Data("answer \(number)".utf8)
            }, send: { [self] data in state.withLock { $0.answers.append(String(decoding: data, as: UTF8.self)) } })
        }

        /// Lets the oldest waiting request end.
        func releaseOne() {
            release.withLock { waiting in
                if !waiting.isEmpty { waiting.removeFirst().resume() }
            }
        }

        func releaseAll() {
            release.withLock { waiting in
                waiting.forEach { $0.resume() }
                waiting.removeAll()
            }
        }

        func waitUntil(_ condition: @escaping @Sendable (Harness) -> Bool) async throws {
            for _ in 0..<400 where !condition(self) { try await Task.sleep(for: .milliseconds(5)) } // paces the checks; the wait is for the state
            #expect(condition(self))
        }
    }

    @Test func pastTheLimitRequestsWaitInOrderAndAllAreAnswered() async throws {
        let harness = Harness()
        for number in 1...4 { harness.submit(number) }
        try await harness.waitUntil { $0.release.withLock { $0.count } == 2 }
        #expect(harness.requests.count == 4)
        #expect(harness.requests.hasRoom, "2 wait, fewer than the 3 allowed")
        harness.submit(5)
        #expect(!harness.requests.hasRoom, "3 wait: the reader stops")
        harness.submit(6) // a request already read is still taken
        // One ends at a time, so the next to start is the oldest waiting one.
        for started in 3...6 {
            harness.releaseOne()
            try await harness.waitUntil { $0.state.withLock { $0.started.count } == started }
        }
        while harness.state.withLock({ $0.answers.count }) < 6 {
            harness.releaseAll()
            try await Task.sleep(for: .milliseconds(5)) // paces the releases and checks; the wait is for every answer
        }
        let state = harness.state.withLock { $0 }
        #expect(state.peak == 2)
        #expect(state.started.prefix(2).sorted() == [1, 2] && Array(state.started.dropFirst(2)) == [3, 4, 5, 6], "\(state.started)")
        #expect(Set(state.answers) == Set((1...6).map { "answer \($0)" }))
        try await harness.waitUntil { $0.requests.count == 0 }
    }

    /// The reader sleeps in `waitForRoom` while the queue is full and wakes when a request's
    /// end makes room (it used to poll every millisecond).
    @Test func aReaderWaitingForRoomWakesWhenARequestEnds() async throws {
        let harness = Harness()
        for number in 1...5 { harness.submit(number) }
        try await harness.waitUntil { $0.release.withLock { $0.count } == 2 }
        #expect(!harness.requests.hasRoom, "3 wait: full")
        let woke = Mutex(false)
        let reader = Thread { harness.requests.waitForRoom(); woke.withLock { $0 = true } }
        reader.start()
        harness.releaseOne()
        try await harness.waitUntil { _ in woke.withLock { $0 } }
        while harness.state.withLock({ $0.answers.count }) < 5 {
            harness.releaseAll()
            try await Task.sleep(for: .milliseconds(5)) // paces the polls: a started request may not be waiting yet
        }
    }

    @Test func aWaitingRequestThatIsCancelledAnswersAtOnce() async throws {
        let harness = Harness()
        for number in 1...4 { harness.submit(number) }
        try await harness.waitUntil { $0.release.withLock { $0.count } == 2 }
        #expect(harness.requests.cancel(id: .number("4")))
        try await harness.waitUntil { $0.state.withLock { $0.answers } == ["cancelled 4"] }
        harness.requests.cancelAll()
        harness.releaseAll()
        try await harness.waitUntil { $0.state.withLock { $0.answers.count } == 4 }
        #expect(harness.state.withLock { $0.answers.contains("cancelled 3") })
        #expect(!harness.requests.cancel(id: .number("4")))
        try await harness.waitUntil { $0.requests.count == 0 }
    }
}
