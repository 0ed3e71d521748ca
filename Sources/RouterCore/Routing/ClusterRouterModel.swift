/// A trained cluster router (Avengers-Pro): centroids and, per cluster and model, the mean score
/// and mean cost of the training prompts that fell in the cluster.
public struct ClusterRouterModel: Sendable, Equatable {
    /// Model names; every per-model array follows this order.
    public var models: [String]
    /// The strong and the weak model of RouteLLM's threshold.
    public var pair: ModelPair
    /// k x dimension.
    public var centroids: Matrix
    /// Training prompts per cluster.
    public var clusterSizes: [Int]
    /// k x models, row-major: the smoothed mean normalised score.
    public var performance: [Double]
    /// k x models, row-major: the smoothed mean cost in dollars.
    public var cost: [Double]
    /// How many nearest clusters a decision blends.
    public var topK: Int
    /// Softmax temperature on distances: weight ~ exp(-beta * distance).
    public var beta: Double
    /// How performance and cost are put on [0, 1] before alpha weighs them.
    public var normalization: Normalization
    /// k x models, row-major: how many scored prompts each cell's performance rests on; nil when
    /// every training prompt of a cluster scored every model (a benchmark), all 0 for a router
    /// fitted on prompts alone (its performance is the prior). What a learner's warm start counts.
    public var observations: [Double]?
    /// k x models, row-major: the evidence (pseudo-observations) behind each cell's performance
    /// as an online learner holds it (`switchyard-learner`); a router with strengths explores by
    /// Thompson draws around its performance when a request allows it. nil: an offline router.
    public var strength: [Double]?

    public var clusterCount: Int { centroids.rows }
    public var dimension: Int { centroids.columns }

    public init(
        models: [String], pair: ModelPair, centroids: Matrix, clusterSizes: [Int], performance: [Double], cost: [Double],
        topK: Int, beta: Double, normalization: Normalization = .global, observations: [Double]? = nil, strength: [Double]? = nil
    ) {
        self.strength = strength
        self.normalization = normalization
        self.observations = observations
        self.models = models
        self.pair = pair
        self.centroids = centroids
        self.clusterSizes = clusterSizes
        self.performance = performance
        self.cost = cost
        self.topK = topK
        self.beta = beta
    }

    /// Each model's mean cost per prompt in dollars, the clusters weighted by their size.
    public var meanCostPerModel: [Double] {
        let m = models.count
        let total = Double(max(clusterSizes.reduce(0, +), 1))
        return (0..<m).map { j in (0..<clusterCount).reduce(0.0) { $0 + Double(clusterSizes[$1]) * cost[$1 * m + j] } / total }
    }

    /// The cheapest and the dearest model's mean cost per prompt: what pool normalization scales by.
    public var poolCostRange: (lo: Double, hi: Double) {
        let means = meanCostPerModel
        return (means.min() ?? 0, means.max() ?? 0)
    }

    /// Every inconsistency in the model: wrong counts, non-finite values, bad parameters.
    /// Empty when the model is sound.
    public func problems() -> [String] {
        var problems: [String] = []
        let k = clusterCount, m = models.count
        if k == 0 { problems.append("no clusters") }
        if dimension == 0 { problems.append("dimension is 0") }
        if m == 0 { problems.append("no models") }
        if Set(models).count != m { problems.append("duplicate model names") }
        if !pair.isValid(models: m) { problems.append("strong/weak pair \(pair.strong)/\(pair.weak) is not two models of \(m)") }
        if clusterSizes.count != k { problems.append("\(clusterSizes.count) cluster sizes for \(k) clusters") }
        if performance.count != k * m { problems.append("\(performance.count) performance values, expected \(k) x \(m)") }
        if cost.count != k * m { problems.append("\(cost.count) cost values, expected \(k) x \(m)") }
        if let observations, observations.count != k * m || observations.contains(where: { !($0 >= 0) }) {
            problems.append("observations must be \(k) x \(m) counts >= 0")
        }
        if let strength, strength.count != k * m || strength.contains(where: { !($0 > 0 && $0.isFinite) }) {
            problems.append("strength must be \(k) x \(m) finite values > 0")
        }
        if strength != nil, normalization != .pool { problems.append("a learned router (with strength) needs pool normalization") }
        if normalization == .pool, let bad = performance.firstIndex(where: { !(0...1).contains($0) }) {
            problems.append("performance value \(bad) is outside [0, 1] (pool normalization uses it as it is)")
        }
        if let bad = centroids.storage.firstIndex(where: { !$0.isFinite }) {
            problems.append("centroid \(bad / max(dimension, 1)) has a non-finite value")
        }
        if let bad = performance.firstIndex(where: { !$0.isFinite }) { problems.append("performance value \(bad) is not finite") }
        if let bad = cost.firstIndex(where: { !$0.isFinite || $0 < 0 }) { problems.append("cost value \(bad) is negative or not finite") }
        if topK < 1 { problems.append("top-k is \(topK), must be at least 1") }
        if !(beta.isFinite && beta >= 0) { problems.append("beta is \(beta), must be finite and >= 0") }
        return problems
    }
}

/// How a cluster router puts performance and cost on [0, 1].
public enum Normalization: String, Sendable, Equatable, Codable, CaseIterable {
    /// Min-max across models inside each cluster, as the Avengers-Pro paper does. With two
    /// models every cluster maps to 0 and 1, so the size of a quality gap is lost.
    case perCluster = "per-cluster"
    /// Min-max across every cluster and model: gaps keep their size, so "a little better for a
    /// lot more money" and "much better for a little more" are told apart.
    case global
    /// Quality as it is (scores on [0, 1]) and cost min-max over the models' mean cost per prompt
    /// (lo the cheapest model's, hi the dearest's): the utility u = alpha x quality + (1 - alpha)
    /// x (1 - (cost - lo) / (hi - lo)) that the online learner optimizes and its bench scores.
    case pool
}
