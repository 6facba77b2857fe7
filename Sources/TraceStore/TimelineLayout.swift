import Foundation

/// The pure layout decisions of the timeline page: the axis ticks (the calls drawn on each
/// bar are `WorkerCall`s).
enum TimelineLayout {
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
