import BosunJSON
import BosunProtocol
import Config
import Foundation
import Workers

/// `spawn_worker` and `await_workers` for workers whose role has the `spawn` permission.
/// Children are ordinary workers of the session (the queue, the cap, budgets, events and
/// the trace all apply) with `parent` set.
///
/// A parent that waits for its children gives its slot back while it waits and queues for
/// one again afterwards, so parents at the cap cannot starve their own children: with five
/// delegating parents at a cap of five, each parent's wait frees a slot for a child. While
/// it waits the parent shows as `queued` (it holds no slot); its loop is suspended inside
/// the tool call, and its deadline keeps running.
struct SessionDelegation: WorkerDelegation {
    let session: Session

    func spawnChild(of parent: String, _ input: JSONValue) async throws -> ToolOutput {
        try await session.spawnChild(of: parent, input)
    }

    func awaitChildren(of parent: String, _ input: JSONValue) async throws -> ToolOutput {
        try await session.awaitChildren(of: parent, input)
    }

    func answerChildAsk(of parent: String, _ input: JSONValue) async throws -> ToolOutput {
        try await session.answerChildAsk(of: parent, input)
    }
}

extension Session {
    /// How many spawns deep a worker is: 0 for one the client spawned.
    func spawnDepth(of workerId: String) -> Int {
        var depth = 0
        var current = entries[workerId]?.parentId
        while let parent = current, depth <= config.session.maxSpawnDepth {
            depth += 1
            current = entries[parent]?.parentId
        }
        return depth
    }

    /// What a parent may still spend on children: its own cap, less what its current run and
    /// its children have spent so far. Each child's cap is cut to this when it is spawned, and
    /// a parent with nothing left cannot spawn; children running at once may each spend up to
    /// what was left when they started, so their sum can pass it (as with parallel workers
    /// against the session budget, by at most what is in flight).
    private func childBudget(of parent: WorkerEntry) -> Double {
        let ownRun = parent.totals.costUSD - parent.baseline.costUSD
        let children = entries.values.lazy.filter { $0.parentId == parent.id }
        return parent.spec.limits.maxCostUSD - ownRun - children.reduce(0.0) { $0 + $1.totals.costUSD }
    }

    func spawnChild(of parentId: String, _ input: JSONValue) async throws -> ToolOutput {
        guard let parent = entries[parentId], parent.state == .running else {
            throw ToolError("Only a running worker can spawn children.")
        }
        let depth = spawnDepth(of: parentId) + 1
        let maxDepth = config.session.maxSpawnDepth
        guard depth <= maxDepth else {
            throw ToolError("""
                Spawning here would nest workers \(depth) deep, past the session's limit of \(maxDepth) \
                (session.maxSpawnDepth). Do this part of the task yourself.
                """)
        }
        var params: SpawnParams
        do {
            params = try input.decode(as: SpawnParams.self)
        } catch {
            throw ToolError("The spawn_worker input is not a brief: \(error). Give at least a task.")
        }
        params.wait = nil
        params.after = nil
        params.workDoneToken = nil
        params.model = nil
        let remaining = childBudget(of: parent)
        guard remaining > 0 else {
            throw ToolError("""
                You and your children have spent your cost cap ($\(parent.spec.limits.maxCostUSD)); no budget \
                is left for another child. Finish with what you have.
                """)
        }
        let role = config.roles[params.role ?? "worker"]
        let cap = min(params.limits?.maxCostUSD ?? role?.maxCostUSD ?? remaining, remaining)
        params.limits = (params.limits ?? LimitOverrides()).with(maxCostUSD: cap)
        let child: Worker
        do {
            child = try await spawn(params, parent: parentId)
        } catch let error as SessionError {
            throw ToolError(error.message)
        }
        let answer: JSONValue = [
            "workerId": .string(child.id), "state": .string(child.state.rawValue), "role": .string(child.role),
            "maxCostUSD": .double(cap),
        ]
        return ToolOutput(text: answer.jsonString())
    }

    func awaitChildren(of parentId: String, _ input: JSONValue) async throws -> ToolOutput {
        let children = order.filter { entries[$0]?.parentId == parentId }
        let requested = input["workers"]?.arrayValue?.compactMap(\.stringValue)
        let ids = requested ?? children
        if let stranger = ids.first(where: { !children.contains($0) }) {
            throw ToolError("\(stranger) is not a worker you spawned; your children are: \(children.isEmpty ? "none" : children.joined(separator: ", ")).")
        }
        let mode: AwaitParams.Mode = input["mode"]?.stringValue == "any" ? .any : .all
        let timeout = input["timeoutSeconds"]?.doubleValue
        if let timeout, !(timeout.isFinite && timeout > 0) {
            throw ToolError("timeoutSeconds must be a positive number of seconds.")
        }
        // A child's ask waiting for this parent ends the wait (or skips it).
        if childAsks(of: parentId).isEmpty {
            park(parentId, awaiting: ids)
            try await wait(for: ids, mode: mode, timeoutSeconds: timeout, parentOfAskers: parentId)
            try await takeSlotAgain(parentId)
        }
        var finished: [JSONValue] = []
        var pending: [JSONValue] = []
        for id in ids {
            guard let entry = entries[id] else { continue }
            if entry.hasEnded {
                var item: [String: JSONValue] = ["workerId": .string(id), "state": .string(entry.state.rawValue)]
                item["result"] = entry.result?.json
                item["error"] = entry.failure?.json
                finished.append(.object(item))
            } else {
                pending.append(.string(id))
            }
        }
        var answer: [String: JSONValue] = ["finished": .array(finished), "pending": .array(pending)]
        let asks = childAsks(of: parentId)
        if !asks.isEmpty {
            answer["asks"] = .array(asks.map(\.json))
            answer["note"] = "Your children asked you something: answer each with answer_ask, then call await_workers again."
        }
        return ToolOutput(text: JSONValue.object(answer).jsonString())
    }

    /// Gives the parent's slot back while it waits; it shows as `queued` holding no slot.
    private func park(_ parentId: String, awaiting ids: [String]) {
        guard var entry = entries[parentId], entry.activity == .running else { return }
        entry.phase = .active(.queued)
        entries[parentId] = entry
        scheduler.release(parentId)
        store.submit(.workerProgress(entry.record))
        emit(parentId, .parked(awaiting: ids))
        pump()
    }

    /// Queues the parked parent (or a worker back from an ask) for a slot and returns once
    /// `launch` has given it one (the same run goes on: no new loop starts). Throws
    /// `CancellationError` if the worker was ended meanwhile (its deadline, a cancel, shutdown).
    func takeSlotAgain(_ parentId: String) async throws {
        guard let entry = entries[parentId], entry.activity == .queued else { throw CancellationError() }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            entries[parentId]?.slotWaiter = continuation
            scheduler.enqueue(parentId, priority: entry.priority)
            pump()
        }
        try Task.checkCancellation()
    }

    /// `launch` for a parked parent: the slot the scheduler just reserved goes to the run
    /// that is waiting for it.
    func resumeParked(_ workerId: String) -> Bool {
        guard var entry = entries[workerId], let waiter = entry.slotWaiter else { return false }
        entry.slotWaiter = nil
        entry.phase = .active(.running)
        entries[workerId] = entry
        store.submit(.workerProgress(entry.record))
        emit(workerId, .started(run: entry.run, resumed: true))
        waiter.resume()
        return true
    }
}

extension LimitOverrides {
    func with(maxCostUSD: Double) -> LimitOverrides {
        var copy = self
        copy.maxCostUSD = maxCostUSD
        return copy
    }
}
