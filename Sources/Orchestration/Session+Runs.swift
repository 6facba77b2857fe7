import BosunJSON
import BosunProtocol
import Config
import Foundation
import Providers
import TraceStore
import Workspace
import Workers

/// What one run of a worker needs, resolved when it is admitted.
struct RunPlan: Sendable {
    var setup: WorkerLoopSetup
    var client: any ModelClient
    /// The role's tools from outside bosun (MCP servers), which may have to be started first.
    var externalTools: @Sendable () async throws -> [any WorkerTool]
}

extension Session {
    /// Starts every worker the scheduler admits. The scheduler reserves their slots in the
    /// same synchronous step, so no interleaving can start more than the cap.
    func pump() {
        guard !closing else { return }
        for workerId in scheduler.admit() { launch(workerId) }
    }

    private func launch(_ workerId: String) {
        guard var entry = entries[workerId], entry.activity == .queued else {
            scheduler.release(workerId)
            return
        }
        // A parent back from await_workers: the slot goes to the run that waits for it.
        if resumeParked(workerId) { return }
        if let exhausted = budget.exhaustion() {
            // It never starts: the slot goes back now, and the worker ends from the queue.
            scheduler.release(workerId)
            entries[workerId]?.loopTask = Task { await self.end(workerId, run: nil, .failed(exhausted)) }
            return
        }
        entry.run += 1
        let run = entry.run
        entry.inbox = SteerInbox(entry.inbox.takeAll())
        entry.phase = .active(.running)
        entry.startedAt = Date()
        entry.baseline = entry.totals
        entries[workerId] = entry
        store.submit(.workerProgress(entry.record))
        emit(workerId, .started(run: run, resumed: false))

        let plan: RunPlan
        do {
            plan = try makePlan(for: entry)
        } catch {
            let failure = error as? WorkerFailure ?? WorkerFailure(code: .configError, message: "\(error)")
            entries[workerId]?.loopTask = Task { await self.end(workerId, run: run, .failed(failure)) }
            return
        }
        let inbox = entry.inbox
        entries[workerId]?.loopTask = Task { await self.execute(workerId, run: run, plan: plan, inbox: inbox) }
        armDeadline(workerId, run: run, timeoutSeconds: entry.spec.limits.timeoutSeconds)
    }

    private func makePlan(for entry: WorkerEntry) throws -> RunPlan {
        let role: RoleConfig
        let model: ResolvedModel
        do {
            role = try config.role(named: entry.role)
            model = try config.resolveModel(entry.model)
        } catch {
            throw WorkerFailure(code: .configError, message: "The worker's role or model is no longer configured: \(error)")
        }
        let client: any ModelClient
        do {
            client = try self.client(forProvider: model.providerName)
        } catch {
            throw WorkerFailure(code: .providerError, message: "Provider \(model.providerName) cannot be used: \(error)")
        }
        var tools: [any WorkerTool]
        do {
            tools = try entry.roleTools ?? environment.toolsForRole(role, entry.spec.tools)
            if role.permissions.spawn {
                let delegation = SessionDelegation(session: self)
                tools += [SpawnWorkerTool(delegation: delegation), AwaitWorkersTool(delegation: delegation),
                          AnswerAskTool(delegation: delegation)] as [any WorkerTool]
            }
        } catch {
            throw WorkerFailure(code: .toolError, message: "The worker's tools cannot be set up: \(error)")
        }
        let brief = entry.spec.brief
        var layer: Layer?
        if role.permissions.write && role.isolation == .layer {
            do {
                layer = try Layer.open(workerId: entry.id, layersRoot: layersRoot, workspaceRoot: environment.workspaceRoot)
            } catch {
                throw WorkerFailure(code: .toolError, message: "The worker's layer cannot be made: \(error)")
            }
        }
        let context = ToolContext(sessionId: id, workerId: entry.id, workspaceRoot: environment.workspaceRoot,
                                  permissions: role.permissions, layer: layer, asking: SessionAsking(session: self),
                                  approval: try approvalPolicy(for: entry, role: role), sessionApprovals: approvals)
        let setup = WorkerLoopSetup(modelId: model.modelId, system: WorkerBrief.systemPrompt(rolePrompt: role.prompt),
                                    tools: tools, submitSchema: brief.submitSchema,
                                    keepsStructuredResult: brief.output?.schema != nil, limits: entry.spec.limits,
                                    price: model.price ?? ModelPrice(input: 0, output: 0), toolContext: context,
                                    maxOutputTokensPerCall: model.maxOutputTokens ?? 4096, sessionBudget: budget,
                                    stallRepeats: role.stallRepeats,
                                    cacheKey: model.promptCache ? entry.id : nil)
        let externalTools = environment.externalTools, requested = entry.spec.tools
        return RunPlan(setup: setup, client: client, externalTools: { try await externalTools(role, requested) })
    }

    /// Runs the loop off the actor; only its reports and its outcome come back through it.
    private nonisolated func execute(_ workerId: String, run: Int, plan: RunPlan, inbox: SteerInbox) async {
        var setup = plan.setup
        do {
            setup.tools += try await plan.externalTools()
        } catch is CancellationError {
            return
        } catch {
            await end(workerId, run: run,
                      .failed(WorkerFailure(code: .toolError, message: "The worker's tools cannot be set up: \(error)")))
            return
        }
        let history: [ChatMessage]
        do {
            history = try await openingHistory(workerId, run: run)
        } catch is CancellationError {
            return
        } catch {
            await end(workerId, run: run,
                      .failed(WorkerFailure(code: .storeError, message: "The worker's conversation could not be read back: \(error)")))
            return
        }
        // Each report is a short visit to the actor by the loop's own task: when the actor
        // is free the task runs it on the same thread, so a report costs no thread wake-up.
        let loop = WorkerLoop(setup: setup, client: plan.client,
                              inbox: { inbox.takeAll() },
                              report: { event in await self.record(event, of: workerId, run: run) })
        switch try? await loop.run(history: history) {
        case .succeeded(let result): await end(workerId, run: run, .succeeded(result))
        case .failed(let failure): await end(workerId, run: run, .failed(failure))
        case nil: return
        }
    }

    /// The brief as the first message on a first run; the stored conversation on a resume.
    private func openingHistory(_ workerId: String, run: Int) async throws -> [ChatMessage] {
        guard let entry = entries[workerId], entry.run == run else { throw CancellationError() }
        var stored: [ChatMessage] = []
        if entry.messageCount != 0 {
            let records = try await store.messages(workerId: workerId)
            stored = try records.map { record in
                let content = try JSONValue.parse(record.contentJSON).decode(as: [ContentBlock].self)
                return ChatMessage(role: ChatRole(rawValue: record.role) ?? .user, content: content)
            }
        }
        guard var current = entries[workerId], current.run == run, current.isActive else { throw CancellationError() }
        current.messageCount = stored.count
        let answers = current.resumeAnswers
        current.resumeAnswers = [:]
        entries[workerId] = current
        // Asks answered while no run waited for them (after a restart) answer its open calls.
        if !answers.isEmpty, let answered = Conversation.answeringDanglingToolCalls(in: stored, answers: answers) {
            record(.message(answered, origin: .tool), of: workerId, run: run)
            return stored + [answered]
        }
        if !stored.isEmpty { return stored }

        let brief = ChatMessage.user(current.spec.brief.render(predecessors: predecessors(of: current)))
        record(.message(brief, origin: .brief), of: workerId, run: run)
        return [brief]
    }

    private func predecessors(of entry: WorkerEntry) -> [WorkerBrief.Predecessor] {
        entry.spec.after.compactMap { dependency in
            guard let other = entries[dependency], let result = other.result else { return nil }
            let text = result.structured?.jsonString() ?? result.text
            return WorkerBrief.Predecessor(workerId: dependency, task: other.task, result: text, sources: result.sources ?? [])
        }
    }

    /// Turns a loop report into stored state, a stored event and notifications. Reports of
    /// a run that has ended (timed out, cancelled) are dropped.
    func record(_ event: WorkerLoopEvent, of workerId: String, run: Int) {
        // The entry is read and changed in place (`inPlace`): a report is frequent, the entry large.
        guard let index = entries.index(forKey: workerId), inPlace(index, { $0.isCurrent(run: run) }) else { return }
        switch event {
        case .modelCall(let step, let model):
            // Which provider serves the alias, for the trace's OpenTelemetry attributes.
            let provider = try? config.resolveModel(inPlace(index) { $0.model }).providerName
            emit(workerId, .modelCall(step: step, model: model, provider: provider,
                                      providerAPI: provider.flatMap { config.providers[$0]?.kind.rawValue }))
            reportProgress(workerId, message: "step \(step) of \(inPlace(index) { $0.spec.limits.maxSteps })")
        case .text(let text):
            emit(workerId, .text(text))
        case .toolCall(let callId, let name, let input):
            entries.values[index].currentToolCallId = callId
            emit(workerId, .toolCall(id: callId, name: name, input: input))
            reportProgress(workerId, message: "running \(name)")
        case .toolResult(let callId, let name, let output):
            emit(workerId, .toolResult(id: callId, name: name, isError: output.isError, text: output.text,
                                       trace: output.trace))
            if let layer = output.layer {
                noteChanges(of: workerId, Worker.Changes(layer))
            }
        case .retry(let attempt, let delay, let error):
            emit(workerId, .providerRetry(attempt: attempt, delaySeconds: delay, error: error))
        case .steered(let message):
            emit(workerId, .steered(message: message))
        case .usage(let steps, let usage, let cost):
            let (before, after) = inPlace(index) { entry in
                let before = entry.totals
                entry.apply(steps: steps, usage: usage, costUSD: cost)
                return (before, entry.totals)
            }
            emit(workerId, .modelReply(step: steps, inputTokens: after.inputTokens - before.inputTokens,
                                       outputTokens: after.outputTokens - before.outputTokens,
                                       cacheReadTokens: after.cacheReadTokens - before.cacheReadTokens,
                                       cacheWriteTokens: after.cacheWriteTokens - before.cacheWriteTokens,
                                       costUSD: after.costUSD - before.costUSD))
            store.submit(.workerProgress(inPlace(index) { $0.record }))
        case .message(let message, let origin):
            let messageIndex = inPlace(index) { entry in
                let next = entry.messageCount ?? 0
                entry.messageCount = next + 1
                return next
            }
            store.submit(.messages([MessageRecord(workerId: workerId, index: messageIndex, role: message.role.rawValue,
                                                  contentJSON: JSONText.string(message.content), origin: origin.rawValue)]))
        }
    }
}
