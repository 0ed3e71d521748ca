/// k-fold cross-validation of router candidates on training data: what `switchyard train
/// --router auto` picks with. The figure is RouteLLM's APGR for two-model data and RouterBench's
/// AIQ otherwise; on data pooled from several benchmarks it is the mean of the figure over the
/// benchmarks, so a router that only fits the largest one does not win.
public struct CrossValidation: Sendable {
    public var folds: Int
    public var seed: UInt64

    public init(folds: Int = 5, seed: UInt64 = 42) {
        precondition(folds >= 2, "at least two folds")
        self.folds = folds
        self.seed = seed
    }

    /// The candidates `auto` tries: every family at its main knobs.
    public static func grid(trainingPrompts: Int) -> [RouterSpec] {
        [
            RouterSpec(.cluster), RouterSpec(.cluster, ["k": 16, "top_k": 3]), RouterSpec(.cluster, ["k": 64, "top_k": 5]),
            RouterSpec(.knn, ["neighbors": 10]), RouterSpec(.knn, ["neighbors": 20]), RouterSpec(.knn, ["neighbors": 50]),
            RouterSpec(.knn, ["neighbors": 100]),
            RouterSpec(.predictor), RouterSpec(.classifier), RouterSpec(.mf), RouterSpec(.swRanking), RouterSpec(.length),
        ]
    }

    /// Every candidate's figure over the folds, best first.
    public func run(_ candidates: [RouterSpec], on data: TrainingData, progress: (String) -> Void = { _ in }) throws
        -> [CrossValidationRow]
    {
        let folds = self.foldIndices(count: data.count)
        let metric = data.set.models.count == 2 ? "APGR" : "AIQ"
        var rows: [CrossValidationRow] = []
        for spec in candidates {
            progress(spec.description)
            var figures: [Double] = []
            for fold in folds {
                let held = Set(fold)
                let train = data.subset(data.set.records.indices.filter { !held.contains($0) })
                let test = data.subset(fold)
                let router = spec.train(train, seed: seed)
                figures.append(Self.figure(try router.estimateAll(test.embeddings, lengths: test.lengths), on: test.set, pair: ModelPair(train.set)))
            }
            let spread = Spread(figures)
            rows.append(CrossValidationRow(spec: spec.description, metric: metric, mean: spread.mean, min: spread.min, max: spread.max))
        }
        return rows.sorted { $0.mean > $1.mean }
    }

    /// Indices of each fold, from a seeded shuffle.
    func foldIndices(count: Int) -> [[Int]] {
        var order = Array(0..<count)
        var random = SeededGenerator(seed: seed)
        order.shuffle(using: &random)
        return (0..<folds).map { f in order.enumerated().filter { $0.offset % folds == f }.map(\.element).sorted() }
    }

    /// APGR (two models) or AIQ of `estimates` on `test`, averaged over its benchmarks.
    static func figure(_ estimates: [RouterEstimate], on test: CompleteSet, pair: ModelPair) -> Double {
        let groups = Dictionary(grouping: test.records.indices) { test.records[$0].dataset ?? "" }.values
        let values = groups.map { rows -> Double in
            let subset = test.subset(rows)
            let chosen = rows.map { estimates[$0] }
            if test.models.count == 2 {
                return RouteLLMProtocol.evaluate(
                    scores: chosen.map(\.strongWinScore), weak: subset.scores.map { $0[pair.weak] },
                    strong: subset.scores.map { $0[pair.strong] }
                ).apgr
            }
            let singles = subset.models.indices.map {
                OperatingPoint(label: subset.models[$0], quality: subset.meanScores[$0], cost: subset.meanCosts[$0])
            }
            let curve = SplitEvaluation.alphas.map { alpha in
                OperatingPoint(label: "", alpha: alpha, choices: chosen.map { $0.estimates.choose(alpha: alpha) }, on: subset)
            }
            return CostAwareFigures(curve: curve, singles: singles).aiq
        }
        return values.reduce(0, +) / Double(values.count)
    }
}
