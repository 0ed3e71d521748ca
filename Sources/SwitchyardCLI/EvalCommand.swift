import ArgumentParser
import Foundation
import RouterCore

/// `switchyard eval`: trains on a split and prints the routers against every baseline.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate the cluster router against single models, random, oracle and kNN.",
        discussion: """
            Trains on a seeded 70/30 split of --data (or on --train, testing on all of --data) and prints, \
            per alpha, quality and cost beside every single model, random and the oracle; RouteLLM's APGR \
            and CPT for two-model sets; the Pareto frontier; Avengers-Pro's figures; RouterBench's AIQ. \
            With several benchmarks in the test set, each one's gain under the pooled router is compared \
            with a router trained on that benchmark alone.
            """)

    @OptionGroup var data: DataOptions
    @OptionGroup var router: RouterOptions

    @Option(name: .customLong("train"), help: "Train on these files instead of a split; test on all of --data.")
    var trainFiles: [String] = []

    @Option(help: "Share of --data to train on when there is no --train.")
    var trainFraction = 0.7

    @Option(help: "Neighbours of the kNN baseline.")
    var neighbors = 20

    @Option(help: "Draw cost against quality for every router and model into this SVG file.")
    var plot: String?

    @Flag(help: "Print the report as JSON.")
    var json = false

    /// Fewer test prompts than this make a split meaningless; use --train.
    static let minimumForSplit = 200

    func validate() throws {
        if !(0.05...0.95).contains(trainFraction) { throw ValidationError("--train-fraction must be in [0.05, 0.95]") }
        if neighbors < 1 { throw ValidationError("--neighbors must be at least 1") }
    }

    func run() throws {
        let prices = try data.priceTable()
        let all = try data.load(data.dataFiles, prices: prices).set
        let embedder = HashEmbedder(settings: router.hashSettings)
        let evaluator = Evaluator(trainer: router.trainer, neighbors: neighbors, seed: router.seed)
        let name = data.dataFiles.map { URL(fileURLWithPath: $0).lastPathComponent }.joined(separator: " + ")
        var train: CompleteSet, test: CompleteSet
        var notes: [String] = []
        if trainFiles.isEmpty {
            guard all.count >= Self.minimumForSplit else {
                throw CommandFailure("\(name) has only \(all.count) prompts, too few for a \(Int(trainFraction * 100))/"
                    + "\(Int((1 - trainFraction) * 100)) split; train on other sets with --train and test on all of it")
            }
            let split = Split(count: all.count, trainFraction: trainFraction, seed: router.seed)
            (train, test) = (all.subset(split.train), all.subset(split.test))
            notes.append("seeded split (seed \(router.seed)): \(train.count) train / \(test.count) test prompts")
        } else {
            test = all
            train = try data.load(trainFiles, prices: prices).set(alignedTo: all.models)
            notes.append("trained on \(trainFiles.joined(separator: ", ")) (\(train.count) prompts); "
                + "tested on all \(test.count) prompts of \(name)")
        }
        let trainEmbeddings = embedder.embedAll(train.records.map(\.prompt))
        let testEmbeddings = embedder.embedAll(test.records.map(\.prompt))
        let spec = EmbedderSpec.hash(embedder.settings)
        let modelPrices = all.models.map { prices[$0] }
        let estimates = try evaluator.estimates(
            train: train, trainEmbeddings: trainEmbeddings, test: test, testEmbeddings: testEmbeddings,
            embedder: spec, prices: modelPrices)
        var report = evaluator.report(
            name: name, test: test, trainCount: train.count, routerVersion: estimates.router.version,
            cluster: estimates.cluster, knn: estimates.knn)
        report.notes = notes + report.notes
        let datasets = Set(test.records.compactMap(\.dataset))
        if datasets.count > 1 {
            for dataset in datasets.sorted() {
                let testRows = test.records.indices.filter { test.records[$0].dataset == dataset }
                let trainRows = train.records.indices.filter { train.records[$0].dataset == dataset }
                guard !trainRows.isEmpty, !testRows.isEmpty else { continue }
                let pooled = evaluator.report(
                    name: dataset, test: test.subset(testRows), trainCount: train.count, routerVersion: estimates.router.version,
                    cluster: testRows.map { estimates.cluster[$0] }, knn: testRows.map { estimates.knn[$0] })
                let own = try evaluator.evaluate(
                    name: dataset, train: train.subset(trainRows), trainEmbeddings: trainEmbeddings.selecting(trainRows),
                    test: test.subset(testRows), testEmbeddings: testEmbeddings.selecting(testRows),
                    embedder: spec, prices: modelPrices)
                report.perDataset.append(DatasetComparison(dataset: dataset, testCount: testRows.count, pooled: pooled, own: own))
            }
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
