import CVectorKernels
import Foundation

/// Routes prompt embeddings with a `ClusterRouterModel`: find the top-k nearest centroids, weight
/// them by softmax(-beta * distance), blend each model's per-cluster normalised performance and
/// cost, and pick the model with the best alpha * perf + (1 - alpha) * (1 - cost).
///
/// Immutable and thread-safe; per-cluster normalisation over all models is precomputed, so a
/// decision costs k dot products plus O(topK x models).
public struct ClusterRouter: Sendable {
    public let model: ClusterRouterModel
    /// k x models: performance min-max normalised across models inside each cluster.
    private let relativePerformance: [Double]
    /// k x models: cost min-max normalised across models inside each cluster.
    private let relativeCost: [Double]
    /// Per model: the lowest and highest value of its performance / cost column over all
    /// clusters (global normalisation over any set of models takes the extremes of these).
    private let performanceColumns: [ClosedRange<Double>]
    private let costColumns: [ClosedRange<Double>]
    /// Squared norm of each centroid, for |q - c|^2 = |q|^2 + |c|^2 - 2 q.c.
    private let centroidNorms: [Float]

    /// A router over `model`; throws `RoutingError.badModel` listing every problem.
    public init(model: ClusterRouterModel) throws {
        let problems = model.problems()
        guard problems.isEmpty else { throw RoutingError.badModel(problems) }
        self.model = model
        let m = model.models.count
        let all = Array(0..<m)
        performanceColumns = Self.columnRanges(model.performance, model)
        costColumns = Self.columnRanges(model.cost, model)
        let (performanceColumns, costColumns) = (self.performanceColumns, self.costColumns)
        relativePerformance = (0..<model.clusterCount).flatMap {
            Self.normalized(model.performance, performanceColumns, $0, all, model)
        }
        relativeCost = (0..<model.clusterCount).flatMap { Self.normalized(model.cost, costColumns, $0, all, model) }
        centroidNorms = (0..<model.clusterCount).map { c in model.centroids.withRow(c) { Vectors.dot($0, $0) } }
    }

    /// One of the nearest clusters and its weight in a decision.
    public struct ClusterWeight: Sendable, Equatable {
        public var cluster: Int
        public var distance: Float
        public var weight: Double
    }

    /// The model to call and why.
    public struct Decision: Sendable, Equatable {
        /// Index into `model.models`.
        public var model: Int
        /// Per model: the trade-off score (or, under a budget, the predicted quality); nil for
        /// models not allowed.
        public var scores: [Double?]
        public var estimates: ModelEstimates
        public var clusters: [ClusterWeight]
    }

    /// The decision for a prompt embedding under `objective`, choosing among `allowed` model
    /// indices (all when nil).
    ///
    /// The hot path of the router service: one pass over the centroids, and no allocation beyond
    /// the arrays the decision returns.
    public func route(_ embedding: [Float], objective: Objective, allowed: [Int]? = nil) throws -> Decision {
        try objective.validate()
        if let allowed {
            guard !allowed.isEmpty else { throw RoutingError.invalid("no allowed models") }
            guard allowed.allSatisfy(model.models.indices.contains) else { throw RoutingError.invalid("allowed model index out of range") }
        }
        let clusters = try nearestClusters(embedding)
        let estimates = self.estimates(clusters, allowed: allowed)
        var scores = [Double?](repeating: nil, count: model.models.count)
        let chosen: Int
        switch objective {
        case .tradeoff(let alpha):
            chosen = estimates.choose(alpha: alpha, allowed: allowed)
            ModelEstimates.forEach(allowed, count: scores.count) { scores[$0] = estimates.score($0, alpha: alpha) }
        case .budget(let maxCost):
            chosen = estimates.choose(maxCost: maxCost, allowed: allowed)
            ModelEstimates.forEach(allowed, count: scores.count) { scores[$0] = estimates.quality[$0] }
        }
        return Decision(model: chosen, scores: scores, estimates: estimates, clusters: clusters)
    }

    /// The top-k clusters nearest to `embedding` with their softmax weights, nearest first.
    public func nearestClusters(_ embedding: [Float]) throws -> [ClusterWeight] {
        let d = model.dimension
        guard embedding.count == d else {
            throw RoutingError.invalid("embedding has \(embedding.count) dimensions, the router expects \(d)")
        }
        // A NaN or infinity anywhere makes the squared norm non-finite (so do values beyond ~1e19,
        // which no embedder produces): one SIMD pass instead of a per-element check.
        let queryNorm = embedding.withUnsafeBufferPointer { Vectors.dot($0, $0) }
        guard queryNorm.isFinite else { throw RoutingError.invalid("embedding has a non-finite (or overflowing) value") }
        let k = min(model.topK, model.clusterCount)
        // The result doubles as the top-k buffer: `distance` holds the squared distance until the end.
        var best: [ClusterWeight] = []
        best.reserveCapacity(k + 1)
        let count = model.clusterCount
        withUnsafeTemporaryAllocation(of: Float.self, capacity: count) { dots in
            embedding.withUnsafeBufferPointer { query in
                model.centroids.storage.withUnsafeBufferPointer { centroids in
                    sy_dot_rows(centroids.baseAddress, count, d, query.baseAddress, dots.baseAddress)
                }
                for c in 0..<count {
                    let squared = max(0, queryNorm + centroidNorms[c] - 2 * dots[c])
                    guard best.count < k || squared < best[best.count - 1].distance else { continue }
                    var i = best.count
                    while i > 0 && best[i - 1].distance > squared { i -= 1 }
                    best.insert(ClusterWeight(cluster: c, distance: squared, weight: 0), at: i)
                    if best.count > k { best.removeLast() }
                }
            }
        }
        let nearest = Double(best[0].distance.squareRoot())
        var total = 0.0
        for i in best.indices {
            best[i].distance = best[i].distance.squareRoot()
            best[i].weight = exp(-model.beta * (Double(best[i].distance) - nearest))
            total += best[i].weight
        }
        for i in best.indices { best[i].weight /= total }
        return best
    }

    /// Blends the clusters' statistics; normalises across `allowed` when it is a strict subset.
    public func estimates(_ clusters: [ClusterWeight], allowed: [Int]? = nil) -> ModelEstimates {
        let m = model.models.count
        var quality = [Double](repeating: 0, count: m), cost = quality, relQuality = quality, relCost = quality
        let subset = allowed.map { Set($0).count < m } ?? false
        for hit in clusters {
            let base = hit.cluster * m
            let rows: (perf: [Double], cost: [Double])? = subset
                ? (Self.normalized(model.performance, performanceColumns, hit.cluster, allowed!, model),
                   Self.normalized(model.cost, costColumns, hit.cluster, allowed!, model))
                : nil
            for j in 0..<m {
                quality[j] += hit.weight * model.performance[base + j]
                cost[j] += hit.weight * model.cost[base + j]
                relQuality[j] += hit.weight * (rows?.perf[j] ?? relativePerformance[base + j])
                relCost[j] += hit.weight * (rows?.cost[j] ?? relativeCost[base + j])
            }
        }
        return ModelEstimates(quality: quality, cost: cost, relativeQuality: relQuality, relativeCost: relCost)
    }

    /// Each model's column range in a clusters x models `table`.
    private static func columnRanges(_ table: [Double], _ model: ClusterRouterModel) -> [ClosedRange<Double>] {
        let m = model.models.count
        return (0..<m).map { j in
            let column = (0..<model.clusterCount).map { table[$0 * m + j] }
            return column.min()!...column.max()!
        }
    }

    /// Cluster `c`'s row of `table` on [0, 1] for the `allowed` models (others 0): min-max inside
    /// the cluster, or over the allowed models' `columns` ranges, as the model says.
    private static func normalized(
        _ table: [Double], _ columns: [ClosedRange<Double>], _ c: Int, _ allowed: [Int], _ model: ClusterRouterModel
    ) -> [Double] {
        let m = model.models.count
        var row = [Double](repeating: 0, count: m)
        switch model.normalization {
        case .perCluster:
            let values = ModelEstimates.minMaxNormalized(allowed.map { table[c * m + $0] })
            for (i, j) in allowed.enumerated() { row[j] = values[i] }
        case .global:
            let low = allowed.map { columns[$0].lowerBound }.min()!
            let high = allowed.map { columns[$0].upperBound }.max()!
            for j in allowed { row[j] = high - low > 1e-15 ? (table[c * m + j] - low) / (high - low) : 0.5 }
        }
        return row
    }
}

/// What a routing decision optimises.
public enum Objective: Sendable, Equatable {
    /// alpha in [0, 1]: 0 = cheapest, 1 = best quality.
    case tradeoff(alpha: Double)
    /// The best predicted quality with predicted cost at most this many dollars.
    case budget(maxCostUSD: Double)

    /// Throws `RoutingError.invalid` for alpha outside [0, 1] or a negative or non-finite budget.
    public func validate() throws {
        switch self {
        case .tradeoff(let alpha):
            guard alpha.isFinite, (0...1).contains(alpha) else { throw RoutingError.invalid("alpha \(alpha) is outside [0, 1]") }
        case .budget(let maxCost):
            guard maxCost.isFinite, maxCost >= 0 else { throw RoutingError.invalid("max cost \(maxCost) must be a finite number >= 0") }
        }
    }
}

/// Why a router could not be built or could not decide.
public enum RoutingError: Error, Equatable, CustomStringConvertible {
    /// The request is malformed (wrong dimension, alpha out of range, unknown model).
    case invalid(String)
    /// The router model is inconsistent; every problem found.
    case badModel([String])

    public var description: String {
        switch self {
        case .invalid(let reason): reason
        case .badModel(let problems): "bad router model: " + problems.joined(separator: "; ")
        }
    }
}
