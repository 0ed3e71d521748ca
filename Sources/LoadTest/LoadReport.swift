import Foundation
import Wire

/// The result of a load run, printed as text or JSON.
public struct LoadReport: Codable, Sendable {
    public var target: String
    public var method: String
    /// "closed loop: 4 connections x 32 deep" or "open loop: 50000/s over 4 connections".
    public var mode: String
    /// Recorded seconds (after warm-up).
    public var seconds: Double
    public var requests: Int
    public var ok: Int
    /// Status name -> count, for every status other than OK.
    public var errors: [String: Int]
    public var throughputPerSecond: Double
    public var latencyMicroseconds: Latency
    /// When recording began, Unix seconds: the zero of `timeline`.
    public var startedAtUnix: Double
    /// Outcomes by completion time (with `--timeline`); nil otherwise.
    public var timeline: [TimelineSlot]?

    public struct Latency: Codable, Sendable {
        public var p50: Double
        public var p90: Double
        public var p99: Double
        public var p999: Double
        public var max: Double
        public var mean: Double
    }

    /// The report of `generator`'s finished run.
    public init(_ generator: LoadGenerator, seconds: Double) {
        let (histogram, statuses) = generator.recorder.snapshot
        let plan = generator.plan
        target = "\(plan.target)"
        method = plan.method
        mode = switch plan.mode {
        case .closedLoop(let connections, let depth): "closed loop: \(connections) connections x \(depth) deep"
        case .openLoop(let rate, let connections): "open loop: \(Int(rate))/s over \(connections) connections"
        }
        self.seconds = seconds
        startedAtUnix = generator.recordingStartedAtUnix
        timeline = plan.timelineSlot == nil ? nil : generator.recorder.timeline
        requests = statuses.values.reduce(0, +)
        ok = statuses[.ok] ?? 0
        errors = Dictionary(uniqueKeysWithValues: statuses.filter { $0.key != .ok }.map { ("\($0.key)", $0.value) })
        throughputPerSecond = seconds > 0 ? Double(requests) / seconds : 0
        func micros(_ percentile: Double) -> Double { Double(histogram.valueAtPercentile(percentile)) / 1000 }
        latencyMicroseconds = Latency(
            p50: micros(50), p90: micros(90), p99: micros(99), p999: micros(99.9),
            max: Double(histogram.max) / 1000, mean: histogram.mean / 1000)
        if histogram.totalCount == 0 { latencyMicroseconds = Latency(p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0) }
    }

    public var text: String {
        let l = latencyMicroseconds
        func f(_ x: Double) -> String { String(format: x >= 100 ? "%.0f" : "%.1f", x) }
        var lines = [
            "\(method) to \(target), \(mode), \(String(format: "%.1f", seconds)) s recorded",
            "requests \(requests): \(ok) OK, \(requests - ok) errors; throughput \(Int(throughputPerSecond.rounded()))/s",
            "latency us: p50 \(f(l.p50))  p90 \(f(l.p90))  p99 \(f(l.p99))  p99.9 \(f(l.p999))  max \(f(l.max))  mean \(f(l.mean))",
        ]
        if !errors.isEmpty {
            lines.append("errors by status: " + errors.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        }
        return lines.joined(separator: "\n")
    }

    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
    }
}
