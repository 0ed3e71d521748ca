import ArgumentParser
import Datasets
import RouterCore
import RouterFile

/// `switchyard train`: trains a cluster router on a dataset and writes the router file.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train", abstract: "Train a cluster router (Avengers-Pro) and write a router file.")

    @OptionGroup var data: DataOptions
    @OptionGroup var router: RouterOptions

    @Option(help: "The router file to write.")
    var out = "router.bin"

    @Option(help: "Share of the prompts held out of training (seeded by --seed), written to --holdout-out.")
    var holdout = 0.0

    @Option(help: "Where to write the held-out prompts, in the dataset format (for `switchyard compare` or eval).")
    var holdoutOut: String?

    func validate() throws {
        if !(0..<1).contains(holdout) { throw ValidationError("--holdout must be in [0, 1)") }
        if holdout > 0, holdoutOut == nil { throw ValidationError("--holdout needs --holdout-out") }
    }

    func run() throws {
        let prices = try data.priceTable()
        let pooled = try data.load(data.dataFiles, prices: prices)
        var set = pooled.set
        if holdout > 0, let holdoutOut {
            let split = Split(count: set.count, trainFraction: 1 - holdout, seed: router.seed)
            let lines = pooled.lines(ids: Set(split.test.map { set.records[$0].id }))
            try DatasetFile.write(lines, to: holdoutOut)
            set = set.subset(split.train)
            stderr("held out \(lines.count) prompts in \(holdoutOut); training on \(set.count)")
        }
        let embedder = HashEmbedder(settings: router.hashSettings)
        stderr("embedding \(set.count) prompts (hash, \(embedder.settings.dimension) dimensions)")
        let embeddings = embedder.embedAll(set.records.map(\.prompt))
        let bar = ProgressBar(label: "k-means (k=\(router.k ?? ClusterRouterTrainer.automaticClusters(for: set.count)))")
        let model = router.trainer.train(
            set, embeddings: embeddings, embedder: .hash(embedder.settings), prices: set.models.map { prices[$0] },
            progress: bar.update)
        bar.finish()
        try RouterFile.save(model, to: out, trainedOn: data.dataFiles.joined(separator: ", "))
        print("wrote \(out): router \(model.version), \(model.clusterCount) clusters x \(model.dimension) dimensions, "
            + "\(model.models.count) models, trained on \(set.count) prompts")
    }
}

/// The cluster router's hyper-parameters, shared by train and eval.
struct RouterOptions: ParsableArguments {
    @Option(help: "Number of k-means clusters (default: one per 64 training prompts, 4 to 64).")
    var k: Int?

    @Option(help: "Nearest clusters blended per decision.")
    var topK = 3

    @Option(help: "Softmax temperature on centroid distances.")
    var beta = 9.0

    @Option(help: "How performance and cost are scaled before alpha weighs them: global or per-cluster.")
    var normalization: Normalization = .global

    @Option(help: "Pseudo-prompts at each model's overall mean added to every cluster (shrinks small clusters).")
    var smoothing = 1.0

    @Option(help: "Hash embedder dimension.")
    var dimension = 384

    @Option(help: "Random seed for k-means (and the split, in eval).")
    var seed: UInt64 = 42

    func validate() throws {
        if let k, k < 1 { throw ValidationError("--k must be at least 1") }
        if topK < 1 { throw ValidationError("--top-k must be at least 1") }
        if !(beta >= 0) { throw ValidationError("--beta must be >= 0") }
        if !(smoothing >= 0) { throw ValidationError("--smoothing must be >= 0") }
        if dimension < 8 { throw ValidationError("--dimension must be at least 8") }
    }

    var hashSettings: HashEmbedder.Settings { HashEmbedder.Settings(dimension: dimension) }
    var trainer: ClusterRouterTrainer { ClusterRouterTrainer(
            clusters: k, topK: topK, beta: beta, smoothing: smoothing, seed: seed, normalization: normalization) }
}

extension Normalization: ExpressibleByArgument {}
