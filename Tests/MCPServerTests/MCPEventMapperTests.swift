import BosunJSON
import BosunProtocol
import Foundation
import JSONRPC
import Synchronization
import Testing

@testable import MCPServer

/// Session events as MCP notifications: progress that only increases, and a status
/// notification when a worker spawned as a task ends.
@Suite struct MCPEventMapperTests {
    @Test func progressOnlyIncreasesAndEndsAtTheStepLimit() throws {
        let notes = Notes()
        let mapper = MCPEventMapper(notifier: notes, sendsTaskStatus: true)
        func progress(_ stage: WorkerProgress.Stage, steps: Int) {
            mapper.map(.progress(WorkerProgress(token: "t", workerId: "w_1", stage: stage, message: "m\(steps)",
                                                steps: steps, maxSteps: 20)))
        }
        progress(.begin(title: "worker"), steps: 0)
        progress(.report, steps: 1)
        progress(.report, steps: 1)  // a tool call within the same step: nothing new to report
        progress(.report, steps: 2)
        progress(.end(.succeeded), steps: 2)
        let sent = notes.all
        #expect(sent.map(\.method) == Array(repeating: "notifications/progress", count: 4))
        #expect(sent.map { $0.params["progress"]?.doubleValue } == [0, 1, 2, 20])
        #expect(sent.allSatisfy { $0.params["total"] == 20 && $0.params["progressToken"] == "t" })
        #expect(sent.map(\.droppable) == [false, true, true, false])
    }

    @Test func theEndOfATaskIsAnnouncedWithTheWholeTask() throws {
        let notes = Notes()
        let mapper = MCPEventMapper(notifier: notes, sendsTaskStatus: true)
        let worker = Worker(id: "w_task", role: "worker", model: "fast", state: .running, task: "t",
                            createdAt: "2026-01-01T00:00:00.000Z", steps: 0, usage: WorkerUsage())
        mapper.track(task: worker)
        let ended = WorkerEventData.ended(.init(state: .failed, steps: 3, costUSD: 0, result: nil,
                                                error: Worker.Failure(code: .maxSteps, message: "Too many steps.")))
        let succeeded = WorkerEventData.ended(.init(state: .succeeded, steps: 1, costUSD: 0, result: nil, error: nil))
        let step = WorkerEventData.modelCall(step: 1, model: "m", provider: nil, providerAPI: nil)
        mapper.map(.worker(WorkerEvent(workerId: "w_other", seq: 4, at: "2026-01-01T00:00:01.000Z", data: succeeded)))
        mapper.map(.worker(WorkerEvent(workerId: "w_task", seq: 2, at: "2026-01-01T00:00:01.000Z", data: step)))
        mapper.map(.worker(WorkerEvent(workerId: "w_task", seq: 5, at: "2026-01-01T00:00:02.000Z", data: ended)))
        let sent = notes.all
        #expect(sent.count == 1)
        let task = try #require(sent.first)
        #expect(task.method == "notifications/tasks/status")
        #expect(task.params["taskId"] == "w_task" && task.params["status"] == "failed")
        #expect(task.params["createdAt"] == "2026-01-01T00:00:00.000Z")
        #expect(task.params["lastUpdatedAt"] == "2026-01-01T00:00:02.000Z")
        #expect(task.params["statusMessage"] == "failed: Too many steps.")
        #expect(task.params["ttl"] == .null)
        #expect(!task.droppable)
    }

    @Test func versionsWithoutTasksGetNoStatusNotifications() {
        let notes = Notes()
        let mapper = MCPEventMapper(notifier: notes, sendsTaskStatus: false)
        mapper.track(task: Worker(id: "w_1", role: "worker", model: "fast", state: .running, task: "t",
                                  createdAt: "2026-01-01T00:00:00.000Z", steps: 0, usage: WorkerUsage()))
        let succeeded = WorkerEventData.ended(.init(state: .succeeded, steps: 1, costUSD: 0, result: nil, error: nil))
        mapper.map(.worker(WorkerEvent(workerId: "w_1", seq: 3, at: "2026-01-01T00:00:01.000Z", data: succeeded)))
        #expect(notes.all.isEmpty)
    }
}

/// Keeps what would have been sent to the client.
private final class Notes: ClientNotifier {
    struct Note: Sendable {
        var method: String
        var params: JSONValue
        var droppable: Bool
    }

    private let notes = Mutex<[Note]>([])

    var all: [Note] { notes.withLock { $0 } }

    func notify<T: Encodable & Sendable>(_ method: String, _ params: T, droppable: Bool) {
        let value = (try? JSONValue(encoding: params)) ?? .null
        notes.withLock { $0.append(Note(method: method, params: value, droppable: droppable)) }
    }
}
