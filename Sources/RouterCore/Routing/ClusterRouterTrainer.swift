/// Trains a `ClusterRouterModel`: k-means on the training prompts' embeddings, then per cluster
/// and model the mean score and mean cost, shrunk toward the model's overall mean by
/// `smoothing` pseudo-prompts so a small cluster cannot claim a model is perfect on one example.
/// On a set where not every entry was recorded (traffic), each cell averages the recorded
/// entries only, so a model seldom tried in a cluster stays near its overall mean.
public struct ClusterRouterTrainer: Sendable {
    /// k; nil picks `automaticClusters(for:)` from the training set's size.
    public var clusters: Int?
    public var topK: Int
    public var beta: Double
    public var smoothing: Double
    public var seed: UInt64
    public var maxIterations: Int
    public var normalization: Normalization

    public init(clusters: Int? = nil, topK: Int = 3, beta: Double = 9, smoothing: Double = 1, seed: UInt64 = 42,
                maxIterations: Int = 50, normalization: Normalization = .global) {
        self.normalization = normalization
        self.clusters = clusters
        self.topK = topK
        self.beta = beta
        self.smoothing = smoothing
        self.seed = seed
        self.maxIterations = maxIterations
    }

    /// A router from prompts alone (a team with traffic but no labels): k-means on `embeddings`,
    /// every cell at the `prior` quality with no observation behind it (so a learner explores
    /// every model), and each cell's cost the mean of `costs` (per prompt and model, e.g. its
    /// estimated tokens at the model's price) over the cluster's prompts. The strong model is the
    /// dearest on average, the weak one the cheapest.
    public func train(prompts embeddings: Matrix, models: [String], costs: [[Double]], prior: Double = 0.5) -> ClusterRouter {
        precondition(embeddings.rows > 0 && embeddings.rows == costs.count && models.count >= 2)
        let result = KMeans(k: clusters ?? Self.automaticClusters(for: embeddings.rows), maxIterations: maxIterations, seed: seed).fit(embeddings)
        let m = models.count, k = result.centroids.rows
        var sizes = [Int](repeating: 0, count: k), costSums = [Double](repeating: 0, count: k * m)
        for (i, c) in result.assignments.enumerated() {
            sizes[c] += 1
            for j in 0..<m { costSums[c * m + j] += costs[i][j] }
        }
        let overall = (0..<m).map { j in costs.reduce(0) { $0 + $1[j] } / Double(costs.count) }
        let cost = (0..<k * m).map { cell in sizes[cell / m] > 0 ? costSums[cell] / Double(sizes[cell / m]) : overall[cell % m] }
        let byCost = overall.indices.sorted { overall[$0] < overall[$1] }
        let model = ClusterRouterModel(
            models: models, pair: ModelPair(strong: byCost.last!, weak: byCost.first!), centroids: result.centroids, clusterSizes: sizes,
            performance: Array(repeating: prior, count: k * m), cost: cost, topK: topK, beta: beta, normalization: normalization,
            observations: Array(repeating: 0, count: k * m))
        return try! ClusterRouter(model: model)
    }

    /// Trains on `data`; `progress` is told k-means' (iteration, maxIterations).
    public func train(_ data: TrainingData, progress: (Int, Int) -> Void = { _, _ in }) -> ClusterRouter {
        let set = data.set, embeddings = data.embeddings
        precondition(set.count > 0, "no training prompts")
        let requested = clusters ?? Self.automaticClusters(for: set.count)
        let result = KMeans(k: requested, maxIterations: maxIterations, seed: seed).fit(embeddings, progress: progress)
        let m = set.models.count
        let k = result.centroids.rows
        var sizes = [Int](repeating: 0, count: k)
        var scoreSums = [Double](repeating: 0, count: k * m), costSums = scoreSums, counts = scoreSums
        for (i, c) in result.assignments.enumerated() {
            sizes[c] += 1
            for j in 0..<m where set.isObserved(i, j) {
                scoreSums[c * m + j] += set.scores[i][j]
                costSums[c * m + j] += set.costs[i][j]
                counts[c * m + j] += 1
            }
        }
        let overallScore = set.meanScores, overallCost = set.meanCosts
        var performance = scoreSums, cost = costSums
        for c in 0..<k {
            for j in 0..<m {
                // A cell with nothing recorded (and no smoothing) is the model's overall mean.
                let weight = counts[c * m + j] + smoothing
                performance[c * m + j] = weight > 0 ? (scoreSums[c * m + j] + smoothing * overallScore[j]) / weight : overallScore[j]
                cost[c * m + j] = weight > 0 ? (costSums[c * m + j] + smoothing * overallCost[j]) / weight : overallCost[j]
            }
        }
        let model = ClusterRouterModel(
            models: set.models, pair: ModelPair(set), centroids: result.centroids, clusterSizes: sizes, performance: performance,
            cost: cost, topK: topK, beta: beta, normalization: normalization, observations: counts)
        // A model built from a training set is consistent by construction.
        return try! ClusterRouter(model: model)
    }

    /// At least 64 training prompts per cluster, between 4 and 64 clusters: per-cluster means of
    /// many models over a few prompts are mostly noise (on AlpacaEval 2, 558 training prompts and
    /// 56 models, k = 64 routes below the single models' hull and k = 8 above it on three splits).
    public static func automaticClusters(for trainingPrompts: Int) -> Int {
        min(64, max(4, trainingPrompts / 64))
    }
}
