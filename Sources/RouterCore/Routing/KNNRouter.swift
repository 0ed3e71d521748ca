import Foundation

/// The k training prompts most similar to a prompt (cosine of unit embeddings) vote with their
/// recorded results: predicted quality and cost are their means, weighted by
/// exp(temperature x similarity) (0 = plain means).
public struct KNNRouter: Router {
    public let models: [String]
    public let pair: ModelPair
    /// n x d training embeddings, n x m scores and costs.
    public let embeddings: Matrix
    public let scores: Matrix
    public let costs: Matrix
    public let neighbors: Int
    public let temperature: Double
    /// The training range of per-model mean cost (for relative cost).
    let costRange: ClosedRange<Double>

    public var kind: RouterKind { .knn }

    public init(_ data: TrainingData, neighbors: Int = 20, temperature: Double = 0) {
        let set = data.set
        self.init(
            models: set.models, pair: ModelPair(set), embeddings: data.embeddings,
            scores: Matrix(set.scores.map { $0.map(Float.init) }, columns: set.models.count),
            costs: Matrix(set.costs.map { $0.map(Float.init) }, columns: set.models.count),
            neighbors: neighbors, temperature: temperature,
            costRange: (set.meanCosts.min() ?? 0)...(set.meanCosts.max() ?? 0))
    }

    init(
        models: [String], pair: ModelPair, embeddings: Matrix, scores: Matrix, costs: Matrix, neighbors: Int,
        temperature: Double, costRange: ClosedRange<Double>
    ) {
        self.models = models
        self.pair = pair
        self.embeddings = embeddings
        self.scores = scores
        self.costs = costs
        self.neighbors = max(1, min(neighbors, embeddings.rows))
        self.temperature = temperature
        self.costRange = costRange
    }

    public func estimate(_ query: RoutingQuery) throws -> RouterEstimate {
        guard query.embedding.count == embeddings.columns else {
            throw RoutingError.invalid("embedding has \(query.embedding.count) dimensions, the router expects \(embeddings.columns)")
        }
        return estimate(similarities: Vectors.dotRows(embeddings, query.embedding))
    }

    /// The estimate given the query's similarity to every training prompt.
    func estimate(similarities: [Float]) -> RouterEstimate {
        let nearest = Self.top(neighbors, of: similarities)
        let m = models.count
        var quality = [Double](repeating: 0, count: m), cost = quality
        let top = Double(nearest.first.map { similarities[$0] } ?? 0)
        var total = 0.0
        for j in nearest {
            let w = temperature > 0 ? exp(temperature * (Double(similarities[j]) - top)) : 1
            total += w
            for k in 0..<m {
                quality[k] += w * Double(scores.storage[j * m + k])
                cost[k] += w * Double(costs.storage[j * m + k])
            }
        }
        for k in 0..<m {
            quality[k] /= total
            cost[k] /= total
        }
        let estimates = ModelEstimates(quality: quality, cost: cost, qualityRange: 0...1, costRange: costRange)
        return RouterEstimate(estimates: estimates, strongWinScore: pair.gain(quality))
    }

    /// Indices of the `k` largest values, largest first.
    static func top(_ k: Int, of values: [Float]) -> [Int] {
        var best: [Int] = []
        best.reserveCapacity(k + 1)
        for j in values.indices where best.count < k || values[j] > values[best[best.count - 1]] {
            var i = best.count
            while i > 0 && values[best[i - 1]] < values[j] { i -= 1 }
            best.insert(j, at: i)
            if best.count > k { best.removeLast() }
        }
        return best
    }

    public func stored() -> StoredRouter {
        StoredRouter(
            name: kind.rawValue, kind: kind, models: models,
            tensors: ["embeddings": embeddings, "scores": scores, "costs": costs,
                      "cost_range": Matrix(vector: [costRange.lowerBound, costRange.upperBound])],
            numbers: ["neighbors": Double(neighbors), "temperature": temperature].merging(pair.numbers) { $1 })
    }

    public init(stored: StoredRouter) throws {
        let embeddings = try stored.tensor("embeddings")
        let m = stored.models.count
        let range = try stored.vector("cost_range", count: 2).map(Double.init)
        self.init(
            models: stored.models, pair: try ModelPair(stored.numbers), embeddings: embeddings,
            scores: try stored.tensor("scores", rows: embeddings.rows, columns: m),
            costs: try stored.tensor("costs", rows: embeddings.rows, columns: m),
            neighbors: Int(try stored.number("neighbors")), temperature: try stored.number("temperature", 0),
            costRange: range[0]...max(range[0], range[1]))
    }
}

extension KNNRouter {
    /// Every query's similarity to every training prompt in one matrix product.
    public func estimateAll(_ queries: Matrix, lengths: [Int]) throws -> [RouterEstimate] {
        guard queries.columns == embeddings.columns else {
            throw RoutingError.invalid("embeddings have \(queries.columns) dimensions, the router expects \(embeddings.columns)")
        }
        let similarities = queries.times(embeddings, transposingOther: true)
        return try Parallel.map(0..<queries.rows) { i in estimate(similarities: similarities.row(i)) }
    }
}
