import Foundation
import Synchronization
import Wire

/// Each model's latency as its answers show it: the median and 90th percentile of the whole
/// answer's time and of the time to its first streamed token, decayed toward recent answers
/// (a sample weighs half as much after `halfLife`), so a model that slows down shows it within
/// minutes and one that recovers does too.
///
/// Kept as a histogram per model over logarithmic buckets (1 ms to 1,000 s, 40 per decade:
/// quantiles to within 3%), decayed lazily when it is touched: O(buckets) per answer, no sample list.
public final class LatencyTracker: Sendable {
    public let halfLife: Duration
    private let models = Mutex<[String: Pair]>([:])
    private let clock: @Sendable () -> Double

    /// Whole-answer and first-token histograms of one model.
    struct Pair {
        var total = DecayedHistogram()
        var firstToken = DecayedHistogram()
    }

    /// - Parameter clock: seconds on a monotonic scale (tests move it).
    public init(halfLife: Duration = .seconds(600), clock: @escaping @Sendable () -> Double = { ProcessInfo.processInfo.systemUptime }) {
        self.halfLife = halfLife
        self.clock = clock
    }

    /// An answer of `model` took `totalMs` (and `firstTokenMs` to its first streamed token).
    public func observe(_ model: String, totalMs: Double, firstTokenMs: Double? = nil) {
        let now = clock(), halfLife = self.halfLife.components.seconds
        models.withLock { models in
            models[model, default: Pair()].total.add(totalMs, at: now, halfLife: Double(halfLife))
            if let firstTokenMs { models[model, default: Pair()].firstToken.add(firstTokenMs, at: now, halfLife: Double(halfLife)) }
        }
    }

    /// What is known of every model, by name.
    public var latencies: [ModelLatency] {
        let now = clock(), halfLife = Double(self.halfLife.components.seconds)
        return models.withLock { models in
            models.keys.sorted().map { name in
                let pair = models[name]!
                return ModelLatency(
                    model: name, p50Ms: pair.total.quantile(0.5) ?? 0, p90Ms: pair.total.quantile(0.9) ?? 0,
                    firstTokenP50Ms: pair.firstToken.quantile(0.5) ?? 0, firstTokenP90Ms: pair.firstToken.quantile(0.9) ?? 0,
                    samples: pair.total.weight(at: now, halfLife: halfLife))
            }
        }
    }
}

/// A histogram of durations whose counts halve every half-life.
struct DecayedHistogram {
    static let perDecade = 40.0
    static let lowestMs = 1.0
    static let buckets = 40 * 6  // 1 ms ... 1,000,000 ms

    private var counts = [Double](repeating: 0, count: DecayedHistogram.buckets)
    private var total = 0.0
    /// When `counts` were last decayed.
    private var updated = 0.0

    mutating func add(_ ms: Double, at now: Double, halfLife: Double) {
        decay(to: now, halfLife: halfLife)
        let index = Self.bucket(ms)
        counts[index] += 1
        total += 1
    }

    /// The decayed number of samples at `now`.
    func weight(at now: Double, halfLife: Double) -> Double {
        total * Self.factor(now - updated, halfLife: halfLife)
    }

    /// The `q` quantile (the geometric middle of its bucket), nil with no samples. Decay scales
    /// every count alike, so it does not move quantiles: no need to decay before reading.
    func quantile(_ q: Double) -> Double? {
        guard total > 0 else { return nil }
        var seen = 0.0
        for (index, count) in counts.enumerated() {
            seen += count
            if seen >= q * total { return Self.lowestMs * pow(10, (Double(index) + 0.5) / Self.perDecade) }
        }
        return Self.lowestMs * pow(10, Double(Self.buckets) / Self.perDecade)
    }

    /// Decays the counts to `now`, at most once a second (a second's decay is a rounding error
    /// beside a half-life of minutes, and a pass costs a multiply per bucket).
    private mutating func decay(to now: Double, halfLife: Double) {
        guard now - updated >= 1 else { return }
        let factor = Self.factor(now - updated, halfLife: halfLife)
        updated = now
        guard factor < 1 else { return }
        total *= factor
        for index in counts.indices { counts[index] *= factor }
    }

    private static func factor(_ elapsed: Double, halfLife: Double) -> Double {
        elapsed <= 0 || halfLife <= 0 ? 1 : pow(0.5, elapsed / halfLife)
    }

    static func bucket(_ ms: Double) -> Int {
        guard ms > lowestMs else { return 0 }
        return min(buckets - 1, Int(log10(ms / lowestMs) * perDecade))
    }
}
