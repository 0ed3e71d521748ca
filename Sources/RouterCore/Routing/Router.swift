/// What a router sees of a prompt: its embedding and its length.
public struct RoutingQuery: Sendable, Equatable {
    /// The prompt's embedding, in the router bundle's embedder and dimension.
    public var embedding: [Float]
    /// The prompt's length in UTF-8 bytes (the length baseline and the cost models read it).
    public var length: Int

    public init(embedding: [Float], length: Int) {
        self.embedding = embedding
        self.length = length
    }
}

/// A router's view of one prompt.
public struct RouterEstimate: Sendable, Equatable {
    /// Predicted quality (on the data's [0, 1] scale) and cost (dollars) of every model.
    public var estimates: ModelEstimates
    /// The higher, the more the prompt needs the strongest model: what RouteLLM's protocol
    /// thresholds (for two models, the router's estimate that the strong model wins).
    public var strongWinScore: Double
    /// The clusters that decided (cluster router only), nearest first.
    public var clusters: [ClusterRouter.ClusterWeight]

    public init(estimates: ModelEstimates, strongWinScore: Double, clusters: [ClusterRouter.ClusterWeight] = []) {
        self.estimates = estimates
        self.strongWinScore = strongWinScore
        self.clusters = clusters
    }
}

/// The router families Switchyard trains, serves and evaluates.
public enum RouterKind: String, Sendable, Codable, CaseIterable {
    /// Avengers-Pro: k-means clusters with per-cluster model statistics.
    case cluster
    /// The k most similar training prompts' results.
    case knn
    /// Routoo: per-model score prediction from the embedding (logistic regression or an MLP).
    case predictor
    /// RouteLLM's matrix factorization, trained on pairwise preferences.
    case mf
    /// RouteLLM's similarity-weighted Bradley–Terry ranking.
    case swRanking = "sw-ranking"
    /// RouteLLM's classifier in spirit: a head on the embedding predicting the win label.
    case classifier
    /// The prompt's length alone (a baseline every router must beat).
    case length
    /// A coin (a baseline).
    case random
}

/// A trained router: every family implements it, the router service serves any of them, and the
/// evaluation compares them. Immutable and thread-safe.
public protocol Router: Sendable {
    var kind: RouterKind { get }
    /// Model names; every per-model array follows this order.
    var models: [String] { get }
    /// The strong and weak model of RouteLLM's threshold.
    var pair: ModelPair { get }
    /// The router's estimate for one prompt.
    func estimate(_ query: RoutingQuery) throws -> RouterEstimate
    /// Estimates for every row of `embeddings` (with the matching `lengths`): what evaluation
    /// calls. The default estimates row by row on all cores; routers that compare a prompt with
    /// every training prompt do it in one matrix product.
    func estimateAll(_ embeddings: Matrix, lengths: [Int]) throws -> [RouterEstimate]
    /// The router's numbers, for a router file.
    func stored() -> StoredRouter
}

extension Router {
    /// Estimates for every row of `embeddings` (with the matching `lengths`), on all cores.
    public func estimateAll(_ embeddings: Matrix, lengths: [Int]) throws -> [RouterEstimate] {
        precondition(embeddings.rows == lengths.count, "\(embeddings.rows) embeddings for \(lengths.count) lengths")
        return try Parallel.map(0..<embeddings.rows) { i in
            try estimate(RoutingQuery(embedding: embeddings.row(i), length: lengths[i]))
        }
    }
}
