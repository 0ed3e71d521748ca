import ArgumentParser
import Datasets
import Foundation
import RouterCore

/// `switchyard eval`: every router on seeded splits, measured as the papers measure.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate routers against single models, random, the optimal curve and each other.",
        discussion: """
            For each seed, trains every router on a 70/30 split of --data (or on --train, testing on all of \
            --data) and prints, over the seeds (mean [min, max]): RouteLLM's APGR and CPT(20/50/80%) for \
            two-model sets, by RouteLLM's protocol (deciles of each router's strong-win scores; random as \
            RouteLLM computes it; the optimal curve), beside the prompt-length baseline; and for every set \
            the cost-aware alpha sweep: RouterBench's AIQ against the zero router, Avengers-Pro's gain over \
            the best model and cost saved at its quality and at 90% of it. Pooled sets also get APGR per \
            benchmark.
            """)

    @OptionGroup var data: DataOptions
    @OptionGroup var routers: RouterOptions
    @OptionGroup var embedding: EmbedderOptions

    @Option(name: .customLong("routers"), help: "Routers to evaluate (comma-separated).")
    var routerList = "cluster,knn,predictor,mf,sw-ranking,classifier,length,random"

    @Option(help: "Seeds of the splits (comma-separated); each gives one split and one training per router.")
    var seeds = "42,7,99"

    @Option(name: .customLong("train"), help: "Train on these files instead of a split; test on all of --data.")
    var trainFiles: [String] = []

    @Option(help: "Share of --data to train on when there is no --train.")
    var trainFraction = 0.7

    @Option(help: "Write every test prompt's strong-win score and choice per router, per seed, as JSONL.")
    var perPrompt: String?

    @Option(help: "Draw cost against quality (and the threshold curves) into this SVG file.")
    var plot: String?

    @Flag(help: "Print the report as JSON.")
    var json = false

    /// Fewer test prompts than this make a split meaningless; use --train.
    static let minimumForSplit = 200

    func validate() throws {
        if !(0.05...0.95).contains(trainFraction) { throw ValidationError("--train-fraction must be in [0.05, 0.95]") }
        _ = try seedList()
        _ = try RouterOptions.kinds(routerList)
    }

    func seedList() throws -> [UInt64] {
        let seeds = self.seeds.split(separator: ",").compactMap { UInt64($0) }
        guard !seeds.isEmpty, seeds.count == self.seeds.split(separator: ",").count else {
            throw ValidationError("--seeds must be comma-separated non-negative integers")
        }
        return seeds
    }

    func run() throws {
        let prices = try data.priceTable()
        let specs = try routers.specs(try RouterOptions.kinds(routerList))
        let all = try data.load(data.dataFiles, prices: prices).set
        let name = data.dataFiles.map { URL(fileURLWithPath: $0).lastPathComponent }.joined(separator: " + ")
        let embedder = try embedding.load()
        stderr("embedding \(all.count) prompts (\(embedder.spec.kind), \(embedder.spec.dimension) dimensions)")
        let everything = try embedder.trainingData(all)
        var fixedTrain: TrainingData?
        var notes: [String] = []
        if !trainFiles.isEmpty {
            let train = try data.load(trainFiles, prices: prices).set(alignedTo: all.models)
            fixedTrain = try embedder.trainingData(train)
            notes.append("trained on \(trainFiles.joined(separator: ", ")) (\(train.count) prompts); tested on all \(all.count) prompts of \(name)")
        } else {
            guard all.count >= Self.minimumForSplit else {
                throw CommandFailure("\(name) has only \(all.count) prompts with every kept model scored and costed; a seeded split needs at least \(Self.minimumForSplit). Train on other sets with --train and test on all of it")
            }
            notes.append("seeded \(Int((trainFraction * 100).rounded()))/\(Int(((1 - trainFraction) * 100).rounded())) splits")
        }
        var splits: [SplitEvaluation] = []
        for seed in try seedList() {
            let (train, test): (TrainingData, TrainingData)
            if let fixedTrain {
                (train, test) = (fixedTrain, everything)
            } else {
                let split = Split(count: all.count, trainFraction: trainFraction, seed: seed)
                (train, test) = (everything.subset(split.train), everything.subset(split.test))
            }
            splits.append(try SplitEvaluation(specs: specs, train: train, test: test, seed: seed) { stderr("seed \(seed): \($0)") })
        }
        let report = EvaluationReport(name: name, splits: splits, notes: notes + all.notes)
        if let perPrompt {
            try PerPromptExport.write(splits, to: perPrompt)
            stderr("wrote \(perPrompt)")
        }
        if let plot {
            try SVGPlot(report: report).render().write(toFile: plot, atomically: true, encoding: .utf8)
            stderr("wrote \(plot)")
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(ReportPrinter(report: report).text)
        }
    }
}

/// `eval --per-prompt`: one JSON line per test prompt and seed, with each router's strong-win
/// score under its name and its choice under "choice:<name>" (two models: strong when the score
/// is at least the median of the test scores, i.e. half the calls; more models: alpha 0.5), and
/// the weak and strong models' results, so RouteLLM's own evaluation code can be run on it.
enum PerPromptExport {
    static func write(_ splits: [SplitEvaluation], to path: String) throws {
        var lines: [String] = []
        for split in splits {
            let test = split.test
            let thresholds = split.results.map { result in
                Calibration.quantile(result.estimates.map(\.strongWinScore).sorted(), 0.5)
            }
            for i in test.records.indices {
                var row: [String: Any] = [
                    "seed": split.seed, "id": test.records[i].id, "dataset": test.records[i].dataset ?? "",
                    "weak": test.scores[i][split.pair.weak], "strong": test.scores[i][split.pair.strong],
                ]
                for (r, result) in split.results.enumerated() {
                    let name = result.spec.description
                    let estimate = result.estimates[i]
                    row[name] = estimate.strongWinScore
                    let choice = test.models.count == 2
                        ? (estimate.strongWinScore >= thresholds[r] ? split.pair.strong : split.pair.weak)
                        : estimate.estimates.choose(alpha: 0.5)
                    row["choice:\(name)"] = test.models[choice]
                }
                let data = try JSONSerialization.data(withJSONObject: row, options: [.sortedKeys])
                lines.append(String(decoding: data, as: UTF8.self))
            }
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }
}
