/// A router's per-model view of one prompt: predicted quality and cost, raw and normalised to
/// [0, 1] across the models, and the choice they imply for a trade-off or a budget.
public struct ModelEstimates: Sendable, Equatable {
    /// Predicted score per model, in the data's normalised [0, 1] units.
    public var quality: [Double]
    /// Predicted cost per model, in dollars.
    public var cost: [Double]
    /// `quality` min-max normalised across models (the "p~" of Avengers-Pro).
    public var relativeQuality: [Double]
    /// `cost` min-max normalised across models (the "c~").
    public var relativeCost: [Double]

    public init(quality: [Double], cost: [Double], relativeQuality: [Double], relativeCost: [Double]) {
        self.quality = quality
        self.cost = cost
        self.relativeQuality = relativeQuality
        self.relativeCost = relativeCost
    }

    /// Estimates whose relative values are normalised from the raw ones across all models.
    public init(quality: [Double], cost: [Double]) {
        self.init(quality: quality, cost: cost,
                  relativeQuality: Self.minMaxNormalized(quality), relativeCost: Self.minMaxNormalized(cost))
    }

    /// Estimates normalised against fixed ranges (e.g. a training set's), so the size of a gap
    /// between models survives.
    public init(quality: [Double], cost: [Double], qualityRange: ClosedRange<Double>, costRange: ClosedRange<Double>) {
        func scale(_ v: Double, _ r: ClosedRange<Double>) -> Double {
            r.upperBound - r.lowerBound > 1e-15 ? min(1, max(0, (v - r.lowerBound) / (r.upperBound - r.lowerBound))) : 0.5
        }
        self.init(quality: quality, cost: cost, relativeQuality: quality.map { scale($0, qualityRange) },
                  relativeCost: cost.map { scale($0, costRange) })
    }

    /// alpha * relativeQuality + (1 - alpha) * (1 - relativeCost) for model `m`.
    @inlinable
    public func score(_ m: Int, alpha: Double) -> Double {
        alpha * relativeQuality[m] + (1 - alpha) * (1 - relativeCost[m])
    }

    /// The model with the best trade-off score among `allowed` (all when nil); ties go to the
    /// cheaper model.
    public func choose(alpha: Double, allowed: [Int]? = nil) -> Int {
        var best = -1
        var bestScore = -Double.infinity
        Self.forEach(allowed, count: quality.count) { m in
            let s = score(m, alpha: alpha)
            if s > bestScore + 1e-12 || (abs(s - bestScore) <= 1e-12 && best >= 0 && cost[m] < cost[best]) {
                best = m
                bestScore = s
            }
        }
        return best
    }

    /// Calls `body` with each index of `allowed`, or with 0..<count when nil (no array made).
    @inlinable
    public static func forEach(_ allowed: [Int]?, count: Int, _ body: (Int) -> Void) {
        if let allowed {
            for m in allowed { body(m) }
        } else {
            for m in 0..<count { body(m) }
        }
    }

    /// The model with the best predicted quality whose predicted cost is within `maxCost`; the
    /// cheapest model when none is.
    public func choose(maxCost: Double, allowed: [Int]? = nil) -> Int {
        let candidates = allowed ?? Array(quality.indices)
        let affordable = candidates.filter { cost[$0] <= maxCost }
        guard !affordable.isEmpty else { return candidates.min { cost[$0] < cost[$1] } ?? -1 }
        return affordable.max { quality[$0] < quality[$1] || (quality[$0] == quality[$1] && cost[$0] > cost[$1]) }!
    }

    /// Values mapped linearly onto [0, 1]; all equal values map to 0.5.
    public static func minMaxNormalized(_ values: [Double]) -> [Double] {
        guard let low = values.min(), let high = values.max() else { return [] }
        let range = high - low
        return values.map { range > 1e-15 ? ($0 - low) / range : 0.5 }
    }
}
