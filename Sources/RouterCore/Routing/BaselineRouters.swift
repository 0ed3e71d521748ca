/// The two baselines every router is shown beside. Their estimates are the training means (and
/// the cost model); what differs is the strong-win score:
/// - `length`: the prompt's length (longer prompts go to the strong model; on RouteLLM's sets
///   this alone reaches APGR 0.55-0.61);
/// - `random`: uniform in [0, 1) (RouteLLM's random router), drawn from the prompt's embedding
///   and the training seed, so an evaluation is reproducible and a prompt always gets the same
///   coin.
public struct BaselineRouter: Router {
    public let kind: RouterKind
    public let models: [String]
    public let pair: ModelPair
    public let meanQuality: [Double]
    public let costs: CostModel
    /// Mixed into the random router's coin.
    public let seed: UInt64

    public init(_ kind: RouterKind, _ data: TrainingData, seed: UInt64 = 0) {
        precondition(kind == .length || kind == .random, "\(kind) is not a baseline")
        self.init(kind: kind, models: data.set.models, pair: ModelPair(data.set), meanQuality: data.set.meanScores,
                  costs: CostModel(data.set, lengths: data.lengths), seed: seed)
    }

    init(kind: RouterKind, models: [String], pair: ModelPair, meanQuality: [Double], costs: CostModel, seed: UInt64) {
        self.kind = kind
        self.models = models
        self.pair = pair
        self.meanQuality = meanQuality
        self.costs = costs
        self.seed = seed & (1 << 52 - 1)
    }

    /// The random router's coin for a prompt: its embedding's bits hashed (FNV-1a) with the seed.
    func coin(_ query: RoutingQuery) -> Double {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325 ^ seed
        for value in query.embedding { hash = (hash ^ UInt64(value.bitPattern)) &* 0x100_0000_01B3 }
        var generator = SeededGenerator(seed: hash ^ UInt64(query.length))
        return generator.nextUnit()
    }

    public func estimate(_ query: RoutingQuery) throws -> RouterEstimate {
        RouterEstimate(
            estimates: costs.estimates(quality: meanQuality, length: query.length),
            strongWinScore: kind == .length ? Double(query.length) : coin(query))
    }

    public func stored() -> StoredRouter {
        StoredRouter(
            name: kind.rawValue, kind: kind, models: models,
            tensors: costs.tensors.merging(["mean_quality": Matrix(vector: meanQuality)]) { $1 },
            numbers: pair.numbers.merging(["seed": Double(seed)]) { $1 })
    }

    public init(stored: StoredRouter) throws {
        self.init(kind: stored.kind, models: stored.models, pair: try ModelPair(stored.numbers),
                  meanQuality: try stored.vector("mean_quality", count: stored.models.count).map(Double.init),
                  costs: try CostModel(stored), seed: UInt64(stored.numbers["seed"] ?? 0))
    }
}
