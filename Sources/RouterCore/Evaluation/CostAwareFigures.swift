/// A router's cost-aware figures: its curve of (cost, quality) points over the alpha trade-off,
/// and what Avengers-Pro and RouterBench read off it.
public struct CostAwareFigures: Sendable, Equatable, Codable {
    /// RouterBench's AIQ: mean quality of the curve's non-decreasing convex hull over the single
    /// models' cost range.
    public var aiq: Double
    /// The highest quality on the curve, and its gain over the best single model, in percent.
    public var peakQuality: Double
    public var gainPercent: Double
    /// Cost saved reaching the best single model's quality, and 90% of it, in percent (nil:
    /// never reached).
    public var savedAtBestPercent: Double?
    public var savedAt90Percent: Double?

    /// The figures of a router whose alpha sweep gave `curve`, against the single models.
    public init(curve: [OperatingPoint], singles: [OperatingPoint]) {
        let best = singles.max { $0.quality < $1.quality || ($0.quality == $1.quality && $0.cost > $1.cost) }!
        let range = singles.map(\.cost).min()!...singles.map(\.cost).max()!
        aiq = CostQuality.aiq(CostQuality.hull(curve.map { ($0.cost, $0.quality) }), over: range)
        peakQuality = curve.map(\.quality).max() ?? 0
        gainPercent = best.quality > 0 ? (peakQuality - best.quality) / best.quality * 100 : 0
        let saved = { (target: Double) in
            CostQuality.costToReach(target, on: curve).map { best.cost > 0 ? (1 - $0 / best.cost) * 100 : 0 }
        }
        savedAtBestPercent = saved(best.quality)
        savedAt90Percent = saved(0.9 * best.quality)
    }

    /// RouterBench's zero router: the AIQ of the single models' own hull.
    public static func zeroRouterAIQ(_ singles: [OperatingPoint]) -> Double {
        let range = singles.map(\.cost).min()!...singles.map(\.cost).max()!
        return CostQuality.aiq(CostQuality.hull(singles.map { ($0.cost, $0.quality) }), over: range)
    }
}

extension OperatingPoint {
    /// The point of per-prompt `choices` on `test`.
    public init(label: String, alpha: Double? = nil, choices: [Int], on test: CompleteSet) {
        var quality = 0.0, cost = 0.0
        var counts = [Int](repeating: 0, count: test.models.count)
        for (i, m) in choices.enumerated() {
            quality += test.scores[i][m]
            cost += test.costs[i][m]
            counts[m] += 1
        }
        let n = Double(max(choices.count, 1))
        var mix: [String: Double] = [:]
        for (m, count) in counts.enumerated() where count > 0 { mix[test.models[m]] = Double(count) / n }
        self.init(label: label, alpha: alpha, quality: quality / n, cost: cost / n, mix: mix)
    }
}
