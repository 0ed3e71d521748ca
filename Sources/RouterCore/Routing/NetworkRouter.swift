/// The two routers that put a trained network on the prompt's embedding (and the log of its
/// length); a cost model predicts each model's dollars.
///
/// - `predictor` (Routoo's predict-then-decide): the network predicts each model's score
///   (sigmoid outputs, cross-entropy on the recorded scores, soft ones included); the strong-win
///   score is the predicted gain of the strong model over the weak one, and any objective can
///   decide on the predictions.
/// - `classifier` (RouteLLM's BERT router in spirit: a head on the sentence embedding rather than
///   a fine-tuned encoder): the network predicts the win label. With two models, three classes as
///   in RouteLLM (strong wins, tie, weak wins; a score margin gives a soft label) and the score is
///   P(strong wins); with more, which model scores best (ties shared), a model's predicted quality
///   being its chance to be best.
///
/// Training fits every candidate network and keeps the one with the lowest validation loss, so
/// logistic regression and a small MLP compete on each data set.
public struct NetworkRouter: Router {
    public let kind: RouterKind
    public let models: [String]
    public let pair: ModelPair
    public let net: NeuralNet
    public let costs: CostModel

    public init(_ kind: RouterKind, _ data: TrainingData, trainers: [NeuralNetTrainer]) {
        precondition(kind == .predictor || kind == .classifier, "\(kind) is not a network router")
        let pair = ModelPair(data.set)
        let (targets, output) = kind == .predictor
            ? (Matrix(data.set.scores.map { $0.map(Float.init) }, columns: data.set.models.count), NeuralNet.Output.sigmoid)
            : (Self.labels(data.set, pair: pair), .softmax)
        let net = NeuralNetTrainer.best(of: trainers, x: data.features, y: targets, output: output).net
        self.init(kind: kind, models: data.set.models, pair: pair, net: net, costs: CostModel(data.set, lengths: data.lengths))
    }

    init(kind: RouterKind, models: [String], pair: ModelPair, net: NeuralNet, costs: CostModel) {
        self.kind = kind
        self.models = models
        self.pair = pair
        self.net = net
        self.costs = costs
    }

    /// The classifier's label distribution for every prompt.
    static func labels(_ set: CompleteSet, pair: ModelPair) -> Matrix {
        if set.models.count == 2 {
            return Matrix(set.scores.map { row -> [Float] in
                let margin = Float(row[pair.strong] - row[pair.weak])
                return [max(0, margin), 1 - abs(margin), max(0, -margin)]
            }, columns: 3)
        }
        return Matrix(set.scores.map { row -> [Float] in
            let top = row.max()!
            let best = row.map { $0 >= top - 1e-12 ? Float(1) : 0 }
            let count = best.reduce(0, +)
            return best.map { $0 / count }
        }, columns: set.models.count)
    }

    /// Predicted quality per model, and the strong-win score, from the network's outputs.
    private func interpret(_ p: [Double]) -> (quality: [Double], score: Double) {
        guard kind == .classifier, models.count == 2 else { return (p, pair.gain(p)) }
        var quality = [0.0, 0.0]
        quality[pair.strong] = p[0] + p[1] / 2
        quality[pair.weak] = p[2] + p[1] / 2
        return (quality, p[0])
    }

    public func estimate(_ query: RoutingQuery) throws -> RouterEstimate {
        try estimateAll(Matrix(vector: query.embedding), lengths: [query.length])[0]
    }

    public func estimateAll(_ embeddings: Matrix, lengths: [Int]) throws -> [RouterEstimate] {
        guard embeddings.columns + 1 == net.inputs else {
            throw RoutingError.invalid("embedding has \(embeddings.columns) dimensions, the router expects \(net.inputs - 1)")
        }
        let predicted = net.predict(TrainingData.features(embeddings, lengths: lengths))
        return (0..<embeddings.rows).map { i in
            let (quality, score) = interpret(predicted.row(i).map(Double.init))
            return RouterEstimate(estimates: costs.estimates(quality: quality, length: lengths[i]), strongWinScore: score)
        }
    }

    public func stored() -> StoredRouter {
        StoredRouter(
            name: kind.rawValue, kind: kind, models: models, tensors: net.tensors.merging(costs.tensors) { $1 },
            numbers: pair.numbers, texts: ["output": net.output.rawValue])
    }

    public init(stored: StoredRouter) throws {
        self.init(kind: stored.kind, models: stored.models, pair: try ModelPair(stored.numbers), net: try NeuralNet(stored),
                  costs: try CostModel(stored))
    }
}

extension NeuralNet {
    /// The tensors a stored router keeps a network in.
    var tensors: [String: Matrix] {
        ["input_mean": Matrix(vector: inputMean), "input_scale": Matrix(vector: inputScale), "hidden_weights": hiddenWeights,
         "hidden_bias": Matrix(vector: hiddenBias), "output_weights": outputWeights, "output_bias": Matrix(vector: outputBias)]
    }

    /// The network a stored router keeps.
    init(_ stored: StoredRouter) throws {
        guard let output = Output(rawValue: stored.texts["output"] ?? "") else {
            throw RoutingError.badModel(["\(stored.name): unknown network output \(stored.texts["output"] ?? "(none)")"])
        }
        try self.init(
            output: output, inputMean: try stored.vector("input_mean"), inputScale: try stored.vector("input_scale"),
            hiddenWeights: try stored.tensor("hidden_weights"), hiddenBias: try stored.vector("hidden_bias"),
            outputWeights: try stored.tensor("output_weights"), outputBias: try stored.vector("output_bias"))
    }
}
