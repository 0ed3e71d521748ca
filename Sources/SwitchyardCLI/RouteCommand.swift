import ArgumentParser
import EmbeddingOptions
import Datasets
import Foundation
import RouterCore
import RouterFile
import RouterService
import ServiceKit

/// `switchyard route`: routes one prompt with a router file, in process (or, with `--prompts`,
/// every prompt of a dataset file, one JSON line per prompt: what benches compare against).
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
    var prompt: String?

    @Option(help: "Route every prompt of this dataset file instead, printing {\"id\", \"model\"} per line.")
    var prompts: String?

    func validate() throws {
        if (prompt == nil) == (prompts == nil) { throw ValidationError("give a prompt or --prompts FILE") }
    }

    func run() throws {
        let file = router ?? (FileManager.default.fileExists(atPath: "router.bin") ? "router.bin" : BundledFile.find("routers/minilm.bin"))
        guard let file else { throw ValidationError("no router.bin here and no shipped routers/minilm.bin: give --router FILE (switchyard train writes one)") }
        let bundle = try RouterFile.load(file)
        let embedder = try OfflineEmbedder.matching(bundle.embedder, minilm: minilm)
        let entry = try bundle.entry(name)
        if let prompts { return try routeAll(prompts, bundle: bundle, entry: entry, embedder: embedder) }
        let prompt = prompt!
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

    /// Routes every prompt of `file`, printing one JSON line each.
    private func routeAll(_ file: String, bundle: RouterBundle, entry: RouterBundle.Entry, embedder: OfflineEmbedder) throws {
        let lines = try DatasetFile.lines(file)
        let vectors = embedder.embedAll(lines.map(\.prompt))
        let decider = Decider(entry.router)
        let objective = Objective(objective.tradeoff, defaultAlpha: 0.5)
        var out = ""
        for (i, line) in lines.enumerated() {
            let estimate = try entry.router.estimate(RoutingQuery(embedding: vectors.row(i), length: line.prompt.utf8.count))
            let decision = try decider.decide(estimate, objective: objective, calibration: entry.calibration)
            let object = ["id": line.id, "model": bundle.models[decision.model]]
            out += String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self) + "\n"
        }
        FileHandle.standardOutput.write(Data(out.utf8))
    }
}
