import Foundation

extension OTLPExporter {
    /// Finished spans as one compact `ExportTraceServiceRequest` body, for `OTLPLiveExporter`:
    /// the workers given (their parents named by id, sent before or after), and the session's
    /// root span when `root` gives its end. Ids are the ones `export` makes, so a live trace
    /// and a later export agree.
    public static func requestBody(session: SessionRecord, workers: [(worker: WorkerRecord, events: [EventRecord])],
                                   root: (start: Date, end: Date, workerCount: Int)?) -> Data {
        var spans = workers.map { entry in
            workerSpan(entry.worker, events: entry.events, end: entry.worker.endedAt ?? entry.events.last?.at ?? entry.worker.createdAt,
                       knownWorkers: nil)
        }
        if let root { spans.insert(rootSpan(session, start: root.start, end: root.end, workerCount: root.workerCount), at: 0) }
        return Data(JSONLExporter.encode(request(spans)).utf8)
    }
}
