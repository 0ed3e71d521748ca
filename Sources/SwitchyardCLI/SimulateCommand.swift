import ArgumentParser
import Foundation
import Learner
import RouterCore

/// `switchyard simulate`: replays a labelled set as traffic with feedback (LearningSimulation)
/// and prints, per policy, the utility over the stream and its last third, quality, cost and the
/// regret against the oracle; with `--drift A,B` also how long the learners took to recover.
struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Replay labelled data as a stream with feedback: the offline router against learners that learn from it.")

    @OptionGroup var data: DataOptions
    @OptionGroup var embedding: EmbedderOptions

    @Option(help: "Avengers-Pro's alpha of the utility every policy maximizes.")
    var alpha = 0.9

    @Option(help: "Seeds of the shuffles (comma-separated).")
    var seeds = "42,7,99"

    @Option(help: "Share of each shuffle that is labelled data (the offline router's and the warm start's).")
    var labelled = 0.3

    @Option(help: "Passes over the stream, each reshuffled.")
    var passes = 1

    @Option(help: "Two models that swap scores half-way through the stream (A,B; their prices stay).")
    var drift: String?

    @Option(help: "A model left out of the labelled data that joins the learners at the prior.")
    var newModel: String?

    @OptionGroup(title: "The learners") var learning: LearnerOptions

    @Option(help: "The most of a learner's decisions that may explore (follow a Thompson draw away from the best posterior mean); 1: pure Thompson sampling.")
    var exploration = 0.1

    func run() throws {
        let prices = try data.priceTable()
        let pooled = try data.load(data.dataFiles, prices: prices)
        let training = try embedding.load().trainingData(pooled.set)
        let models = pooled.set.models
        func column(_ name: String) throws -> Int {
            guard let j = models.firstIndex(of: name) else { throw ValidationError("\(name) is not one of \(models.joined(separator: ", "))") }
            return j
        }
        let scenario: LearningSimulation.Scenario
        if let drift {
            let pair = drift.split(separator: ",").map(String.init)
            guard pair.count == 2 else { throw ValidationError("--drift takes two models, A,B") }
            scenario = .drift(try column(pair[0]), try column(pair[1]))
        } else if let newModel {
            scenario = .newModel(try column(newModel))
        } else {
            scenario = .stationary
        }
        var simulation = LearningSimulation(data: training, alpha: alpha, labelledShare: labelled, passes: passes, learner: learning.settings)
        simulation.explorationShare = exploration
        var results: [LearningSimulation.Policy: [LearningSimulation.Run]] = [:]
        for seed in seeds.split(separator: ",").compactMap({ UInt64($0) }) {
            stderr("seed \(seed)")
            for (policy, run) in simulation.run(scenario, seed: seed) { results[policy, default: []].append(run) }
        }
        print("\(models.count) models, alpha \(alpha), \(scenario), seeds \(seeds); mean [min, max] over the seeds")
        print("| policy | utility | last third | quality | cost $/prompt | regret vs oracle |")
        print("|---|---|---|---|---|---|")
        let oracle = results[.oracle] ?? []
        for policy in LearningSimulation.Policy.allCases {
            guard let runs = results[policy] else { continue }
            func spread(_ values: [Double], _ format: String = "%.3f") -> String {
                let mean = values.reduce(0, +) / Double(values.count)
                return String(format: format, mean) + " [" + String(format: format, values.min()!) + ", " + String(format: format, values.max()!) + "]"
            }
            let regret = zip(runs, oracle).map { run, best in zip(best.utilities, run.utilities).reduce(0) { $0 + $1.0 - $1.1 } }
            print("| \(policy.rawValue) | \(spread(runs.map(\.meanUtility))) | \(spread(runs.map(\.lastThirdUtility))) | "
                + "\(spread(runs.map { $0.scores.reduce(0, +) / Double($0.scores.count) })) | "
                + "\(spread(runs.map { $0.costs.reduce(0, +) / Double($0.costs.count) }, "%.5f")) | \(spread(regret, "%.0f")) |")
        }
    }
}
