import Foundation

/// RouteLLM's similarity-weighted ranking: for each request, every training battle is weighted by
/// how similar its prompt is to the request (w = gamma x gamma^(similarity / top similarity),
/// RouteLLM's 10 x 10^(s / max s) with gamma = 10), and a Bradley–Terry model is fitted to the
/// weighted results. The strong-win score is the fitted P(strong beats weak); a model's predicted
/// quality is its fitted chance to beat the average other model.
///
/// With two models the fit has a closed form (the weighted share of strong wins, ties half); with
/// more, the weighted win matrix is fitted by MM iterations. Each request touches every training
/// prompt, which is why RouteLLM reports this router as its slowest.
public struct SimilarityWeightedRouter: Router {
    public let models: [String]
    public let pair: ModelPair
    /// n x d training embeddings and n x m scores.
    public let embeddings: Matrix
    public let scores: Matrix
    public let gamma: Double
    public let costs: CostModel

    public var kind: RouterKind { .swRanking }

    public init(_ data: TrainingData, gamma: Double = 10) {
        let set = data.set
        self.init(
            models: set.models, pair: ModelPair(set), embeddings: data.embeddings,
            scores: Matrix(set.scores.map { $0.map(Float.init) }, columns: set.models.count), gamma: gamma,
            costs: CostModel(set, lengths: data.lengths))
    }

    init(models: [String], pair: ModelPair, embeddings: Matrix, scores: Matrix, gamma: Double, costs: CostModel) {
        self.models = models
        self.pair = pair
        self.embeddings = embeddings
        self.scores = scores
        self.gamma = gamma
        self.costs = costs
    }

    public func estimate(_ query: RoutingQuery) throws -> RouterEstimate {
        guard query.embedding.count == embeddings.columns else {
            throw RoutingError.invalid("embedding has \(query.embedding.count) dimensions, the router expects \(embeddings.columns)")
        }
        return estimate(similarities: Vectors.dotRows(embeddings, query.embedding), length: query.length)
    }

    public func estimateAll(_ queries: Matrix, lengths: [Int]) throws -> [RouterEstimate] {
        guard queries.columns == embeddings.columns else {
            throw RoutingError.invalid("embeddings have \(queries.columns) dimensions, the router expects \(embeddings.columns)")
        }
        let similarities = queries.times(embeddings, transposingOther: true)
        return try Parallel.map(0..<queries.rows) { i in estimate(similarities: similarities.row(i), length: lengths[i]) }
    }

    /// The battle weights for a request with these similarities.
    func weights(_ similarities: [Float]) -> [Double] {
        let top = Double(similarities.max() ?? 1)
        let scale = top > 1e-9 ? top : 1
        return similarities.map { gamma * pow(gamma, Double($0) / scale) }
    }

    func estimate(similarities: [Float], length: Int) -> RouterEstimate {
        let weights = self.weights(similarities)
        let m = models.count
        var wins = [[Double]](repeating: [Double](repeating: 0, count: m), count: m)
        for (i, w) in weights.enumerated() {
            for a in 0..<m {
                for b in (a + 1)..<m {
                    let outcome = Battles.outcome(Double(scores.storage[i * m + a]), Double(scores.storage[i * m + b]))
                    wins[a][b] += w * outcome
                    wins[b][a] += w * (1 - outcome)
                }
            }
        }
        let strengths = BradleyTerry.strengths(wins, prior: m == 2 ? 0 : 1e-3 * weights.reduce(0, +) / Double(weights.count))
        let quality = (0..<m).map { a in
            m == 1 ? 1 : (0..<m).filter { $0 != a }.reduce(0.0) { $0 + BradleyTerry.winProbability(strengths, a, $1) } / Double(m - 1)
        }
        let score = m == 1 ? 0 : BradleyTerry.winProbability(strengths, pair.strong, pair.weak)
        return RouterEstimate(estimates: costs.estimates(quality: quality, length: length), strongWinScore: score)
    }

    public func stored() -> StoredRouter {
        StoredRouter(
            name: kind.rawValue, kind: kind, models: models,
            tensors: ["embeddings": embeddings, "scores": scores].merging(costs.tensors) { $1 },
            numbers: ["gamma": gamma].merging(pair.numbers) { $1 })
    }

    public init(stored: StoredRouter) throws {
        let embeddings = try stored.tensor("embeddings")
        self.init(
            models: stored.models, pair: try ModelPair(stored.numbers), embeddings: embeddings,
            scores: try stored.tensor("scores", rows: embeddings.rows, columns: stored.models.count),
            gamma: try stored.number("gamma", 10), costs: try CostModel(stored))
    }
}
