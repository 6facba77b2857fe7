import BosunJSON
import BosunProtocol
import Testing

/// bosun/1's mapping of session events: which notification, which params, what may be dropped.
@Suite struct SessionEventMapping {
    func event(_ data: WorkerEventData) -> SessionEvent {
        .worker(WorkerEvent(workerId: "w_1", seq: 3, at: "2026-01-01T00:00:00.000Z", data: data))
    }

    func ended(_ state: WorkerState) -> SessionEvent {
        event(.ended(.init(state: state, steps: 1, costUSD: 0, result: nil, error: nil)))
    }

    @Test func workerEventsBecomeWorkerEventNotificationsAndOnlyTerminalOnesAreKept() throws {
        let step = WorkerEventData.modelCall(step: 1, model: "m", provider: nil, providerAPI: nil)
        let running = try #require(BosunNotification(event(step), delivery: .all))
        #expect(running.method == "worker/event")
        #expect(running.params == ["workerId": "w_1", "seq": 3, "kind": "model_call", "at": "2026-01-01T00:00:00.000Z",
                                   "data": ["step": 1, "model": "m"]])
        #expect(running.droppable)
        for state in WorkerState.allCases where state.isTerminal {
            #expect(BosunNotification(ended(state), delivery: .all)?.droppable == false)
        }
    }

    @Test func deliveryFiltersWorkerEventsButNeverProgress() {
        #expect(BosunNotification(event(.text("t")), delivery: .terminal) == nil)
        #expect(BosunNotification(ended(.failed), delivery: .terminal) != nil)
        #expect(BosunNotification(ended(.failed), delivery: .none) == nil)
        let progress = SessionEvent.progress(WorkerProgress(token: "t", workerId: "w_1", stage: .report, message: "step 1 of 3",
                                                            steps: 1, maxSteps: 3))
        #expect(BosunNotification(progress, delivery: .none)?.method == "$/progress")
    }

    @Test func progressStagesAsLSPWorkDoneProgress() throws {
        func notification(_ stage: WorkerProgress.Stage) throws -> BosunNotification {
            try #require(BosunNotification(.progress(WorkerProgress(token: 7, workerId: "w_1", stage: stage, message: "m",
                                                                    steps: 0, maxSteps: 3)), delivery: .all))
        }
        let begin = try notification(.begin(title: "bosun worker w_1"))
        #expect(begin.params == ["token": 7, "value": ["kind": "begin", "title": "bosun worker w_1", "message": "m",
                                                        "cancellable": false]])
        #expect(!begin.droppable)
        #expect(try notification(.report).droppable)
        let end = try notification(.end(.succeeded))
        #expect(end.params == ["token": 7, "value": ["kind": "end", "message": "m"]])
        #expect(!end.droppable)
    }
}
