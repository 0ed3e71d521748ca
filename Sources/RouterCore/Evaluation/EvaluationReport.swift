/// A figure over several seeded splits: its mean and its range.
public struct Spread: Sendable, Equatable, Codable {
    public var mean: Double
    public var min: Double
    public var max: Double

    public init(_ values: [Double]) {
        precondition(!values.isEmpty, "a spread of nothing")
        mean = values.reduce(0, +) / Double(values.count)
        min = values.min()!
        max = values.max()!
    }

    /// The spread of the values that exist; nil when none does.
    public init?(_ values: [Double?]) {
        let present = values.compactMap { $0 }
        guard !present.isEmpty else { return nil }
        self.init(present)
    }
}

/// Everything `switchyard eval` prints for one data set over its seeds (and its `--json`).
public struct EvaluationReport: Sendable, Codable {
    /// One router over the seeds.
    public struct RouterRow: Sendable, Codable {
        /// e.g. "knn(neighbors=50)".
        public var router: String
        public var kind: String
        /// RouteLLM's metrics (two-model sets).
        public var apgr: Spread?
        public var cpt20: Spread?
        public var cpt50: Spread?
        public var cpt80: Spread?
        /// Whether every seed's threshold curve was monotone (CPT assumes it).
        public var monotone: Bool?
        /// Per benchmark of a pooled set: APGR of this router's scores on that benchmark's prompts.
        public var perDataset: [String: Spread]
        /// The cost-aware alpha sweep: RouterBench's AIQ, Avengers-Pro's gain and savings.
        public var aiq: Spread
        public var gainPercent: Spread
        public var savedAtBestPercent: Spread?
        public var savedAt90Percent: Spread?
        /// Seeds on which the best model's quality was reached (for savedAtBest).
        public var reachedBest: Int
        /// Two models: the area under PGR of the alpha curve (cost-aware; not APGR).
        public var alphaCurveArea: Spread?
        public var trainingSeconds: Spread
        public var microsecondsPerRequest: Spread
    }

    public var name: String
    public var models: [String]
    /// RouteLLM's pair (the best model on the training data, the cheapest other).
    public var strong: String
    public var weak: String
    public var seeds: [UInt64]
    /// [low, high] of the benchmark's own score scale, when the set has one.
    public var scoreScale: [Double]?
    public var trainCount: Int
    public var testCount: Int
    public var notes: [String]
    /// Each model alone: quality and cost per prompt.
    public var singles: [String: Spread]
    public var singleCosts: [String: Spread]
    public var routers: [RouterRow]
    /// RouteLLM's random router and optimal curve (two-model sets).
    public var random: RouteLLMProtocol.Metrics?
    public var randomSpread: Spread?
    public var optimalSpread: Spread?
    /// The multi-model oracle (best per prompt) and RouterBench's zero router.
    public var oracleQuality: Spread
    public var oracleCost: Spread
    public var zeroRouterAIQ: Spread
    /// The first seed's curves, for the plot.
    public var plot: PlotData

    /// The curves of the first split, for drawing.
    public struct PlotData: Sendable, Codable {
        public var singles: [OperatingPoint]
        public var oracle: OperatingPoint
        /// Router -> its alpha sweep (cost, quality).
        public var alphaCurves: [String: [OperatingPoint]]
        /// Router -> its threshold curve on a fine grid (two models).
        public var thresholdCurves: [String: [RouteLLMProtocol.Point]]
        public var optimalCurve: [RouteLLMProtocol.Point]
    }

    /// The report over `splits` (one per seed, the same routers in the same order).
    public init(name: String, splits: [SplitEvaluation], notes: [String]) {
        precondition(!splits.isEmpty, "no splits")
        let first = splits[0]
        self.name = name
        let models = first.test.models
        self.models = models
        strong = models[first.pair.strong]
        weak = models[first.pair.weak]
        seeds = splits.map(\.seed)
        scoreScale = first.test.scoreScale.map { [$0.lowerBound, $0.upperBound] }
        trainCount = first.train.count
        testCount = first.test.count
        self.notes = notes
        singles = Dictionary(uniqueKeysWithValues: models.indices.map { m in (models[m], Spread(splits.map { $0.singles[m].quality })) })
        singleCosts = Dictionary(uniqueKeysWithValues: models.indices.map { m in (models[m], Spread(splits.map { $0.singles[m].cost })) })
        routers = first.results.indices.map { r in Self.row(splits.map { $0.results[r] }) }
        random = first.random
        randomSpread = Spread(splits.map { $0.random?.apgr })
        optimalSpread = Spread(splits.map { $0.optimal?.apgr })
        oracleQuality = Spread(splits.map(\.oracle.quality))
        oracleCost = Spread(splits.map(\.oracle.cost))
        zeroRouterAIQ = Spread(splits.map(\.zeroRouterAIQ))
        plot = PlotData(
            singles: first.singles, oracle: first.oracle,
            alphaCurves: Dictionary(uniqueKeysWithValues: first.results.map { ($0.spec.description, $0.alphaCurve) }),
            thresholdCurves: models.count == 2
                ? Dictionary(uniqueKeysWithValues: first.results.map { ($0.spec.description, $0.fineCurve) }) : [:],
            optimalCurve: first.optimalCurve)
    }

    private static func row(_ results: [SplitEvaluation.RouterResult]) -> RouterRow {
        let routeLLM = results.map(\.routeLLM)
        let datasets = Set(results.flatMap { $0.perDataset.keys })
        return RouterRow(
            router: results[0].spec.description, kind: results[0].spec.kind.rawValue,
            apgr: Spread(routeLLM.map { $0?.apgr }), cpt20: Spread(routeLLM.map { $0?.cpt20 }),
            cpt50: Spread(routeLLM.map { $0?.cpt50 }), cpt80: Spread(routeLLM.map { $0?.cpt80 }),
            monotone: routeLLM.allSatisfy { $0 == nil } ? nil : routeLLM.allSatisfy { $0?.monotone ?? true },
            perDataset: Dictionary(uniqueKeysWithValues: datasets.sorted().compactMap { dataset in
                Spread(results.map { $0.perDataset[dataset]?.apgr }).map { (dataset, $0) }
            }),
            aiq: Spread(results.map(\.costAware.aiq)), gainPercent: Spread(results.map(\.costAware.gainPercent)),
            savedAtBestPercent: Spread(results.map(\.costAware.savedAtBestPercent)),
            savedAt90Percent: Spread(results.map(\.costAware.savedAt90Percent)),
            reachedBest: results.count { $0.costAware.savedAtBestPercent != nil },
            alphaCurveArea: Spread(results.map(\.alphaCurveArea)),
            trainingSeconds: Spread(results.map(\.trainingSeconds)),
            microsecondsPerRequest: Spread(results.map(\.microsecondsPerRequest)))
    }
}
