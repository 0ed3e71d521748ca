import Foundation

/// Timing samples in nanoseconds and their percentiles.
struct Samples {
    private(set) var values: [Double] = []

    init(capacity: Int = 0) { values.reserveCapacity(capacity) }

    mutating func append(_ nanoseconds: Double) { values.append(nanoseconds) }

    /// The p-th percentile (0...100), nearest rank.
    func percentile(_ p: Double) -> Double {
        precondition(!values.isEmpty, "no samples")
        let sorted = values.sorted()
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1
        return sorted[min(max(rank, 0), sorted.count - 1)]
    }
}

/// Nanoseconds on the monotonic clock.
@inline(__always) func nowNanoseconds() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

func format(_ value: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", value) }
