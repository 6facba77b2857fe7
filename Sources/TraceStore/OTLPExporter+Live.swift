import Foundation

extension OTLPExporter {
    /// Finished spans as one compact `ExportTraceServiceRequest` body, for `OTLPLiveExporter`:
    /// the workers given with their calls (their parents named by id, sent before or after),
    /// the orchestrations given, and the session's root span when `root` gives its end. Ids
    /// are the ones `export` makes, so a live trace and a later export agree.
    public static func requestBody(session: SessionRecord, workers: [(worker: WorkerRecord, events: [EventRecord])],
                                   orchestrations: [OrchestrationRecord] = [],
                                   root: (start: Date, end: Date, workerCount: Int)?) -> Data {
        var spans = orchestrations.map { orchestrationSpan($0, end: $0.endedAt ?? Date()) }
        for entry in workers {
            spans += workerSpans(entry.worker, events: entry.events,
                                 end: entry.worker.endedAt ?? entry.events.last?.at ?? entry.worker.createdAt, knownParents: nil)
        }
        if let root { spans.insert(rootSpan(session, start: root.start, end: root.end, workerCount: root.workerCount), at: 0) }
        return Data(JSONLExporter.encode(request(spans)).utf8)
    }
}
