/// Where a router's strong-win scores fall on a set of prompts, so a request can ask for a share
/// of strong calls instead of a raw threshold (RouteLLM's calibration: the threshold that sends a
/// share s to the strong model is the (1 - s) quantile of the scores).
public struct Calibration: Sendable, Equatable {
    /// The scores at quantiles 0, 1/(n-1), ..., 1 (non-decreasing).
    public var quantiles: [Double]
    /// What the scores were computed on, e.g. "mmlu.jsonl.gz (9826 prompts)".
    public var source: String

    /// The quantiles of `scores` (numpy's linear interpolation) at `points` evenly spaced levels.
    public init(scores: [Double], source: String, points: Int = 1001) {
        precondition(!scores.isEmpty && points >= 2, "calibration needs scores")
        let sorted = scores.sorted()
        quantiles = (0..<points).map { Self.quantile(sorted, Double($0) / Double(points - 1)) }
        self.source = source
    }

    /// A calibration with the given quantiles (a router file).
    public init(quantiles: [Double], source: String) throws {
        guard quantiles.count >= 2, zip(quantiles, quantiles.dropFirst()).allSatisfy({ $0 <= $1 }),
              quantiles.allSatisfy(\.isFinite)
        else { throw RoutingError.badModel(["calibration quantiles must be at least 2 finite, non-decreasing values"]) }
        self.quantiles = quantiles
        self.source = source
    }

    /// The threshold that sends `share` of the calibration prompts to the strong model (strong
    /// when score >= threshold). Throws `RoutingError.invalid` for a share outside (0, 1).
    public func threshold(forStrongShare share: Double) throws -> Double {
        guard share.isFinite, share > 0, share < 1 else {
            throw RoutingError.invalid("strong share \(share) is outside (0, 1)")
        }
        let position = (1 - share) * Double(quantiles.count - 1)
        let low = Int(position.rounded(.down))
        let high = min(low + 1, quantiles.count - 1)
        return quantiles[low] + (quantiles[high] - quantiles[low]) * (position - Double(low))
    }

    /// The q-quantile of sorted `values`, interpolated linearly (numpy's default).
    public static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        let position = q * Double(sorted.count - 1)
        let low = Int(position.rounded(.down))
        let high = min(low + 1, sorted.count - 1)
        return sorted[low] + (sorted[high] - sorted[low]) * (position - Double(low))
    }
}
