import BosunProtocol
import BosunJSON
import Foundation
import Workers

extension Session {
    /// Merges workers' results into one answer on a worker of its own (role `synthesizer`),
    /// so the queue, the cap, budgets, events and the trace apply to it as to any worker.
    /// Waits for the given workers; failed ones go in as failures and are named in `gaps`
    /// (or refused with `requireAll`). The synthesizer answers through a submission whose
    /// schema only admits the given worker ids, so an answer that cites another worker or a
    /// one-sided conflict is sent back to it. Callable from orchestration code too.
    public func synthesize(_ params: SynthesizeParams) async throws -> SynthesizeResult {
        try await synthesize(params, parent: nil)
    }

    /// `synthesize` for the client (`parent` nil) or for an orchestration, whose synthesizer
    /// is one of its workers.
    func synthesize(_ params: SynthesizeParams, parent: String?) async throws -> SynthesizeResult {
        let ids = params.workers
        guard !ids.isEmpty else {
            throw SessionError.invalidParams("workers", "workers is empty. Give the ids of the workers whose results to synthesize.")
        }
        for workerId in ids { _ = try requireEntry(workerId, field: "workers") }
        guard !params.instruction.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw SessionError.invalidParams("instruction", "instruction is empty. Say what the one answer should be.")
        }
        let budgetChars = params.maxInputChars ?? Self.defaultSynthesisInputChars
        guard budgetChars > 0 else {
            throw SessionError.invalidParams("maxInputChars", "maxInputChars must be at least 1; got \(budgetChars).")
        }
        try await wait(for: ids, mode: .all, timeoutSeconds: params.timeoutSeconds)
        let entries = try ids.map { try requireEntry($0, field: "workers") }
        let unfinished = entries.filter { !$0.hasEnded }.map(\.id)
        guard unfinished.isEmpty else {
            throw SessionError(code: SessionError.invalidStateCode, message: """
                Workers \(unfinished.joined(separator: ", ")) were still running when timeoutSeconds passed. \
                Wait longer, or cancel them and synthesize what finished.
                """, data: ["field": "workers", "workers": .array(unfinished.map { .string($0) })])
        }
        let failed = entries.filter { $0.state != .succeeded }
        if params.requireAll == true, !failed.isEmpty {
            let named = failed.map { "\($0.id) (\($0.state.rawValue))" }.joined(separator: ", ")
            throw SessionError(code: SessionError.invalidStateCode, message: """
                requireAll: workers \(named) did not succeed. Steer or respawn them, or leave out requireAll \
                to synthesize without them (they are then named in gaps).
                """, data: ["field": "workers", "workers": .array(failed.map { .string($0.id) })])
        }
        let inputs = SynthesisInputs.render(entries, budgetChars: budgetChars)
        let spawnParams = SpawnParams(
            task: params.instruction, inputs: inputs,
            scope: "Only the worker results given in INPUTS; they are the whole material.",
            output: OutputSpec(format: params.output?.format,
                           schema: SynthesisInputs.submissionSchema(workers: ids, sources: SynthesisInputs.sources(of: entries),
                                                                    structured: params.output?.schema)),
            doNot: ["drop a detail, number or caveat a worker reported because it seems minor",
                    "settle a disagreement between workers silently: report it as a conflict naming both",
                    "cite a worker for a claim it did not make, or any worker not in INPUTS"],
            role: "synthesizer", model: params.model,
            limits: params.timeoutSeconds.map { LimitOverrides(timeoutSeconds: $0) })
        let synthesizer = try await spawn(spawnParams, parent: parent)
        let entry = try await waitUntilSettled(synthesizer.id)
        guard entry.state == .succeeded, let structured = entry.result?.structured else {
            let reason = entry.failure.map { "\($0.code): \($0.message)" } ?? entry.state.rawValue
            throw SessionError(code: SessionError.invalidStateCode, message: """
                The synthesizer \(synthesizer.id) ended \(entry.state.rawValue) without a synthesis (\(reason)). \
                Its trace shows why; raise its limits or pick another model and synthesize again.
                """, data: ["field": "workers", "workerId": .string(synthesizer.id)])
        }
        let failedGaps = failed.map { failedEntry -> String in
            let why = failedEntry.failure.map { "\($0.code): \($0.message)" } ?? "no result"
            return "\(failedEntry.id) \(failedEntry.state.rawValue): \(why)"
        }
        let modelGaps = structured["gaps"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let cited = (try? structured["sources"]?.decode(as: [SynthesisSource].self)) ?? []
        return SynthesizeResult(
            id: synthesizer.id, text: structured["text"]?.stringValue ?? "",
            structured: structured["structured"],
            sources: cited + SynthesisInputs.uncited(entries, cited: cited),
            conflicts: (try? structured["conflicts"]?.decode(as: [SynthesisConflict].self)) ?? [],
            gaps: failedGaps + modelGaps, usage: entry.usage)
    }

    static let defaultSynthesisInputChars = 100_000
}

/// The synthesizer's material and the shape of its answer.
enum SynthesisInputs {
    /// One block per worker: its task and whole result, or its failure. Past `budgetChars`
    /// in all, each result is cut to an equal share with a notice, so the model knows it
    /// did not see everything.
    static func render(_ entries: [WorkerEntry], budgetChars: Int) -> [String] {
        let results = entries.map { entry -> String in
            guard entry.state == .succeeded, let result = entry.result else { return "" }
            return result.structured.map { "\(result.text)\nstructured: \($0.jsonString())" } ?? result.text
        }
        let total = results.reduce(0) { $0 + $1.count }
        let share = total > budgetChars ? budgetChars / max(entries.count, 1) : Int.max
        return zip(entries, results).map { entry, result in
            let head = "[\(entry.id)] task: \(entry.task)"
            guard entry.state == .succeeded else {
                let why = entry.failure.map { "\($0.code): \($0.message)" } ?? "no result"
                return "\(head)\nFAILED (\(entry.state.rawValue)): \(why)\nThis worker produced no result; name it in gaps."
            }
            let sources = (entry.result?.sources ?? []).isEmpty ? "" : "\nsources: " + (entry.result?.sources ?? []).joined(separator: ", ")
            guard result.count > share else { return "\(head)\nresult:\n\(result)\(sources)" }
            return "\(head)\nresult:\n\(result.prefix(share))\n[… \(result.count - share) of \(result.count) characters of this result " +
                "cut: the inputs exceed the synthesis budget of \(budgetChars) characters. Name what may be missing in gaps.]\(sources)"
        }
    }

    /// The files and URLs the workers' results rest on, each once, in the workers' order.
    static func sources(of entries: [WorkerEntry]) -> [String] {
        var seen: Set<String> = []
        return entries.flatMap { $0.state == .succeeded ? $0.result?.sources ?? [] : [] }.filter { seen.insert($0).inserted }
    }

    /// Every worker source the synthesis did not cite, kept as a source of that worker's
    /// result: a synthesis never drops where its material came from.
    static func uncited(_ entries: [WorkerEntry], cited: [SynthesisSource]) -> [SynthesisSource] {
        let citedSources = Set(cited.compactMap(\.source))
        return entries.filter { $0.state == .succeeded }.flatMap { entry in
            (entry.result?.sources ?? []).filter { !citedSources.contains($0) }.map { source in
                SynthesisSource(workerId: entry.id, claim: "what \(entry.id) reported: \(entry.task)", source: source)
            }
        }
    }

    /// `submit_result`'s schema for a synthesis: only the given worker ids can be cited, and
    /// a conflict names at least two of them; a claim's `source` is one of the workers' own
    /// sources. A `structured` schema's `$defs` move to the root so its local `$ref`s still resolve.
    static func submissionSchema(workers: [String], sources: [String] = [], structured: JSONValue?) -> JSONValue {
        let workerId: JSONValue = ["enum": .array(workers.map { .string($0) })]
        var sourceProperties: [String: JSONValue] = ["workerId": workerId, "claim": ["type": "string", "minLength": 1]]
        if !sources.isEmpty {
            sourceProperties["source"] = ["enum": .array(sources.map { .string($0) }),
                                          "description": "The file or URL (from the worker's sources) the claim rests on."]
        }
        var properties: [String: JSONValue] = [
            "text": ["type": "string", "minLength": 1,
                     "description": "The one answer, with every detail the workers reported; cite a source as [URL or path] after its claim."],
            "sources": ["type": "array", "items": [
                "type": "object", "required": ["workerId", "claim"], "additionalProperties": false,
                "properties": .object(sourceProperties),
            ], "description": "Each claim of the answer, the worker it comes from and the source it rests on."],
            "conflicts": ["type": "array", "items": [
                "type": "object", "required": ["topic", "workers", "summary"], "additionalProperties": false,
                "properties": ["topic": ["type": "string", "minLength": 1],
                               "workers": ["type": "array", "items": workerId, "minItems": 2, "uniqueItems": true],
                               "summary": ["type": "string", "minLength": 1]],
            ], "description": "Where workers disagree: the topic, the workers on each side, what each said."],
            "gaps": ["type": "array", "items": ["type": "string"],
                     "description": "What the answer cannot cover: failed workers, cut inputs, questions left open."],
        ]
        if Set(workers).count < 2, case .object(var conflicts)? = properties["conflicts"] {
            // One worker cannot disagree with itself.
            conflicts["maxItems"] = 0
            properties["conflicts"] = .object(conflicts)
        }
        var required: [JSONValue] = ["text", "sources", "conflicts", "gaps"]
        var schema: [String: JSONValue] = ["type": "object", "additionalProperties": false]
        if case .object(var user)? = structured {
            if let defs = user.removeValue(forKey: "$defs") { schema["$defs"] = defs }
            properties["structured"] = .object(user)
            required.append("structured")
        } else if let structured {
            properties["structured"] = structured
            required.append("structured")
        }
        schema["properties"] = .object(properties)
        schema["required"] = .array(required)
        return .object(schema)
    }
}
