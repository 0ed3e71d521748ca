import Histogram
import NIOConcurrencyHelpers
import NIOCore
import Synchronization
import Wire

/// Latencies (HdrHistogram, nanoseconds, 3 significant digits) and outcomes by status code,
/// recorded from many event loops at once; optionally a timeline of outcomes by when they
/// completed.
public final class LatencyRecorder: Sendable {
    private struct State {
        var histogram = Histogram<UInt64>(lowestDiscernibleValue: 100, highestTrackableValue: 120_000_000_000, numberOfSignificantValueDigits: .three)
        var statuses: [StatusCode: Int] = [:]
        var timeline: [Int: TimelineSlot] = [:]
    }

    private let state = NIOLockedValueBox(State())
    private let completed = Atomic<Int>(0)
    private let failed = Atomic<Int>(0)
    private let slotNanoseconds: UInt64?

    /// - Parameter timelineSlot: keep a timeline in slots of this length (nil: none).
    public init(timelineSlot: Duration? = nil) {
        slotNanoseconds = timelineSlot.map { UInt64(max(1, TimeAmount($0).nanoseconds)) }
    }

    /// One answered request (any status) or one that got no answer (`status` UNAVAILABLE or
    /// DEADLINE_EXCEEDED from the client), with its latency; `completedAfter` is the time from
    /// the start of recording to its completion (for the timeline).
    public func record(nanoseconds: UInt64, status: StatusCode, completedAfter: UInt64 = 0) {
        state.withLockedValue { state in
            _ = state.histogram.record(max(100, nanoseconds))
            state.statuses[status, default: 0] += 1
            if let slotNanoseconds {
                let index = Int(completedAfter / slotNanoseconds)
                state.timeline[index, default: TimelineSlot(start: Double(UInt64(index) * slotNanoseconds) / 1e9)]
                    .add(latency: nanoseconds, ok: status == .ok)
            }
        }
        completed.add(1, ordering: .relaxed)
        if status != .ok { failed.add(1, ordering: .relaxed) }
    }

    /// Requests recorded so far, and how many were not OK (cheap; for the progress line).
    public var counts: (completed: Int, failed: Int) { (completed.load(ordering: .relaxed), failed.load(ordering: .relaxed)) }

    /// The timeline, slot by slot from the start of recording (empty slots included); empty
    /// when none is kept.
    public var timeline: [TimelineSlot] {
        guard let slotNanoseconds else { return [] }
        let slots = state.withLockedValue { $0.timeline }
        guard let last = slots.keys.max() else { return [] }
        return (0...last).map { slots[$0] ?? TimelineSlot(start: Double(UInt64($0) * slotNanoseconds) / 1e9) }
    }

    /// A copy of the histogram and the outcomes.
    public var snapshot: (histogram: Histogram<UInt64>, statuses: [StatusCode: Int]) {
        state.withLockedValue { ($0.histogram, $0.statuses) }
    }
}

/// The requests that completed in one slot of a run's timeline.
public struct TimelineSlot: Codable, Sendable, Equatable {
    /// Seconds from the start of recording to the start of the slot.
    public var start: Double
    public var ok = 0
    /// Completed with any other status (or no answer).
    public var failed = 0
    /// The longest latency among them, in milliseconds.
    public var maxMilliseconds = 0.0

    public init(start: Double) { self.start = start }

    mutating func add(latency nanoseconds: UInt64, ok isOK: Bool) {
        if isOK { ok += 1 } else { failed += 1 }
        maxMilliseconds = max(maxMilliseconds, Double(nanoseconds) / 1e6)
    }
}
