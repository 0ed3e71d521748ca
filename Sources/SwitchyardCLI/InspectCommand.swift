import ArgumentParser
import Foundation
import RouterCore
import RouterFile

/// `switchyard inspect FILE...`: what a router file holds (version, embedder, models, routers,
/// training data); with `--manifest DATA...`, one JSON object for routers/manifest.json: each
/// data file's fingerprint and each router file's version and embedder, so a test can tell a
/// shipped router trained on other data, or by an older format, from a current one.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect", abstract: "Print what router files hold; with --manifest, a JSON manifest of them and their training data.")

    @Argument(help: "Router files (from `switchyard train`).")
    var files: [String]

    @Option(parsing: .upToNextOption, help: "The data files the routers were trained on: print the JSON manifest instead.")
    var manifest: [String] = []

    func run() throws {
        let bundles = try files.map { file in (file, try RouterFile.load(file)) }
        guard !manifest.isEmpty else {
            for (file, bundle) in bundles { print(Self.describe(file, bundle)) }
            return
        }
        var routers: [String: Any] = [:]
        for (file, bundle) in bundles {
            routers[file] = [
                "version": bundle.version, "embedder": bundle.embedder.kind, "embedder_version": bundle.embedder.version ?? "",
                "dimension": bundle.embedder.dimension, "routers": bundle.entries.map(\.spec), "models": bundle.models,
            ]
        }
        var data: [String: String] = [:]
        for file in manifest { data[file] = try Self.fingerprint(file) }
        let object: [String: Any] = ["data": data, "routers": routers]
        print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]), as: UTF8.self))
    }

    static func describe(_ file: String, _ bundle: RouterBundle) -> String {
        var lines = [
            "\(file): router \(bundle.version)",
            "  embedder \(bundle.embedder.kind):\(bundle.embedder.dimension)" + (bundle.embedder.version.map { " \($0)" } ?? ""),
            "  models \(bundle.models.joined(separator: ", "))",
            "  routers \(bundle.entries.map(\.spec).joined(separator: ", ")) (default \(bundle.defaultRouter))",
            "  trained on \(bundle.trainedOn)",
        ]
        if let best = bundle.crossValidation.first {
            lines.append("  cross-validation: \(best.spec) best of \(bundle.crossValidation.count), \(best.metric) \(String(format: "%.3f", best.mean))")
        }
        return lines.joined(separator: "\n")
    }

    /// FNV-1a (64 bits) of the file's bytes, in hex: enough to tell one data file from another.
    static func fingerprint(_ file: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: file) else { throw ValidationError("\(file): cannot read the file") }
        return String(FNV1a.hash(data), radix: 16)
    }
}
