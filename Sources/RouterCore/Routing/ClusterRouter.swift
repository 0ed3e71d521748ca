import CVectorKernels
import Foundation

/// Routes prompt embeddings with a `ClusterRouterModel`: find the top-k nearest centroids, weight
/// them by softmax(-beta * distance), blend each model's per-cluster normalised performance and
/// cost, and pick the model with the best alpha * perf + (1 - alpha) * (1 - cost).
///
/// Immutable and thread-safe; per-cluster normalisation over all models is precomputed, so a
/// decision costs k dot products plus O(topK x models).
public struct ClusterRouter: Router {
    public let model: ClusterRouterModel
    /// k x models: performance min-max normalised across models inside each cluster.
    private let relativePerformance: [Double]
    /// k x models: cost min-max normalised across models inside each cluster.
    private let relativeCost: [Double]
    /// Squared norm of each centroid, for |q - c|^2 = |q|^2 + |c|^2 - 2 q.c.
    private let centroidNorms: [Float]

    /// A router over `model`; throws `RoutingError.badModel` listing every problem.
    public init(model: ClusterRouterModel) throws {
        let problems = model.problems()
        guard problems.isEmpty else { throw RoutingError.badModel(problems) }
        self.model = model
        let m = model.models.count
        let all = Array(0..<m)
        // Per model: the lowest and highest value of its column over all clusters (global
        // normalisation takes the extremes of these).
        let performanceColumns = Self.columnRanges(model.performance, model)
        let costColumns = Self.columnRanges(model.cost, model)
        relativePerformance = (0..<model.clusterCount).flatMap {
            Self.normalized(model.performance, performanceColumns, $0, all, model)
        }
        relativeCost = model.normalization == .pool
            ? Self.poolNormalizedCost(model)
            : (0..<model.clusterCount).flatMap { Self.normalized(model.cost, costColumns, $0, all, model) }
        centroidNorms = (0..<model.clusterCount).map { c in model.centroids.withRow(c) { Vectors.dot($0, $0) } }
    }

    /// One of the nearest clusters and its weight in a decision.
    public struct ClusterWeight: Sendable, Equatable {
        public var cluster: Int
        public var distance: Float
        public var weight: Double
    }

    public var kind: RouterKind { .cluster }
    public var models: [String] { model.models }
    public var pair: ModelPair { model.pair }

    /// The nearest clusters' blended statistics; the strong-win score is the strong model's
    /// predicted quality gain over the weak one.
    ///
    /// The hot path of the router service: one pass over the centroids, and no allocation beyond
    /// the arrays the estimate returns.
    public func estimate(_ query: RoutingQuery) throws -> RouterEstimate {
        let clusters = try nearestClusters(query.embedding)
        let estimates = self.estimates(clusters)
        return RouterEstimate(estimates: estimates, strongWinScore: model.pair.gain(estimates.quality), clusters: clusters)
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

    /// Blends the clusters' statistics, weighted by their share in the decision.
    public func estimates(_ clusters: [ClusterWeight]) -> ModelEstimates {
        let m = model.models.count
        var quality = [Double](repeating: 0, count: m), cost = quality, relQuality = quality, relCost = quality
        for hit in clusters {
            let base = hit.cluster * m
            for j in 0..<m {
                quality[j] += hit.weight * model.performance[base + j]
                cost[j] += hit.weight * model.cost[base + j]
                relQuality[j] += hit.weight * relativePerformance[base + j]
                relCost[j] += hit.weight * relativeCost[base + j]
            }
        }
        return ModelEstimates(quality: quality, cost: cost, relativeQuality: relQuality, relativeCost: relCost)
    }

    /// Cost on [0, 1] against the pool: (cost - lo) / (hi - lo), clipped, with lo and hi the
    /// cheapest and the dearest model's mean cost per prompt (clusters weighted by their size).
    private static func poolNormalizedCost(_ model: ClusterRouterModel) -> [Double] {
        let (lo, hi) = model.poolCostRange
        return model.cost.map { hi - lo > 1e-15 ? min(max(($0 - lo) / (hi - lo), 0), 1) : 0 }
    }

    /// A Thompson draw for a learned router (one with strengths): each model's quality drawn from
    /// Beta(mean x strength, (1 - mean) x strength) around `estimates` (the nearest `clusters`'
    /// blend, as `estimate` made it) with the clusters' evidence blended the same way; nil for an
    /// offline router, which does not explore.
    public func explored(
        _ estimates: ModelEstimates, _ clusters: [ClusterWeight], using generator: inout some RandomNumberGenerator
    ) -> ModelEstimates? {
        guard let strength = model.strength else { return nil }
        var drawn = estimates
        let m = model.models.count
        for j in 0..<m {
            var evidence = 0.0
            for hit in clusters { evidence += hit.weight * strength[hit.cluster * m + j] }
            let mean = min(max(drawn.quality[j], 1e-3), 1 - 1e-3)
            drawn.quality[j] = BetaSampler.sample(alpha: mean * evidence, beta: (1 - mean) * evidence, using: &generator)
            drawn.relativeQuality[j] = drawn.quality[j]
        }
        return drawn
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
        case .pool:
            for j in allowed { row[j] = table[c * m + j] }
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

extension ClusterRouter {
    public func stored() -> StoredRouter {
        let k = model.clusterCount, m = model.models.count
        var tensors = [
            "centroids": model.centroids,
            "cluster_sizes": Matrix(vector: model.clusterSizes.map(Double.init)),
            "performance": Matrix(rows: k, columns: m, storage: model.performance.map(Float.init)),
            "cost": Matrix(rows: k, columns: m, storage: model.cost.map(Float.init)),
        ]
        if let observations = model.observations { tensors["observations"] = Matrix(rows: k, columns: m, storage: observations.map(Float.init)) }
        if let strength = model.strength { tensors["strength"] = Matrix(rows: k, columns: m, storage: strength.map(Float.init)) }
        return StoredRouter(
            name: RouterKind.cluster.rawValue, kind: .cluster, models: model.models,
            tensors: tensors,
            numbers: ["top_k": Double(model.topK), "beta": model.beta].merging(model.pair.numbers) { $1 },
            texts: ["normalization": model.normalization.rawValue])
    }

    /// The cluster router a router file holds.
    public init(stored: StoredRouter) throws {
        let centroids = try stored.tensor("centroids")
        let k = centroids.rows, m = stored.models.count
        guard let normalization = Normalization(rawValue: stored.texts["normalization"] ?? "global") else {
            throw RoutingError.badModel(["unknown normalization \(stored.texts["normalization"] ?? "")"])
        }
        try self.init(model: ClusterRouterModel(
            models: stored.models, pair: try ModelPair(stored.numbers),
            centroids: centroids, clusterSizes: try stored.vector("cluster_sizes", count: k).map { Int($0) },
            performance: try stored.tensor("performance", rows: k, columns: m).storage.map(Double.init),
            cost: try stored.tensor("cost", rows: k, columns: m).storage.map(Double.init),
            topK: Int(try stored.number("top_k")), beta: try stored.number("beta"), normalization: normalization,
            observations: try stored.tensors["observations"].map { _ in try stored.tensor("observations", rows: k, columns: m).storage.map(Double.init) },
            strength: try stored.tensors["strength"].map { _ in try stored.tensor("strength", rows: k, columns: m).storage.map(Double.init) }))
    }
}
