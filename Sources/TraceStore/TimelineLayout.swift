import Foundation

/// One stretch of a worker's run on the timeline: a model call (from the call until the
/// model's answer is reported) or a tool call (from the call until its result).
struct TimelineSegment: Equatable {
    enum Kind: String { case model, tool }
    var kind: Kind
    var start: Date
    var end: Date
    var label: String
}

/// The pure layout decisions of the timeline page: segments from events, and axis ticks.
enum TimelineLayout {
    /// The worker's model and tool calls, in the order they began. A call still open when
    /// the events end (a running worker, or one cut off) lasts until `end`.
    static func segments(of events: [EventRecord], end: Date) -> [TimelineSegment] {
        // Each segment with the seq of the event that opened it, which orders calls that
        // began at the same instant.
        var segments: [(opened: Int, segment: TimelineSegment)] = []
        var openModel: (seq: Int, start: Date, label: String)?
        var openTools: [String: (seq: Int, start: Date, label: String)] = [:]
        var toolOrder: [String] = []
        func closeModel(at time: Date) {
            if let model = openModel {
                segments.append((model.seq, TimelineSegment(kind: .model, start: model.start, end: time, label: model.label)))
            }
            openModel = nil
        }
        func closeTool(_ id: String, at time: Date) {
            if let tool = openTools.removeValue(forKey: id) {
                segments.append((tool.seq, TimelineSegment(kind: .tool, start: tool.start, end: time, label: tool.label)))
            }
        }
        for event in events {
            let data = (try? JSONSerialization.jsonObject(with: Data(event.dataJSON.utf8))) as? [String: Any] ?? [:]
            switch event.kind {
            case "model_call":
                closeModel(at: event.at)
                let step = (data["step"] as? NSNumber).map { " \($0)" } ?? ""
                openModel = (event.seq, event.at, "model call\(step)" + ((data["model"] as? String).map { " · \($0)" } ?? ""))
            case "tool_call":
                closeModel(at: event.at)
                let id = data["id"] as? String ?? "#\(event.seq)"
                openTools[id] = (event.seq, event.at, "tool \(data["name"] as? String ?? "call")")
                toolOrder.append(id)
            case "tool_result":
                closeTool(data["id"] as? String ?? "", at: event.at)
            case _ where WorkerRecord.terminalStates.contains(event.kind):
                closeModel(at: event.at)
                for id in toolOrder { closeTool(id, at: event.at) }
            default:
                closeModel(at: event.at)
            }
        }
        closeModel(at: end)
        for id in toolOrder { closeTool(id, at: end) }
        return segments.sorted { ($0.segment.start, $0.opened) < ($1.segment.start, $1.opened) }.map(\.segment)
    }

    /// Round steps for the time axis: 1, 2 and 5 per decade below a minute, then minutes
    /// and hours people count in.
    static let tickSteps: [TimeInterval] = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30,
                                            60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400]

    /// Ticks at multiples of the smallest round step that gives at most `maxTicks` intervals.
    static func ticks(span: TimeInterval, maxTicks: Int = 8) -> [(offset: TimeInterval, label: String)] {
        let step = tickSteps.first { span / $0 <= Double(maxTicks) } ?? max(span / Double(maxTicks), 1)
        var ticks: [(TimeInterval, String)] = []
        var index = 0
        while Double(index) * step <= span * 1.000_001 {
            let offset = Double(index) * step
            ticks.append((offset, index == 0 ? "0" : tickLabel(offset, step: step)))
            index += 1
        }
        return ticks
    }

    /// `250ms`, `1.5s`, `45s`, `2m`, `2m30s`, `1h`, `1h15m`: no more digits than the step needs.
    static func tickLabel(_ seconds: TimeInterval, step: TimeInterval) -> String {
        if step < 1 && seconds < 1 { return "\(Int((seconds * 1000).rounded()))ms" }
        if step < 1 { return String(format: "%.\(step < 0.1 ? 2 : 1)fs", seconds) }
        let whole = Int(seconds.rounded())
        if whole < 60 { return "\(whole)s" }
        if whole < 3600 { return whole % 60 == 0 ? "\(whole / 60)m" : "\(whole / 60)m\(String(format: "%02d", whole % 60))s" }
        return whole % 3600 == 0 ? "\(whole / 3600)h" : "\(whole / 3600)h\(String(format: "%02d", whole % 3600 / 60))m"
    }
}
