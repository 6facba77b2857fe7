import Foundation

/// The spans of `OTLPExporter`'s tree: the session, an orchestration, a worker and its calls.
extension OTLPExporter {
    static func rootSpan(_ session: SessionRecord, start: Date, end: Date, workerCount: Int) -> [String: Any] {
        [
            "traceId": traceId(session: session.id), "spanId": rootSpanId(session: session.id), "name": "session \(session.id)",
            "kind": spanKindInternal, "startTimeUnixNano": nanos(start), "endTimeUnixNano": nanos(end),
            "attributes": [
                attribute("bosun.session.id", session.id),
                attribute("bosun.session.workspace_root", session.workspaceRoot),
                attribute("bosun.session.max_concurrent_workers", session.maxConcurrentWorkers),
                attribute("bosun.session.workers", workerCount),
            ],
            "status": ["code": statusUnset],
        ]
    }

    /// An `orchestrate` call: bosun as the agent that plans the goal and runs its workers.
    static func orchestrationSpan(_ orchestration: OrchestrationRecord, end: Date) -> [String: Any] {
        let status: [String: Any] = switch orchestration.state {
        case "succeeded": ["code": statusOK]
        case "failed", "partial", "cancelled", "interrupted": ["code": statusError, "message": orchestration.state]
        default: ["code": statusUnset]
        }
        return [
            "traceId": traceId(session: orchestration.sessionId), "spanId": orchestrationSpanId(orchestration.id),
            "parentSpanId": rootSpanId(session: orchestration.sessionId),
            "name": "invoke_agent orchestrate", "kind": spanKindInternal,
            "startTimeUnixNano": nanos(orchestration.createdAt), "endTimeUnixNano": nanos(max(end, orchestration.createdAt)),
            "attributes": [
                attribute("gen_ai.operation.name", "invoke_agent"), attribute("gen_ai.agent.name", "orchestrate"),
                attribute("bosun.orchestration.id", orchestration.id), attribute("bosun.orchestration.goal", orchestration.goal),
                attribute("bosun.orchestration.state", orchestration.state),
            ],
            "status": status,
        ]
    }

    /// A worker's span and the spans of its model and tool calls. The worker sits under the
    /// worker or orchestration that started it when that one is known (nil `knownParents`
    /// trusts every parent id, as the live export must), else under the session's root span.
    static func workerSpans(_ worker: WorkerRecord, events: [EventRecord], end: Date, knownParents: Set<String>?) -> [[String: Any]] {
        let parent = worker.parentId.flatMap { knownParents?.contains($0) ?? true ? $0 : nil }
        let calls = WorkerCall.calls(in: events, end: end)
        let callEvents: Set<String> = ["model_call", "model_reply", "tool_call", "tool_result"]
        let span: [String: Any] = [
            "traceId": traceId(session: worker.sessionId), "spanId": spanId(worker.id),
            "parentSpanId": parent.map(parentSpanId) ?? rootSpanId(session: worker.sessionId),
            "name": "invoke_agent \(worker.role)", "kind": spanKindInternal,
            "startTimeUnixNano": nanos(worker.startedAt ?? worker.createdAt),
            "endTimeUnixNano": nanos(end),
            "attributes": workerAttributes(worker, lastModelCall: calls.last { $0.kind == .model }),
            "events": events.filter { !callEvents.contains($0.kind) }.map { event in
                [
                    "timeUnixNano": nanos(event.at), "name": event.kind,
                    "attributes": [attribute("bosun.event.seq", event.seq), attribute("bosun.event.data", event.dataJSON)],
                ] as [String: Any]
            },
            "status": status(of: worker),
            "links": callerLinks(events),
        ]
        return [span] + calls.map { callSpan($0, of: worker) }
    }

    /// A link to the span of the call that spawned the worker, when the caller sent its W3C
    /// `traceparent` (an MCP client's `_meta.traceparent`, kept in the `queued` event): the
    /// caller's trace and bosun's session trace join there.
    static func callerLinks(_ events: [EventRecord]) -> [[String: Any]] {
        guard let queued = events.first(where: { $0.kind == "queued" }), queued.dataJSON.contains("traceparent"),
              let data = try? JSONSerialization.jsonObject(with: Data(queued.dataJSON.utf8)) as? [String: Any],
              let traceparent = data["traceparent"] as? String else { return [] }
        let parts = traceparent.split(separator: "-")
        guard parts.count == 4 else { return [] }
        return [["traceId": String(parts[1]), "spanId": String(parts[2]),
                 "attributes": [attribute("bosun.link", "caller")]]]
    }

    /// The GenAI semantic conventions' names where they apply: `gen_ai.request.model` is the
    /// provider's model id and `gen_ai.provider.name` its API (`anthropic`, `openai`), both
    /// from the worker's last model call; bosun's alias is `bosun.model.alias`.
    static func workerAttributes(_ worker: WorkerRecord, lastModelCall call: WorkerCall?) -> [[String: Any]] {
        var attributes = [
            attribute("bosun.worker.id", worker.id), attribute("bosun.worker.role", worker.role),
            attribute("bosun.worker.state", worker.state), attribute("bosun.worker.task", worker.task),
            attribute("bosun.worker.brief", worker.briefJSON), attribute("bosun.worker.steps", worker.steps),
            attribute("bosun.worker.priority", worker.priority),
            attribute("gen_ai.operation.name", "invoke_agent"),
            attribute("gen_ai.agent.name", worker.role),
            attribute("gen_ai.agent.id", worker.id),
            attribute("gen_ai.request.model", call?.model ?? worker.model),
            attribute("bosun.model.alias", worker.model),
            attribute("gen_ai.usage.input_tokens", worker.inputTokens),
            attribute("gen_ai.usage.output_tokens", worker.outputTokens),
            attribute("bosun.usage.cache_read_tokens", worker.cacheReadTokens),
            attribute("bosun.usage.cache_write_tokens", worker.cacheWriteTokens),
            attribute("bosun.usage.cost_usd", worker.costUSD),
        ]
        if let api = call?.providerAPI { attributes.append(attribute("gen_ai.provider.name", api)) }
        if let provider = call?.provider { attributes.append(attribute("bosun.provider", provider)) }
        if let result = worker.resultJSON { attributes.append(attribute("bosun.worker.result", result)) }
        if let error = worker.errorJSON { attributes.append(attribute("bosun.worker.error", error)) }
        return attributes
    }

    /// A model call (`chat {model}`, a client span with that call's own usage), a tool
    /// call (`execute_tool {name}`, an error when the tool said so), or a wait for an answer.
    static func callSpan(_ call: WorkerCall, of worker: WorkerRecord) -> [String: Any] {
        var attributes: [[String: Any]]
        var status: [String: Any] = ["code": statusUnset]
        let name: String
        switch call.kind {
        case .model:
            let model = call.model ?? worker.model
            name = "chat \(model)"
            attributes = [attribute("gen_ai.operation.name", "chat"), attribute("gen_ai.request.model", model)]
            if let api = call.providerAPI { attributes.append(attribute("gen_ai.provider.name", api)) }
            if let provider = call.provider { attributes.append(attribute("bosun.provider", provider)) }
            if let step = call.step { attributes.append(attribute("bosun.step", step)) }
            if let usage = call.usage {
                attributes += [
                    attribute("gen_ai.usage.input_tokens", usage.inputTokens),
                    attribute("gen_ai.usage.output_tokens", usage.outputTokens),
                    attribute("bosun.usage.cache_read_tokens", usage.cacheReadTokens),
                    attribute("bosun.usage.cache_write_tokens", usage.cacheWriteTokens),
                    attribute("bosun.usage.cost_usd", usage.costUSD),
                ]
            }
            if call.retries > 0 { attributes.append(attribute("bosun.retries", call.retries)) }
        case .tool:
            let tool = call.toolName ?? "tool"
            name = "execute_tool \(tool)"
            attributes = [attribute("gen_ai.operation.name", "execute_tool"), attribute("gen_ai.tool.name", tool)]
            if let id = call.toolCallId { attributes.append(attribute("gen_ai.tool.call.id", id)) }
            if let input = call.inputJSON { attributes.append(attribute("gen_ai.tool.call.arguments", input)) }
            if let result = call.resultText { attributes.append(attribute("gen_ai.tool.call.result", result)) }
            if call.isError { status = ["code": statusError, "message": TraceFormat.oneLine(call.resultText ?? "", limit: 200)] }
        case .wait:
            name = "wait for an answer"
            attributes = [attribute("bosun.ask.id", call.askId ?? "")]
            if let by = call.answeredBy { attributes.append(attribute("bosun.ask.answered_by", by)) }
        }
        if !call.answered && worker.isTerminal { status = ["code": statusError, "message": "cut off when the worker \(worker.state)"] }
        attributes.append(attribute("bosun.worker.id", worker.id))
        return [
            "traceId": traceId(session: worker.sessionId), "spanId": callSpanId(worker: worker.id, seq: call.seq),
            "parentSpanId": spanId(worker.id), "name": name,
            "kind": call.kind == .model ? spanKindClient : spanKindInternal,
            "startTimeUnixNano": nanos(call.start), "endTimeUnixNano": nanos(call.end),
            "attributes": attributes, "status": status,
        ]
    }

    /// Succeeded is OK, any other end is an error with the worker's error as message, and a
    /// worker still queued or running is unset.
    static func status(of worker: WorkerRecord) -> [String: Any] {
        switch worker.state {
        case "succeeded": return ["code": statusOK]
        case _ where worker.isTerminal:
            let message = worker.errorJSON.flatMap { JSONLExporter.embedded($0) as? [String: Any] }?["message"] as? String
            return ["code": statusError, "message": message ?? worker.state]
        default: return ["code": statusUnset]
        }
    }
}
