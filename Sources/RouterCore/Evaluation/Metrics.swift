/// A router's result on a test set: mean quality (normalised score) and mean cost per prompt.
public struct OperatingPoint: Sendable, Equatable, Codable {
    public var label: String
    /// The trade-off that produced the point, for routers with one.
    public var alpha: Double?
    /// Mean normalised score in [0, 1].
    public var quality: Double
    /// Mean dollars per prompt.
    public var cost: Double
    /// Share of prompts sent to each model, by name (omitted for single models).
    public var mix: [String: Double]?

    public init(label: String, alpha: Double? = nil, quality: Double, cost: Double, mix: [String: Double]? = nil) {
        self.label = label
        self.alpha = alpha
        self.quality = quality
        self.cost = cost
        self.mix = mix
    }
}

/// RouteLLM's metrics for a strong/weak pair, over a curve of (share of calls to the strong
/// model, quality) points.
///
/// PGR(s) = (q(s) - q_weak) / (q_strong - q_weak). The curve runs from (0, q_weak) to
/// (1, q_strong), linear between measured points (a router can mix two settings at random).
/// APGR is the area under PGR over s in [0, 1]; CPT(x) the smallest s with PGR(s) >= x.
public struct StrongWeakCurve: Sendable, Equatable {
    /// (strong share, quality), sorted by share, endpoints included.
    public let points: [(share: Double, quality: Double)]
    public let weakQuality: Double
    public let strongQuality: Double

    public static func == (a: Self, b: Self) -> Bool {
        a.weakQuality == b.weakQuality && a.strongQuality == b.strongQuality
            && a.points.map(\.share) == b.points.map(\.share) && a.points.map(\.quality) == b.points.map(\.quality)
    }

    /// A curve through `measured` points, with the all-weak and all-strong endpoints added. At
    /// one share only the best quality is kept.
    public init(measured: [(share: Double, quality: Double)], weakQuality: Double, strongQuality: Double) {
        self.weakQuality = weakQuality
        self.strongQuality = strongQuality
        var all = measured + [(0, weakQuality), (1, strongQuality)]
        all.sort { $0.share < $1.share || ($0.share == $1.share && $0.quality > $1.quality) }
        var points: [(share: Double, quality: Double)] = []
        for point in all where points.last?.share != point.share { points.append(point) }
        self.points = points
    }

    /// PGR at quality `q`.
    public func pgr(_ q: Double) -> Double {
        let gap = strongQuality - weakQuality
        return abs(gap) < 1e-15 ? 0 : (q - weakQuality) / gap
    }

    /// The area under PGR over the strong share from 0 to 1 (trapezoids between points).
    public var apgr: Double {
        var area = 0.0
        for (a, b) in zip(points, points.dropFirst()) {
            area += (b.share - a.share) * (pgr(a.quality) + pgr(b.quality)) / 2
        }
        return area
    }

    /// The smallest strong share at which PGR reaches `target` (e.g. 0.5 for CPT(50%)).
    public func cpt(_ target: Double) -> Double? {
        if let first = points.first, pgr(first.quality) >= target { return first.share }
        for (a, b) in zip(points, points.dropFirst()) {
            let pa = pgr(a.quality), pb = pgr(b.quality)
            if pb >= target {
                return pb == pa ? b.share : a.share + (b.share - a.share) * (target - pa) / (pb - pa)
            }
        }
        return nil
    }
}

/// Cost-quality geometry: Pareto frontier, RouterBench's non-decreasing convex hull and AIQ, and
/// Avengers-Pro's cost-at-quality figures.
public enum CostQuality {
    /// The points no other point beats on both cost (lower) and quality (higher), by cost.
    public static func paretoFrontier(_ points: [OperatingPoint]) -> [OperatingPoint] {
        let sorted = points.sorted { $0.cost < $1.cost || ($0.cost == $1.cost && $0.quality > $1.quality) }
        var frontier: [OperatingPoint] = []
        for point in sorted where point.quality > (frontier.last?.quality ?? -.infinity) {
            frontier.append(point)
        }
        return frontier
    }

    /// The non-decreasing upper convex hull of (cost, quality) points (RouterBench): what mixing
    /// the points at random can reach. Sorted by cost.
    public static func hull(_ points: [(cost: Double, quality: Double)]) -> [(cost: Double, quality: Double)] {
        let frontier = paretoFrontier(points.map { OperatingPoint(label: "", quality: $0.quality, cost: $0.cost) })
            .map { (cost: $0.cost, quality: $0.quality) }
        var hull: [(cost: Double, quality: Double)] = []
        for p in frontier {
            while hull.count >= 2 {
                let a = hull[hull.count - 2], b = hull[hull.count - 1]
                // Drop b when it lies on or below the segment a-p.
                let cross = (b.cost - a.cost) * (p.quality - a.quality) - (b.quality - a.quality) * (p.cost - a.cost)
                if cross >= 0 { hull.removeLast() } else { break }
            }
            hull.append(p)
        }
        return hull
    }

    /// The hull's quality at `cost`: linear between hull points, flat after the last, nil before
    /// the first (nothing on the hull is that cheap).
    public static func hullQuality(_ hull: [(cost: Double, quality: Double)], at cost: Double) -> Double? {
        guard let first = hull.first, cost >= first.cost - 1e-18 else { return nil }
        for (a, b) in zip(hull, hull.dropFirst()) where cost <= b.cost {
            return b.cost == a.cost ? b.quality : a.quality + (b.quality - a.quality) * (cost - a.cost) / (b.cost - a.cost)
        }
        return hull.last!.quality
    }

    /// RouterBench's AIQ: the mean of the hull's quality over costs in `range` (numerically, on
    /// `steps` points); costs below the hull's cheapest point count as quality 0.
    public static func aiq(_ hull: [(cost: Double, quality: Double)], over range: ClosedRange<Double>, steps: Int = 2000) -> Double {
        guard range.upperBound > range.lowerBound else { return hullQuality(hull, at: range.lowerBound) ?? 0 }
        var sum = 0.0
        for i in 0...steps {
            let c = range.lowerBound + (range.upperBound - range.lowerBound) * Double(i) / Double(steps)
            let q = hullQuality(hull, at: c) ?? 0
            sum += (i == 0 || i == steps) ? q / 2 : q
        }
        return sum / Double(steps)
    }

    /// The least cost at which the router's curve reaches `quality`: along its Pareto frontier,
    /// linear between adjacent points; nil when it never does.
    public static func costToReach(_ quality: Double, on points: [OperatingPoint]) -> Double? {
        let frontier = paretoFrontier(points)
        guard let firstAbove = frontier.firstIndex(where: { $0.quality >= quality }) else { return nil }
        let b = frontier[firstAbove]
        guard firstAbove > 0 else { return b.cost }
        let a = frontier[firstAbove - 1]
        return a.cost + (b.cost - a.cost) * (quality - a.quality) / (b.quality - a.quality)
    }
}
