import BosunJSON
import BosunProtocol
import Config
import Foundation
import Workers
import Workspace

/// `changes`, `apply` and `discard`: the review of writing workers' layers. A layer lives
/// beside the trace store under the worker's id, so a resumed session reviews the layers its
/// workers left before a crash.
extension Session {
    public func changes(_ params: ChangesParams) async throws -> ChangesResult {
        let targets = try reviewTargets(workerId: params.workerId, orchestrationId: params.orchestrationId)
        let context = params.context ?? 3
        guard context >= 0 else {
            throw SessionError.invalidParams("context", "context is the lines of context around each change: 0 or more (default 3); got \(context).")
        }
        var result = ChangesResult(base: [], files: [], diff: "")
        for (workerId, layer) in targets {
            let changes = try await reviewing(workerId, exclusive: false) {
                try await layer.changes(protected: self.protectedPaths, context: context)
            }
            result.base.append(ChangesBase(workspace: changes.workspace, workerId: workerId, startedAt: WireTime.string(changes.createdAt),
                                           state: ChangesState(changes.state)))
            result.files += changes.files.map {
                ChangedFile(path: $0.path, status: ChangedFile.Status(rawValue: $0.status.rawValue) ?? .modified,
                            additions: $0.additions, deletions: $0.deletions, workerId: workerId)
            }
            result.diff += changes.diff
            let ignored = changes.ignored.map {
                IgnoredFile(path: $0.path, status: ChangedFile.Status(rawValue: $0.status.rawValue) ?? .modified, workerId: workerId)
            }
            if !ignored.isEmpty { result.ignored = (result.ignored ?? []) + ignored }
        }
        return result
    }

    public func apply(_ params: ApplyParams) async throws -> ApplyResult {
        let targets = try reviewTargets(workerId: params.workerId, orchestrationId: params.orchestrationId)
        if params.orchestrationId != nil, params.paths != nil {
            throw SessionError.invalidParams("paths", "paths picks files of one worker; give workerId with it, not orchestrationId.")
        }
        for (workerId, _) in targets { try requireEnded(workerId, action: "have its changes applied") }
        var result = ApplyResult(applied: [], conflicts: [], state: .applied)
        for (workerId, layer) in targets {
            if params.orchestrationId != nil, (try? layer.summary().state) == .applied { continue }
            let outcome = try await reviewing(workerId) { try await layer.apply(paths: params.paths, protected: self.protectedPaths) }
            result.applied += outcome.applied
            result.conflicts += outcome.conflicts.map { ApplyConflict(path: $0.path, reason: $0.reason, workerId: workerId) }
            if outcome.state != .applied { result.state = .conflicted }
            await noteChanges(of: workerId, layer: layer)
            if (try? layer.summary().state) == .applied { await discardSuperseded(by: workerId) }
        }
        return result
    }

    public func discard(_ params: DiscardParams) async throws -> DiscardResult {
        let targets = try reviewTargets(workerId: params.workerId, orchestrationId: params.orchestrationId)
        for (workerId, _) in targets { try requireEnded(workerId, action: "have its changes discarded") }
        var discarded: [String] = []
        for (workerId, layer) in targets {
            if params.orchestrationId != nil, let state = try? layer.summary().state, state == .applied || state == .discarded { continue }
            discarded += try await reviewing(workerId) { try await layer.discard(protected: self.protectedPaths) }
            await noteChanges(of: workerId, layer: layer)
            await discardSuperseded(by: workerId)
        }
        return DiscardResult(discarded: discarded)
    }

    /// Whether the worker's layer touched any path.
    func hasChanges(_ workerId: String) -> Bool {
        (try? Layer.existing(workerId: workerId, layersRoot: layersRoot)?.summary().touchedAny) == true
    }

    /// Discards what the earlier attempts of `workerId`'s subtask left waiting (the subtask ran
    /// again on `workerId`): once its changes are decided, theirs never will be.
    func discardSuperseded(by workerId: String) async {
        let earlier = orchestrations.values.flatMap { run in
            run.ledger.planned.filter { $0.ledger.attempts.last == workerId }.flatMap { $0.ledger.attempts.dropLast() }
        }
        for attempt in earlier where attempt != workerId && entries[attempt]?.hasEnded == true {
            guard let layer = Layer.existing(workerId: attempt, layersRoot: layersRoot),
                  let state = try? layer.summary().state, state == .pending || state == .conflicted else { continue }
            _ = try? await reviewing(attempt) { try await layer.discard(protected: self.protectedPaths) }
            await noteChanges(of: attempt, layer: layer)
        }
    }

    /// The paths no worker writes and `apply` never carries.
    nonisolated var protectedPaths: ProtectedPaths { ProtectedPaths(extra: environment.config.tools.protectedPaths) }

    /// The workers named (one, or an orchestration's subtasks in plan order, last attempts)
    /// with their layers.
    private func reviewTargets(workerId: String?, orchestrationId: String?) throws -> [(String, Layer)] {
        switch (workerId, orchestrationId) {
        case (let workerId?, nil):
            let entry = try requireEntry(workerId)
            guard let layer = Layer.existing(workerId: workerId, layersRoot: layersRoot) else {
                throw SessionError(code: SessionError.invalidStateCode, message: """
                    Worker \(workerId) has no changes to review: its role \(entry.role) does not write, or writes \
                    straight into the workspace (isolation: none).
                    """, data: ["field": "workerId", "workerId": .string(workerId)])
            }
            return [(workerId, layer)]
        case (nil, let orchestrationId?):
            guard let ledger = orchestrations[orchestrationId]?.ledger else { throw SessionError.unknownOrchestration(orchestrationId) }
            return ledger.planned.compactMap { $0.ledger.attempts.last }.compactMap { id in
                Layer.existing(workerId: id, layersRoot: layersRoot).map { (id, $0) }
            }
        case (nil, nil):
            throw SessionError.invalidParams("workerId", "Give workerId (one worker) or orchestrationId (every subtask of an orchestration).")
        case (_?, _?):
            throw SessionError.invalidParams("orchestrationId", "Give workerId or orchestrationId, not both.")
        }
    }

    private func requireEnded(_ workerId: String, action: String) throws {
        let entry = try requireEntry(workerId)
        guard entry.hasEnded else {
            throw SessionError.invalidState(workerId, state: entry.state, action: action,
                                            hint: "Wait for it to end (await), or cancel it first.")
        }
    }

    /// Runs one review step of a worker's layer, its refusals as `SessionError`s that name the
    /// worker. `apply` and `discard` (`exclusive`) run one at a time per worker; `changes` only
    /// reads, so it runs beside them and never makes one fail (the ACP front end reads a
    /// worker's changes as it ends, while `orchestrate` may be applying them).
    private func reviewing<T: Sendable>(_ workerId: String, exclusive: Bool = true,
                                        _ body: @Sendable () async throws -> T) async throws -> T {
        if exclusive {
            guard reviewsInFlight.insert(workerId).inserted else {
                throw SessionError(code: SessionError.invalidStateCode,
                                   message: "Worker \(workerId)'s changes are being reviewed by another call; try again when it has answered.",
                                   data: ["field": "workerId", "workerId": .string(workerId)])
            }
        }
        defer { if exclusive { reviewsInFlight.remove(workerId) } }
        do {
            return try await body()
        } catch let error as WorkspaceError {
            if let field = error.field { throw SessionError.invalidParams(field, "Worker \(workerId): \(error.message)") }
            throw SessionError(code: SessionError.invalidStateCode, message: "Worker \(workerId): \(error.message)",
                               data: ["field": "workerId", "workerId": .string(workerId)])
        }
    }

    /// Shows a layer's state and files on its worker and tells the client with a `changes` event.
    func noteChanges(of workerId: String, layer: Layer) async {
        guard let summary = try? await BlockingWork.run({ try layer.summary() }) else { return }
        noteChanges(of: workerId, Worker.Changes(summary))
    }

    /// Stores `changes` on the worker and sends a `changes` event when they differ from what it showed.
    func noteChanges(of workerId: String, _ changes: Worker.Changes) {
        guard let index = entries.index(forKey: workerId), entries.values[index].changes != changes else { return }
        entries.values[index].changes = changes
        emit(workerId, .changes(changes))
    }
}

extension Worker.Changes {
    /// A layer's summary as its worker's view shows it.
    init(_ summary: LayerSummary) {
        self.init(state: ChangesState(summary.state), files: summary.files, ignoredCount: summary.ignoredCount)
    }
}

extension ChangesState {
    init(_ state: LayerState) {
        switch state {
        case .pending: self = .pending
        case .applied: self = .applied
        case .discarded: self = .discarded
        case .conflicted: self = .conflicted
        }
    }
}
