import Foundation

/// Every router trained on one training set and measured on one test set, beside the single
/// models, RouteLLM's random router, the optimal (oracle) curve and RouterBench's zero router.
public struct SplitEvaluation: Sendable {
    /// One router's results on the test prompts.
    public struct RouterResult: Sendable {
        public var spec: RouterSpec
        public var router: any Router
        /// Per test prompt.
        public var estimates: [RouterEstimate]
        /// RouteLLM's metrics over its strong-win scores (two-model sets).
        public var routeLLM: RouteLLMProtocol.Metrics?
        /// The same per benchmark of a pooled test set, by dataset name.
        public var perDataset: [String: RouteLLMProtocol.Metrics]
        /// The threshold curve at the deciles, and on a fine grid (for the plot).
        public var curve: [RouteLLMProtocol.Point]
        public var fineCurve: [RouteLLMProtocol.Point]
        /// The cost-aware sweep of alpha in [0, 1]: a different thing from the threshold curve.
        public var alphaCurve: [OperatingPoint]
        public var costAware: CostAwareFigures
        /// Two models: the area under PGR of the alpha curve over the strong share (cost-aware,
        /// ordered by predicted gain per dollar; not RouteLLM's APGR).
        public var alphaCurveArea: Double?
        public var trainingSeconds: Double
        /// One prompt's estimate, one at a time, as the router service makes it.
        public var microsecondsPerRequest: Double
    }

    public let seed: UInt64
    public let train: CompleteSet
    public let test: CompleteSet
    public let pair: ModelPair
    public let results: [RouterResult]
    public let singles: [OperatingPoint]
    /// Two models: RouteLLM's random router and optimal curve.
    public let random: RouteLLMProtocol.Metrics?
    public let optimal: RouteLLMProtocol.Metrics?
    public let optimalCurve: [RouteLLMProtocol.Point]
    /// Multi-model view: the best model per prompt (ties to the cheaper), and the zero router.
    public let oracle: OperatingPoint
    public let zeroRouterAIQ: Double

    /// The alphas of every cost-aware sweep.
    public static let alphas = (0...200).map { Double($0) / 200 }

    /// Trains every spec on `train` (seeded by `seed`) and measures it on `test`; `progress` is
    /// told each router as it starts.
    public init(
        specs: [RouterSpec], train: TrainingData, test: TrainingData, seed: UInt64, progress: (String) -> Void = { _ in }
    ) throws {
        precondition(train.set.models == test.set.models, "train and test sets have different models")
        self.seed = seed
        self.train = train.set
        self.test = test.set
        let set = test.set
        let pair = ModelPair(train.set)
        self.pair = pair
        let singles = set.models.indices.map { OperatingPoint(label: set.models[$0], quality: set.meanScores[$0], cost: set.meanCosts[$0]) }
        self.singles = singles
        let twoModels = set.models.count == 2
        let weak = set.scores.map { $0[pair.weak] }, strong = set.scores.map { $0[pair.strong] }
        random = twoModels ? RouteLLMProtocol.random(weak: weak, strong: strong) : nil
        optimal = twoModels ? RouteLLMProtocol.optimal(weak: weak, strong: strong) : nil
        optimalCurve = RouteLLMProtocol.optimalCurve(weak: weak, strong: strong, shares: (0...100).map { Double($0) / 100 })
        oracle = OperatingPoint(label: "oracle", choices: set.scores.indices.map { i in
            set.models.indices.max { a, b in
                let (sa, sb) = (set.scores[i][a], set.scores[i][b])
                return sa < sb || (sa == sb && set.costs[i][a] > set.costs[i][b])
            }!
        }, on: set)
        zeroRouterAIQ = CostAwareFigures.zeroRouterAIQ(singles)
        let datasets = Set(set.records.compactMap(\.dataset))
        var results: [RouterResult] = []
        for spec in specs {
            progress(spec.description)
            let started = ContinuousClock.now
            let router = spec.train(train, seed: seed)
            let trainingSeconds = started.duration(to: .now).seconds
            let estimates = try router.estimateAll(test.embeddings, lengths: test.lengths)
            results.append(Self.result(
                spec: spec, router: router, estimates: estimates, test: test, pair: pair, singles: singles,
                datasets: twoModels && datasets.count > 1 ? datasets : [], trainingSeconds: trainingSeconds))
        }
        self.results = results
    }

    private static func result(
        spec: RouterSpec, router: any Router, estimates: [RouterEstimate], test: TrainingData, pair: ModelPair,
        singles: [OperatingPoint], datasets: Set<String>, trainingSeconds: Double
    ) -> RouterResult {
        let set = test.set
        let scores = estimates.map(\.strongWinScore)
        let weak = set.scores.map { $0[pair.weak] }, strong = set.scores.map { $0[pair.strong] }
        let twoModels = set.models.count == 2
        var perDataset: [String: RouteLLMProtocol.Metrics] = [:]
        for dataset in datasets {
            let rows = set.records.indices.filter { set.records[$0].dataset == dataset }
            perDataset[dataset] = RouteLLMProtocol.evaluate(
                scores: rows.map { scores[$0] }, weak: rows.map { weak[$0] }, strong: rows.map { strong[$0] })
        }
        let alphaCurve = alphas.map { alpha in
            OperatingPoint(label: spec.description, alpha: alpha, choices: estimates.map { $0.estimates.choose(alpha: alpha) }, on: set)
        }
        var alphaCurveArea: Double?
        if twoModels {
            let strongName = set.models[pair.strong]
            alphaCurveArea = StrongWeakCurve(
                measured: alphaCurve.map { ($0.mix?[strongName] ?? 0, $0.quality) },
                weakQuality: singles[pair.weak].quality, strongQuality: singles[pair.strong].quality
            ).apgr
        }
        return RouterResult(
            spec: spec, router: router, estimates: estimates,
            routeLLM: twoModels ? RouteLLMProtocol.evaluate(scores: scores, weak: weak, strong: strong) : nil,
            perDataset: perDataset,
            curve: RouteLLMProtocol.curve(scores: scores, weak: weak, strong: strong),
            fineCurve: RouteLLMProtocol.curve(scores: scores, weak: weak, strong: strong, bins: 100),
            alphaCurve: alphaCurve, costAware: CostAwareFigures(curve: alphaCurve, singles: singles),
            alphaCurveArea: alphaCurveArea, trainingSeconds: trainingSeconds,
            microsecondsPerRequest: Self.latency(router, test))
    }

    /// Microseconds per single-prompt estimate, over up to 200 test prompts (the median of
    /// three passes).
    static func latency(_ router: any Router, _ test: TrainingData) -> Double {
        let count = min(200, test.count)
        guard count > 0 else { return 0 }
        let queries = (0..<count).map { test.query($0) }
        let passes = (0..<3).map { _ -> Double in
            let started = ContinuousClock.now
            for query in queries { _ = try? router.estimate(query) }
            return started.duration(to: .now).seconds * 1e6 / Double(count)
        }
        return passes.sorted()[1]
    }
}
