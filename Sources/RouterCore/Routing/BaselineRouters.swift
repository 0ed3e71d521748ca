/// The two baselines every router is shown beside. Their estimates are the training means (and
/// the cost model); what differs is the strong-win score:
/// - `length`: the prompt's length (longer prompts go to the strong model; on RouteLLM's sets
///   this alone reaches APGR 0.55-0.61);
/// - `random`: uniform in [0, 1), drawn afresh for every request (RouteLLM's random router).
public struct BaselineRouter: Router {
    public let kind: RouterKind
    public let models: [String]
    public let pair: ModelPair
    public let meanQuality: [Double]
    public let costs: CostModel

    public init(_ kind: RouterKind, _ data: TrainingData) {
        precondition(kind == .length || kind == .random, "\(kind) is not a baseline")
        self.init(kind: kind, models: data.set.models, pair: ModelPair(data.set), meanQuality: data.set.meanScores,
                  costs: CostModel(data.set, lengths: data.lengths))
    }

    init(kind: RouterKind, models: [String], pair: ModelPair, meanQuality: [Double], costs: CostModel) {
        self.kind = kind
        self.models = models
        self.pair = pair
        self.meanQuality = meanQuality
        self.costs = costs
    }

    public func estimate(_ query: RoutingQuery) throws -> RouterEstimate {
        RouterEstimate(
            estimates: costs.estimates(quality: meanQuality, length: query.length),
            strongWinScore: kind == .length ? Double(query.length) : Double.random(in: 0..<1))
    }

    public func stored() -> StoredRouter {
        StoredRouter(
            name: kind.rawValue, kind: kind, models: models,
            tensors: costs.tensors.merging(["mean_quality": Matrix(vector: meanQuality)]) { $1 }, numbers: pair.numbers)
    }

    public init(stored: StoredRouter) throws {
        self.init(kind: stored.kind, models: stored.models, pair: try ModelPair(stored.numbers),
                  meanQuality: try stored.vector("mean_quality", count: stored.models.count).map(Double.init),
                  costs: try CostModel(stored))
    }
}
