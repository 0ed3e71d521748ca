import RouterCore
import Store

/// A model the gateway can call, with its prices (dollars per 1M tokens): what decides which
/// models the learned router ranks.
public struct ModelOffer: Sendable, Equatable {
    public var name: String
    public var inputPerMillion: Double
    public var outputPerMillion: Double

    public init(name: String, inputPerMillion: Double, outputPerMillion: Double) {
        (self.name, self.inputPerMillion, self.outputPerMillion) = (name, inputPerMillion, outputPerMillion)
    }

    /// The blended price a cost prior scales by (input and output alike).
    var blendedPrice: Double { inputPerMillion + outputPerMillion }
}

/// The learner's state: a `ClusterLearner` over a base cluster router's clusters (warm-started
/// from its statistics), each cell's cost learned from the records' real costs, and the set of
/// models the gateway offers. Deterministic: the same base and the same scores in the same order
/// give the same state, so a restarted learner that replays the store is where it was.
public struct OnlineLearner: Sendable {
    /// The clusters (the base router's centroids, neighbours and softmax) prompts are placed by.
    public let base: ClusterRouterModel
    public private(set) var quality: ClusterLearner
    /// clusters x models: cost prior weight and weighted sum (dollars), learned from records.
    private var costWeight: [Double]
    private var costSum: [Double]
    private let placer: ClusterRouter
    /// Scores learned from, and scores skipped (no model answered, no embedding, a model that is
    /// not offered, an embedding of another dimension).
    public private(set) var learned: Int64 = 0
    public private(set) var skipped: Int64 = 0
    /// How many pseudo-observations a cell's prior cost weighs.
    static let costPriorWeight = 5.0

    /// Starts from `base` (a cluster router; a router from prompts alone starts at the prior).
    public init(base: ClusterRouterModel, settings: ClusterLearner.Settings = .init()) throws {
        var pooled = base
        pooled.normalization = .pool
        pooled.strength = nil
        pooled.performance = base.performance.map { min(max($0, 0), 1) }
        self.base = pooled
        placer = try ClusterRouter(model: pooled)
        quality = ClusterLearner(offline: base, settings: settings)
        costWeight = Array(repeating: Self.costPriorWeight, count: base.cost.count)
        costSum = base.cost.map { $0 * Self.costPriorWeight }
    }

    public var models: [String] { quality.models }

    /// Learns from one score; false (and counted as skipped) when it cannot be learned from.
    @discardableResult
    public mutating func observe(_ observation: LearningObservation) -> Bool {
        guard let name = observation.model, let j = models.firstIndex(of: name), let embedding = observation.embedding,
            let clusters = try? placer.nearestClusters(embedding)
        else {
            skipped += 1
            return false
        }
        quality.observe(clusters, model: j, score: observation.score)
        let m = models.count
        for hit in clusters where hit.weight > 0 {
            costWeight[hit.cluster * m + j] += hit.weight
            costSum[hit.cluster * m + j] += hit.weight * max(observation.costUSD, 0)
        }
        learned += 1
        return true
    }

    /// Makes the ranked models exactly `offers`: a model new to the learner joins at the prior
    /// (its cost per cell the known models' scaled by its price), a model no longer offered
    /// leaves. Returns the names that joined and left.
    @discardableResult
    public mutating func offer(_ offers: [ModelOffer]) -> (joined: [String], left: [String]) {
        let names = Set(offers.map(\.name))
        let left = models.filter { !names.contains($0) && models.count > 1 }
        for name in left {
            let j = models.firstIndex(of: name)!
            let m = models.count
            costWeight = Self.dropping(column: j, of: costWeight, columns: m)
            costSum = Self.dropping(column: j, of: costSum, columns: m)
            quality.remove(model: name)
        }
        var joined: [String] = []
        let prices = Dictionary(offers.map { ($0.name, $0.blendedPrice) }) { a, _ in a }
        for offer in offers where !models.contains(offer.name) {
            let m = models.count
            let k = base.clusterCount
            let priced = models.indices.filter { (prices[models[$0]] ?? 0) > 0 }
            var weights: [Double] = [], sums: [Double] = []
            for c in 0..<k {
                weights += costWeight[c * m..<(c + 1) * m] + [Self.costPriorWeight]
                sums += costSum[c * m..<(c + 1) * m]
                // The known models' cost here, each scaled by the newcomer's price over its own.
                let estimates = priced.map { costSum[c * m + $0] / costWeight[c * m + $0] * offer.blendedPrice / prices[models[$0]]! }
                let prior = estimates.isEmpty ? 0 : estimates.reduce(0, +) / Double(estimates.count)
                sums.append(prior * Self.costPriorWeight)
            }
            (costWeight, costSum) = (weights, sums)
            quality.add(model: offer.name)
            joined.append(offer.name)
        }
        return (joined, left)
    }

    private static func dropping(column j: Int, of table: [Double], columns m: Int) -> [Double] {
        table.enumerated().filter { $0.offset % m != j }.map(\.element)
    }

    /// The router the state amounts to: the base's clusters, each cell's backed-off quality
    /// estimate and the evidence behind it (what exploration draws from), each cell's learned
    /// cost, pool normalization (the utility the bench scores).
    public func router() throws -> ClusterRouter {
        let k = base.clusterCount, m = models.count
        var performance: [Double] = [], strength: [Double] = [], observations: [Double] = []
        for c in 0..<k {
            for j in 0..<m {
                let cell = quality.estimate(cluster: c, model: j)
                performance.append(min(max(cell.mean, 0), 1))
                strength.append(max(cell.strength, 1e-3))
                observations.append(quality.observations(cluster: c, model: j))
            }
        }
        var model = ClusterRouterModel(
            models: models, pair: ModelPair(strong: 0, weak: 1), centroids: base.centroids, clusterSizes: base.clusterSizes,
            performance: performance, cost: (0..<k * m).map { costSum[$0] / costWeight[$0] }, topK: base.topK, beta: base.beta,
            normalization: .pool, observations: observations, strength: strength)
        // RouteLLM's pair: the dearest model on average, and the cheapest.
        let meanCost = model.meanCostPerModel
        let byCost = meanCost.indices.sorted { meanCost[$0] < meanCost[$1] }
        model.pair = ModelPair(strong: byCost.last!, weak: byCost.first!)
        return try ClusterRouter(model: model)
    }
}
