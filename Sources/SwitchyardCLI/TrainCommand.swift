import ArgumentParser
import Datasets
import RouterCore
import RouterFile

/// `switchyard train`: trains one or more routers (or picks one by cross-validation) and writes
/// the router file.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train", abstract: "Train routers and write a router file.",
        discussion: """
            --router names one family or several (comma-separated; the first is the default a request \
            gets), or auto: k-fold cross-validation over every family at its main knobs picks by APGR \
            (two models) or AIQ (more), averaged over the benchmarks of pooled data; the table goes into \
            the file and the output. Each router is calibrated on the training prompts' strong-win \
            scores (recalibrate on your own traffic with `switchyard calibrate`).
            """)

    @OptionGroup var data: DataOptions
    @OptionGroup var routers: RouterOptions
    @OptionGroup var embedding: EmbedderOptions

    @Option(help: "Routers to train: a family, a comma-separated list, or auto.")
    var router = "cluster"

    @Option(help: "Folds of the cross-validation behind --router auto.")
    var folds = 5

    @Option(help: "With --router auto: the families cross-validation picks from (comma-separated; default all). knn and sw-ranking keep every training prompt's vector, so their files grow with the data.")
    var candidates: String?

    @Option(help: "The router file to write.")
    var out = "router.bin"

    @Flag(help: "Fit a cluster router on the prompts of --data alone (no scores read; any JSONL with a \"prompt\" per line): every model of --models starts at the prior, for a team with traffic but no labels.")
    var promptsOnly = false

    @Option(help: "With --prompts-only: the models to route between (comma-separated, each priced in --prices).")
    var models: String?

    @Option(help: "With --prompts-only: the output tokens a prompt is assumed to cost (its input tokens are estimated from its length).")
    var assumedOutputTokens = 256

    @Option(help: "Share of the prompts held out of training (seeded by --seed), written to --holdout-out.")
    var holdout = 0.0

    @Option(help: "Where to write the held-out prompts, in the dataset format (for `switchyard compare` or eval).")
    var holdoutOut: String?

    @Option(help: "complete: every model scored on every prompt (benchmarks); observed: whatever each prompt was scored on, e.g. an export of traffic where feedback rates the model that answered (--router cluster only).")
    var scores: ScoreCoverage = .complete

    /// Which scores training needs.
    enum ScoreCoverage: String, ExpressibleByArgument, CaseIterable {
        case complete, observed
    }

    func validate() throws {
        if !(0..<1).contains(holdout) { throw ValidationError("--holdout must be in [0, 1)") }
        if holdout > 0, holdoutOut == nil { throw ValidationError("--holdout needs --holdout-out") }
        if folds < 2 { throw ValidationError("--folds must be at least 2") }
        if router != "auto" { _ = try RouterOptions.kinds(router) }
        if scores == .observed, router != "cluster" {
            throw ValidationError("--scores observed trains the cluster router only (--router cluster): the other families need every model scored on every prompt")
        }
    }

    func run() throws {
        if promptsOnly { return try trainOnPrompts() }
        let prices = try data.priceTable()
        let pooled = try data.load(data.dataFiles, prices: prices, observed: scores == .observed)
        var set = pooled.set
        guard set.models.count >= 2 else {
            throw CommandFailure("a router chooses between models, and only \(set.models.joined(separator: ", ")) is left to train on "
                + "(the notes above say why the others were left out)")
        }
        if holdout > 0, let holdoutOut {
            let split = Split(count: set.count, trainFraction: 1 - holdout, seed: routers.seed)
            let lines = pooled.lines(ids: Set(split.test.map { set.records[$0].id }))
            try DatasetFile.write(lines, to: holdoutOut)
            set = set.subset(split.train)
            stderr("held out \(lines.count) prompts in \(holdoutOut); training on \(set.count)")
        }
        let embedder = try embedding.load()
        stderr("embedding \(set.count) prompts (\(embedder.spec.kind), \(embedder.spec.dimension) dimensions)")
        let training = try embedder.trainingData(set)
        var crossValidation: [CrossValidationRow] = []
        let specs: [RouterSpec]
        if router == "auto" {
            let families = try candidates.map { Set(try RouterOptions.kinds($0)) }
            let candidates = CrossValidation.grid(trainingPrompts: set.count).filter { families?.contains($0.kind) ?? true }
            guard !candidates.isEmpty else { throw ValidationError("--candidates leaves no router to cross-validate") }
            crossValidation = try CrossValidation(folds: folds, seed: routers.seed).run(candidates, on: training) {
                stderr("cross-validating \($0)")
            }
            print("cross-validation (\(folds) folds, \(crossValidation[0].metric); mean [min, max]):")
            for row in crossValidation { print("  " + CrossValidationTable.line(row)) }
            specs = candidates.filter { $0.description == crossValidation[0].spec }
        } else {
            specs = try routers.specs(try RouterOptions.kinds(router))
        }
        var entries: [RouterBundle.Entry] = []
        for spec in specs {
            stderr("training \(spec)")
            let trained = spec.train(training, seed: routers.seed)
            let scores = try trained.estimateAll(training.embeddings, lengths: training.lengths).map(\.strongWinScore)
            entries.append(RouterBundle.Entry(
                name: spec.kind.rawValue, spec: spec.description, router: trained,
                calibration: Calibration(scores: scores, source: "training prompts (\(set.count))")))
        }
        let version = specs.map(\.kind.rawValue).joined(separator: "+") + "-s\(routers.seed)-n\(set.count)-"
            + RouterBundle.fingerprint(entries.map(\.router))
        let bundle = try RouterBundle(
            version: version, embedder: embedder.spec, models: set.models, prices: set.models.map { prices[$0] },
            entries: entries, defaultRouter: entries[0].name, crossValidation: crossValidation,
            trainedOn: data.dataFiles.joined(separator: ", "))
        try RouterFile.save(bundle, to: out)
        print("wrote \(out): router \(version) (\(entries.map(\.spec).joined(separator: ", "))), \(set.models.count) models, "
            + "\(embedder.spec.kind) embeddings of \(embedder.spec.dimension) dimensions, trained on \(set.count) prompts")
    }

    /// `--prompts-only`: clusters from the prompts, every model at the prior, costs from prices.
    func trainOnPrompts() throws {
        let names = (models ?? "").split(separator: ",").map(String.init)
        guard names.count >= 2, Set(names).count == names.count else {
            throw ValidationError("--prompts-only needs --models with two or more different models, e.g. --models gpt-4o,llama-3.1-8b")
        }
        let prices = try data.priceTable()
        let unpriced = names.filter { prices[$0] == nil }
        guard unpriced.isEmpty else {
            throw ValidationError("no price for \(unpriced.joined(separator: ", ")) in the price table (--prices: a JSON object of model -> "
                + "{\"input_per_million\", \"output_per_million\", \"source\"})")
        }
        let texts = try data.dataFiles.flatMap { try PromptFile.prompts($0) }
        guard texts.count >= 2 else { throw ValidationError("--prompts-only needs prompts to cluster; \(data.dataFiles.joined(separator: ", ")) has \(texts.count)") }
        let embedder = try embedding.load()
        stderr("embedding \(texts.count) prompts (\(embedder.spec.kind), \(embedder.spec.dimension) dimensions)")
        let costs = texts.map { text in
            names.map { prices[$0]!.cost(inputTokens: PriceTable.estimatedTokens(characters: text.count), outputTokens: Double(assumedOutputTokens)) }
        }
        let spec = try routers.specs([.cluster])[0]
        let router = spec.clusterTrainer(seed: routers.seed).train(prompts: embedder.embedAll(texts), models: names, costs: costs)
        let version = "cluster-prompts-only-s\(routers.seed)-n\(texts.count)-" + RouterBundle.fingerprint([router])
        let bundle = try RouterBundle(
            version: version, embedder: embedder.spec, models: names, prices: names.map { prices[$0] },
            entries: [RouterBundle.Entry(name: "cluster", spec: "cluster(prompts only)", router: router)], defaultRouter: "cluster",
            crossValidation: [], trainedOn: data.dataFiles.joined(separator: ", ") + " (prompts only)")
        try RouterFile.save(bundle, to: out)
        print("wrote \(out): router \(version) (cluster on prompts alone, \(router.model.clusterCount) clusters), \(names.count) models at the prior; "
            + "\(embedder.spec.kind) embeddings of \(embedder.spec.dimension) dimensions, \(texts.count) prompts")
    }
}

/// One line of a cross-validation table.
enum CrossValidationTable {
    static func line(_ row: CrossValidationRow) -> String {
        row.spec.padding(toLength: max(34, row.spec.count), withPad: " ", startingAt: 0)
            + String(format: "%.3f [%.3f, %.3f]", row.mean, row.min, row.max)
    }
}
