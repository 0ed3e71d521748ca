/// Trains the cluster router on a training split and measures it on a test split beside every
/// baseline: each single model, random mixes, the oracle and kNN. Produces the numbers the
/// Avengers-Pro, RouteLLM and RouterBench papers print.
public struct Evaluator: Sendable {
    public var trainer: ClusterRouterTrainer
    public var neighbors: Int
    /// The alphas shown in the table; curves use a finer sweep.
    public var displayAlphas: [Double]
    public var seed: UInt64

    public init(trainer: ClusterRouterTrainer = .init(), neighbors: Int = 20,
                displayAlphas: [Double] = stride(from: 0.0, through: 1.0, by: 0.1).map { ($0 * 10).rounded() / 10 },
                seed: UInt64 = 42) {
        self.trainer = trainer
        self.neighbors = neighbors
        self.displayAlphas = displayAlphas
        self.seed = seed
    }

    /// The alphas of the fine sweep behind curves and frontiers.
    static let sweep = (0...400).map { Double($0) / 400 }

    /// Evaluates on `test`, training on `train`; embeddings are the rows of the matrices.
    public func evaluate(
        name: String, train: CompleteSet, trainEmbeddings: Matrix, test: CompleteSet, testEmbeddings: Matrix,
        embedder: EmbedderSpec, prices: [ModelPrice?], progress: (Int, Int) -> Void = { _, _ in }
    ) throws -> EvaluationReport {
        let estimates = try self.estimates(
            train: train, trainEmbeddings: trainEmbeddings, test: test, testEmbeddings: testEmbeddings,
            embedder: embedder, prices: prices, progress: progress)
        return report(name: name, test: test, trainCount: train.count, routerVersion: estimates.router.version,
                      cluster: estimates.cluster, knn: estimates.knn)
    }

    /// Trains the cluster router on `train` and returns it with its and kNN's estimates for
    /// every test prompt.
    public func estimates(
        train: CompleteSet, trainEmbeddings: Matrix, test: CompleteSet, testEmbeddings: Matrix,
        embedder: EmbedderSpec, prices: [ModelPrice?], progress: (Int, Int) -> Void = { _, _ in }
    ) throws -> (router: ClusterRouterModel, cluster: [ModelEstimates], knn: [ModelEstimates]) {
        precondition(train.models == test.models, "train and test sets have different models")
        let model = trainer.train(train, embeddings: trainEmbeddings, embedder: embedder, prices: prices, progress: progress)
        let router = try ClusterRouter(model: model)
        let cluster = try (0..<test.count).map { i in router.estimates(try router.nearestClusters(testEmbeddings.row(i))) }
        let knn = NearestNeighbors(train: train, embeddings: trainEmbeddings, k: neighbors).estimates(testEmbeddings)
        return (model, cluster, knn)
    }

    /// The report for routers whose per-prompt estimates on `test` are given.
    public func report(
        name: String, test: CompleteSet, trainCount: Int, routerVersion: String,
        cluster: [ModelEstimates], knn: [ModelEstimates]
    ) -> EvaluationReport {
        let models = test.models
        let singles = models.indices.map { m in
            OperatingPoint(label: models[m], quality: test.meanScores[m], cost: test.meanCosts[m])
        }
        let best = singles.indices.max { singles[$0].quality < singles[$1].quality }!
        let cheapest = singles.indices.min { singles[$0].cost < singles[$1].cost }!
        func sweep(_ label: String, _ estimates: [ModelEstimates], _ alphas: [Double]) -> [OperatingPoint] {
            alphas.map { alpha in point(label, alpha: alpha, test, estimates.map { $0.choose(alpha: alpha) }) }
        }
        let clusterSweep = sweep("cluster", cluster, Self.sweep)
        let knnSweep = sweep("knn", knn, Self.sweep)
        let mixRates = (0...20).map { Double($0) / 20 }
        let randomPoints = mixRates.map { rate in
            var random = SeededGenerator(seed: seed)
            let choices = (0..<test.count).map { _ in random.nextUnit() < rate ? best : cheapest }
            return point("random", alpha: rate, test, choices)
        }
        let oracleChoices = test.scores.indices.map { i in
            test.scores[i].indices.max { a, b in
                let (sa, sb) = (test.scores[i][a], test.scores[i][b])
                return sa < sb || (sa == sb && test.costs[i][a] > test.costs[i][b])
            }!
        }
        let oracle = point("oracle", alpha: nil, test, oracleChoices)

        var report = EvaluationReport(
            name: name, trainCount: trainCount, testCount: test.count, models: models, routerVersion: routerVersion,
            scoreScale: test.scoreScale.map { [$0.lowerBound, $0.upperBound] }, notes: test.notes,
            singles: singles, oracle: oracle,
            cluster: sweep("cluster", cluster, displayAlphas), knn: sweep("knn", knn, displayAlphas),
            random: randomPoints.filter { r in [0, 0.25, 0.5, 0.75, 1].contains(r.alpha ?? -1) })
        report.frontier = CostQuality.paretoFrontier(clusterSweep + singles)
        report.avengers = AvengersFigures(best: singles[best], router: clusterSweep)
        let range = (singles.map(\.cost).min()!)...(singles.map(\.cost).max()!)
        let hullOf = { (points: [OperatingPoint]) in CostQuality.hull(points.map { ($0.cost, $0.quality) }) }
        report.aiq = AIQFigures(
            cluster: CostQuality.aiq(hullOf(clusterSweep), over: range),
            knn: CostQuality.aiq(hullOf(knnSweep), over: range),
            zeroRouter: CostQuality.aiq(hullOf(singles), over: range),
            costRange: [range.lowerBound, range.upperBound])
        if models.count == 2 {
            let strong = best, weak = 1 - best
            let curve = { (points: [OperatingPoint]) in
                StrongWeakCurve(measured: points.map { ($0.mix?[models[strong]] ?? 0, $0.quality) },
                                weakQuality: singles[weak].quality, strongQuality: singles[strong].quality)
            }
            let oracleShare = oracle.mix?[models[strong]] ?? 0
            report.strongWeak = StrongWeakSummary(strong: models[strong], weak: models[weak], rows: [
                .init(router: "cluster", curve(clusterSweep)),
                .init(router: "knn", curve(knnSweep)),
                .init(router: "random", curve(randomPoints)),
                .init(router: "oracle", curve([OperatingPoint(label: "oracle", quality: oracle.quality, cost: oracle.cost,
                                                              mix: [models[strong]: oracleShare])])),
            ])
        }
        return report
    }

    /// The operating point of per-prompt `choices` on `test`.
    func point(_ label: String, alpha: Double?, _ test: CompleteSet, _ choices: [Int]) -> OperatingPoint {
        var quality = 0.0, cost = 0.0
        var counts = [Int](repeating: 0, count: test.models.count)
        for (i, m) in choices.enumerated() {
            quality += test.scores[i][m]
            cost += test.costs[i][m]
            counts[m] += 1
        }
        let n = Double(max(choices.count, 1))
        var mix: [String: Double] = [:]
        for (m, count) in counts.enumerated() where count > 0 { mix[test.models[m]] = Double(count) / n }
        return OperatingPoint(label: label, alpha: alpha, quality: quality / n, cost: cost / n, mix: mix)
    }
}

/// Everything `switchyard eval` prints for one test set (and its `--json`).
public struct EvaluationReport: Sendable, Codable {
    public var name: String
    public var trainCount: Int
    public var testCount: Int
    public var models: [String]
    public var routerVersion: String
    /// [low, high] of the benchmark's own score scale, when the set has one.
    public var scoreScale: [Double]?
    public var notes: [String]
    public var singles: [OperatingPoint]
    public var oracle: OperatingPoint
    public var cluster: [OperatingPoint]
    public var knn: [OperatingPoint]
    /// Random mixes of the cheapest and the best single model; `alpha` holds the mix rate.
    public var random: [OperatingPoint]
    public var frontier: [OperatingPoint] = []
    public var avengers: AvengersFigures?
    public var aiq: AIQFigures?
    public var strongWeak: StrongWeakSummary?
    /// For pooled sets: each benchmark's figures under the pooled router and its own router.
    public var perDataset: [DatasetComparison] = []
}

/// Avengers-Pro's three figures for the cluster router against the best single model.
public struct AvengersFigures: Sendable, Codable {
    public var bestModel: String
    public var bestQuality: Double
    public var bestCost: Double
    /// The router's highest quality over alpha, and where.
    public var peakQuality: Double
    public var peakAlpha: Double
    /// (peak - best) / best, in percent.
    public var gainPercent: Double
    /// Cost saved reaching the best model's quality, in percent (nil: never reached).
    public var savedAtEqualQualityPercent: Double?
    /// Cost saved reaching 90% of the best model's quality, in percent.
    public var savedAt90PercentQualityPercent: Double?

    init(best: OperatingPoint, router: [OperatingPoint]) {
        bestModel = best.label
        bestQuality = best.quality
        bestCost = best.cost
        let peak = router.max { $0.quality < $1.quality || ($0.quality == $1.quality && $0.cost > $1.cost) }!
        peakQuality = peak.quality
        peakAlpha = peak.alpha ?? 1
        gainPercent = best.quality > 0 ? (peak.quality - best.quality) / best.quality * 100 : 0
        let saved = { (target: Double) in
            CostQuality.costToReach(target, on: router).map { (1 - $0 / best.cost) * 100 }
        }
        savedAtEqualQualityPercent = saved(best.quality)
        savedAt90PercentQualityPercent = saved(0.9 * best.quality)
    }
}

/// RouterBench's AIQ of each router and of the zero router (the single models' hull).
public struct AIQFigures: Sendable, Codable {
    public var cluster: Double
    public var knn: Double
    public var zeroRouter: Double
    /// The cost interval integrated over: the single models' cheapest to dearest.
    public var costRange: [Double]
}

/// RouteLLM's metrics for a two-model set.
public struct StrongWeakSummary: Sendable, Codable {
    public struct Row: Sendable, Codable {
        public var router: String
        public var apgr: Double
        /// Strong-call share needed for PGR 50% / 80%, in [0, 1].
        public var cpt50: Double?
        public var cpt80: Double?

        init(router: String, _ curve: StrongWeakCurve) {
            self.router = router
            apgr = curve.apgr
            cpt50 = curve.cpt(0.5)
            cpt80 = curve.cpt(0.8)
        }
    }

    public var strong: String
    public var weak: String
    public var rows: [Row]
}

/// One benchmark inside a pooled set: its test prompts routed by the pooled router and by a
/// router trained on that benchmark alone.
public struct DatasetComparison: Sendable, Codable {
    public var dataset: String
    public var testCount: Int
    public var pooled: StrongWeakSummary.Row?
    public var own: StrongWeakSummary.Row?
    public var pooledGainPercent: Double
    public var ownGainPercent: Double

    public init(dataset: String, testCount: Int, pooled: EvaluationReport, own: EvaluationReport) {
        self.dataset = dataset
        self.testCount = testCount
        self.pooled = pooled.strongWeak?.rows.first { $0.router == "cluster" }
        self.own = own.strongWeak?.rows.first { $0.router == "cluster" }
        pooledGainPercent = pooled.avengers?.gainPercent ?? 0
        ownGainPercent = own.avengers?.gainPercent ?? 0
    }
}
