/// A router family with its knobs: what `switchyard train --router` and cross-validation train.
///
/// Knobs by family (absent ones take the default):
/// - cluster: `k` (0 = one cluster per 64 training prompts, 4 to 64), `top_k` (3), `beta` (9), `smoothing` (1),
///   `per_cluster` (0; 1 = Avengers-Pro's min-max inside each cluster instead of global scaling),
///   `pool` (0; 1 = quality as it is and cost over the models' mean costs: the learner's utility)
/// - knn: `neighbors` (20), `temperature` (0 = plain means)
/// - predictor, classifier: `hidden` (-1 = pick logistic or a 64-unit MLP by validation loss), `decay` (L2)
/// - mf: `dim` (128), `epochs` (100)
/// - sw-ranking: `gamma` (10)
/// - length, random: none
public struct RouterSpec: Sendable, Hashable, CustomStringConvertible {
    public var kind: RouterKind
    public var knobs: [String: Double]

    public init(_ kind: RouterKind, _ knobs: [String: Double] = [:]) {
        self.kind = kind
        self.knobs = knobs
    }

    /// The knobs each family reads.
    public static func knobNames(_ kind: RouterKind) -> [String] {
        switch kind {
        case .cluster: ["k", "top_k", "beta", "smoothing", "per_cluster", "pool"]
        case .knn: ["neighbors", "temperature"]
        case .predictor, .classifier: ["hidden", "decay"]
        case .mf: ["dim", "epochs"]
        case .swRanking: ["gamma"]
        case .length, .random: []
        }
    }

    /// Throws `RoutingError.invalid` naming a knob the family does not have.
    public func validate() throws {
        let known = Self.knobNames(kind)
        for name in knobs.keys.sorted() where !known.contains(name) {
            throw RoutingError.invalid(
                "\(kind.rawValue) has no knob \(name)" + (known.isEmpty ? "" : "; it has \(known.joined(separator: ", "))"))
        }
    }

    /// "predictor(decay=0.001, hidden=0)".
    public var description: String {
        knobs.isEmpty ? kind.rawValue
            : "\(kind.rawValue)(" + knobs.keys.sorted().map { "\($0)=\(Self.format(knobs[$0]!))" }.joined(separator: ", ") + ")"
    }

    private static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e9 ? String(Int(value)) : "\(value)"
    }

    private func knob(_ name: String, _ fallback: Double) -> Double { knobs[name] ?? fallback }

    /// The cluster router's trainer with this spec's knobs (k, top_k, beta, smoothing,
    /// per_cluster, pool).
    public func clusterTrainer(seed: UInt64) -> ClusterRouterTrainer {
        let k = Int(knob("k", 0))
        let normalization: Normalization = knob("pool", 0) != 0 ? .pool : knob("per_cluster", 0) != 0 ? .perCluster : .global
        return ClusterRouterTrainer(
            clusters: k > 0 ? k : nil, topK: Int(knob("top_k", 3)), beta: knob("beta", 9), smoothing: knob("smoothing", 1),
            seed: seed, normalization: normalization)
    }

    /// The router this spec describes, trained on `data`; `seed` fixes every random choice.
    public func train(_ data: TrainingData, seed: UInt64, progress: (Int, Int) -> Void = { _, _ in }) -> any Router {
        switch kind {
        case .cluster:
            return clusterTrainer(seed: seed).train(data, progress: progress)
        case .knn:
            return KNNRouter(data, neighbors: Int(knob("neighbors", 20)), temperature: knob("temperature", 0))
        case .predictor, .classifier:
            // The last feature is the log length; the embedding's dimensions share one scale.
            let candidates = networkCandidates(seed: seed).map { trainer in
                var trainer = trainer
                trainer.sideColumns = [data.embeddings.columns]
                return trainer
            }
            return NetworkRouter(kind, data, trainers: candidates)
        case .mf:
            return MatrixFactorizationTrainer(dim: Int(knob("dim", 128)), maxEpochs: Int(knob("epochs", 100)), seed: seed).train(data)
        case .swRanking:
            return SimilarityWeightedRouter(data, gamma: knob("gamma", 10))
        case .length, .random:
            return BaselineRouter(kind, data, seed: seed)
        }
    }

    /// The networks a predictor or classifier picks from by validation loss: logistic regression
    /// at four strengths of L2 (up to a penalty that leaves little but the unpenalized length
    /// and the per-model means) and a 64-unit MLP, unless the knobs fix one.
    func networkCandidates(seed: UInt64) -> [NeuralNetTrainer] {
        let hidden = Int(knob("hidden", -1))
        let decays: [Float] = knobs["decay"].map { [Float($0)] } ?? [1e-3, 1e-2, 1e-1, 1]
        if hidden >= 0 { return decays.map { NeuralNetTrainer(hidden: hidden, weightDecay: $0, seed: seed) } }
        return decays.map { NeuralNetTrainer(hidden: 0, weightDecay: $0, seed: seed) }
            + [NeuralNetTrainer(hidden: 64, weightDecay: 1e-3, learningRate: 1e-3, seed: seed)]
    }
}

extension StoredRouter {
    /// The router these numbers describe; throws `RoutingError.badModel` saying what is wrong.
    public func router() throws -> any Router {
        switch kind {
        case .cluster: try ClusterRouter(stored: self)
        case .knn: try KNNRouter(stored: self)
        case .predictor, .classifier: try NetworkRouter(stored: self)
        case .mf: try MatrixFactorizationRouter(stored: self)
        case .swRanking: try SimilarityWeightedRouter(stored: self)
        case .length, .random: try BaselineRouter(stored: self)
        }
    }
}
