import ArgumentParser
import Foundation
import RouterCore
import RouterFile

/// `switchyard route`: routes one prompt with a router file, in process.
struct RouteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "route", abstract: "Route a prompt with a router file and print every model's score.")

    @Option(help: "The router file.")
    var router = "router.bin"

    @Option(help: "Trade-off: 0 = cheapest, 1 = best quality.")
    var alpha = 0.5

    @Option(help: "Instead of alpha: the best predicted quality within this many dollars.")
    var maxCost: Double?

    @Argument(help: "The prompt.")
    var prompt: String

    func run() throws {
        let model = try RouterFile.load(router)
        guard let settings = model.embedder.hash else {
            throw CommandFailure("the router uses the \(model.embedder.kind) embedder; route through the router service")
        }
        let decision = try ClusterRouter(model: model).route(
            HashEmbedder(settings: settings).embed(prompt),
            objective: maxCost.map { .budget(maxCostUSD: $0) } ?? .tradeoff(alpha: alpha))
        print("model: \(model.models[decision.model])  (router \(model.version))")
        let order = model.models.indices.sorted { (decision.scores[$0] ?? -1) > (decision.scores[$1] ?? -1) }
        print("  score   quality   cost/call  model")
        for m in order {
            print(String(format: "  %.3f   %6.3f   $%.6f  %@", decision.scores[m] ?? 0, decision.estimates.quality[m],
                         decision.estimates.cost[m], model.models[m]))
        }
        let clusters = decision.clusters.map { String(format: "#%d (distance %.3f, weight %.2f)", $0.cluster, $0.distance, $0.weight) }
        print("clusters: " + clusters.joined(separator: ", "))
    }
}
