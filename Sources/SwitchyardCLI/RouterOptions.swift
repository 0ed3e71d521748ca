import ArgumentParser
import RouterCore

/// Which routers to train, with their knobs, shared by train and eval.
struct RouterOptions: ParsableArguments {
    @Option(name: .customLong("knob"), help: ArgumentHelp(
        "A router knob, family.name=value (e.g. knn.neighbors=50, cluster.k=32); repeatable.",
        discussion: "cluster: k, top_k, beta, smoothing, per_cluster, pool; knn: neighbors, temperature; predictor/classifier: hidden, decay; mf: dim, epochs; sw-ranking: gamma."))
    var knobs: [String] = []

    @Option(help: "Random seed for training (and the split, in eval).")
    var seed: UInt64 = 42

    /// The specs of `kinds` with the knobs given for each.
    func specs(_ kinds: [RouterKind]) throws -> [RouterSpec] {
        var byKind: [RouterKind: [String: Double]] = [:]
        for knob in knobs {
            let parts = knob.split(separator: "=", maxSplits: 1).map(String.init)
            let path = parts.first?.split(separator: ".", maxSplits: 1).map(String.init) ?? []
            guard parts.count == 2, path.count == 2, let kind = RouterKind(rawValue: path[0]), let value = Double(parts[1]) else {
                throw ValidationError("--knob \(knob): expected family.name=number, e.g. knn.neighbors=50")
            }
            byKind[kind, default: [:]][path[1]] = value
        }
        for kind in byKind.keys where !kinds.contains(kind) {
            throw ValidationError("--knob names \(kind.rawValue), which is not among the routers")
        }
        let specs = kinds.map { RouterSpec($0, byKind[$0] ?? [:]) }
        do {
            for spec in specs { try spec.validate() }
        } catch {
            throw ValidationError("--knob: \(error)")
        }
        return specs
    }

    /// Parses "cluster,knn,..." into router kinds.
    static func kinds(_ list: String) throws -> [RouterKind] {
        try list.split(separator: ",").map { name in
            guard let kind = RouterKind(rawValue: String(name)) else {
                throw ValidationError(
                    "unknown router \"\(name)\"; known: \(RouterKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return kind
        }
    }
}
