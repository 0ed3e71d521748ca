import Histogram
import NIOConcurrencyHelpers
import Synchronization
import Wire

/// Latencies (HdrHistogram, nanoseconds, 3 significant digits) and outcomes by status code,
/// recorded from many event loops at once.
public final class LatencyRecorder: Sendable {
    private struct State {
        var histogram = Histogram<UInt64>(lowestDiscernibleValue: 100, highestTrackableValue: 120_000_000_000, numberOfSignificantValueDigits: .three)
        var statuses: [StatusCode: Int] = [:]
    }

    private let state = NIOLockedValueBox(State())
    private let completed = Atomic<Int>(0)
    private let failed = Atomic<Int>(0)

    public init() {}

    /// One answered request (any status) or one that got no answer (`status` UNAVAILABLE or
    /// DEADLINE_EXCEEDED from the client), with its latency.
    public func record(nanoseconds: UInt64, status: StatusCode) {
        state.withLockedValue { state in
            _ = state.histogram.record(max(100, nanoseconds))
            state.statuses[status, default: 0] += 1
        }
        completed.add(1, ordering: .relaxed)
        if status != .ok { failed.add(1, ordering: .relaxed) }
    }

    /// Requests recorded so far, and how many were not OK (cheap; for the progress line).
    public var counts: (completed: Int, failed: Int) { (completed.load(ordering: .relaxed), failed.load(ordering: .relaxed)) }

    /// A copy of the histogram and the outcomes.
    public var snapshot: (histogram: Histogram<UInt64>, statuses: [StatusCode: Int]) {
        state.withLockedValue { ($0.histogram, $0.statuses) }
    }
}
