import Foundation

/// RouteLLM's matrix factorization router: a model m's score on a prompt with embedding e is
/// s(m, e) = c . (v_m / |v_m| ⊙ (W e)), with a learned embedding v_m per model, a projection W of
/// the prompt embedding and a classifier vector c; P(a beats b) = sigmoid(s(a, e) - s(b, e)).
/// Trained on decisive pairwise preferences (the higher-scoring model of each pair on each
/// training prompt wins) with the Bradley–Terry loss. It scores every model, so it routes among
/// any number; a model's predicted quality is its chance to beat the average other model.
public struct MatrixFactorizationRouter: Router {
    public let models: [String]
    public let pair: ModelPair
    /// models x dim (normalized when scoring), dimension x dim, 1 x dim.
    public let modelEmbeddings: Matrix
    public let projection: Matrix
    public let classifier: [Float]
    public let costs: CostModel

    public var kind: RouterKind { .mf }

    init(models: [String], pair: ModelPair, modelEmbeddings: Matrix, projection: Matrix, classifier: [Float], costs: CostModel) {
        self.models = models
        self.pair = pair
        self.modelEmbeddings = modelEmbeddings
        self.projection = projection
        self.classifier = classifier
        self.costs = costs
    }

    /// Every model's score for every row of `embeddings` (rows x models).
    func scores(_ embeddings: Matrix) -> Matrix {
        let projected = embeddings.times(projection)
        var weighted = Self.normalizedRows(modelEmbeddings)
        let dim = classifier.count
        for m in 0..<weighted.rows { for k in 0..<dim { weighted.storage[m * dim + k] *= classifier[k] } }
        return projected.times(weighted, transposingOther: true)
    }

    public func estimate(_ query: RoutingQuery) throws -> RouterEstimate {
        try estimateAll(Matrix(vector: query.embedding), lengths: [query.length])[0]
    }

    public func estimateAll(_ embeddings: Matrix, lengths: [Int]) throws -> [RouterEstimate] {
        guard embeddings.columns == projection.rows else {
            throw RoutingError.invalid("embedding has \(embeddings.columns) dimensions, the router expects \(projection.rows)")
        }
        let all = scores(embeddings)
        let m = models.count
        return (0..<embeddings.rows).map { i in
            let s = all.row(i).map(Double.init)
            let quality = (0..<m).map { a in
                m == 1 ? 1 : (0..<m).filter { $0 != a }.reduce(0.0) { $0 + Self.sigmoid(s[a] - s[$1]) } / Double(m - 1)
            }
            let score = m == 1 ? 0 : Self.sigmoid(s[pair.strong] - s[pair.weak])
            return RouterEstimate(estimates: costs.estimates(quality: quality, length: lengths[i]), strongWinScore: score)
        }
    }

    static func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }

    static func normalizedRows(_ matrix: Matrix) -> Matrix {
        var result = matrix
        for r in 0..<matrix.rows {
            let norm = matrix.withRow(r) { Vectors.dot($0, $0) }.squareRoot()
            for k in 0..<matrix.columns { result.storage[r * matrix.columns + k] /= max(norm, 1e-12) }
        }
        return result
    }

    public func stored() -> StoredRouter {
        StoredRouter(
            name: kind.rawValue, kind: kind, models: models,
            tensors: ["model_embeddings": modelEmbeddings, "projection": projection, "classifier": Matrix(vector: classifier)]
                .merging(costs.tensors) { $1 },
            numbers: pair.numbers)
    }

    public init(stored: StoredRouter) throws {
        let embeddings = try stored.tensor("model_embeddings", rows: stored.models.count)
        let projection = try stored.tensor("projection", columns: embeddings.columns)
        self.init(
            models: stored.models, pair: try ModelPair(stored.numbers), modelEmbeddings: embeddings, projection: projection,
            classifier: try stored.vector("classifier", count: embeddings.columns), costs: try CostModel(stored))
    }
}
