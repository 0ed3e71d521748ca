import ArgumentParser
import EmbeddingOptions
import Datasets
import RouterCore
import RouterFile

/// `switchyard calibrate`: where a router's strong-win scores fall on your traffic, stored with
/// the router so requests can ask for a share of strong calls.
struct CalibrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibrate", abstract: "Calibrate a router's strong-win threshold on a set of prompts.",
        discussion: """
            Scores every prompt of --data with the router, stores the scores' quantiles in the router file \
            (RouteLLM's calibration: the threshold sending a share s of calls to the strong model is the \
            (1 - s) quantile), and prints the threshold for --strong-share and the share it reaches on \
            the data. Requests then ask with strong_share.
            """)

    @Option(help: "The router file to calibrate (rewritten in place unless --out is given).")
    var router: String

    @Option(help: "The router of the file (default: the file's default).")
    var name: String?

    @Option(help: "Prompts to calibrate on (the dataset format; scores are not needed for calibration but the format requires them).")
    var data: [String] = []

    @Option(help: "The share of calls to send to the strong model, in (0, 1).")
    var strongShare = 0.5

    @Option(help: "Where to write the calibrated router file (default: --router).")
    var out: String?

    @OptionGroup var minilm: MiniLMOptions

    func validate() throws {
        if data.isEmpty { throw ValidationError("give at least one --data file") }
        guard strongShare > 0, strongShare < 1 else { throw ValidationError("--strong-share must be in (0, 1), got \(strongShare)") }
    }

    func run() throws {
        var bundle = try RouterFile.load(router)
        let embedder = try OfflineEmbedder.matching(bundle.embedder, minilm: minilm)
        let entry = try bundle.entry(name)
        let prompts = try data.flatMap { try DatasetFile.lines($0) }.map(\.prompt)
        let embeddings = embedder.embedAll(prompts)
        let scores = try entry.router.estimateAll(embeddings, lengths: prompts.map(\.utf8.count)).map(\.strongWinScore)
        let calibration = Calibration(scores: scores, source: "\(data.joined(separator: ", ")) (\(scores.count) prompts)")
        let threshold = try calibration.threshold(forStrongShare: strongShare)
        let reached = Double(scores.count { $0 >= threshold }) / Double(scores.count)
        let index = bundle.entries.firstIndex { $0.name == entry.name }!
        bundle.entries[index].calibration = calibration
        let path = out ?? router
        try RouterFile.save(bundle, to: path)
        print("router \(entry.name) of \(bundle.version) calibrated on \(scores.count) prompts; wrote \(path)")
        print(String(format: "strong share %.3f -> threshold %.6f (reaches %.1f%% strong on these prompts)", strongShare, threshold, reached * 100))
    }
}
