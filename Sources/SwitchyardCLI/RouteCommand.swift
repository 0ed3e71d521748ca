import ArgumentParser
import EmbeddingOptions
import Foundation
import RouterCore
import RouterFile
import RouterService
import ServiceKit

/// `switchyard route`: routes one prompt with a router file, in process.
struct RouteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "route", abstract: "Route a prompt with a router file and print every model's standing.")

    @Option(help: "The router file (default: router.bin here, else the shipped routers/minilm.bin).")
    var router: String?

    @Option(help: "The router of the file to use (default: the file's default).")
    var name: String?

    @OptionGroup var objective: ObjectiveOptions

    @OptionGroup var minilm: MiniLMOptions

    @Argument(help: "The prompt.")
    var prompt: String

    func run() throws {
        let file = router ?? (FileManager.default.fileExists(atPath: "router.bin") ? "router.bin" : BundledFile.find("routers/minilm.bin"))
        guard let file else { throw ValidationError("no router.bin here and no shipped routers/minilm.bin: give --router FILE (switchyard train writes one)") }
        let bundle = try RouterFile.load(file)
        let embedder = try OfflineEmbedder.matching(bundle.embedder, minilm: minilm)
        let entry = try bundle.entry(name)
        let query = RoutingQuery(embedding: embedder.embedAll([prompt]).row(0), length: prompt.utf8.count)
        let estimate = try entry.router.estimate(query)
        let decision = try Decider(entry.router).decide(
            estimate, objective: Objective(objective.tradeoff, defaultAlpha: 0.5), calibration: entry.calibration)
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
