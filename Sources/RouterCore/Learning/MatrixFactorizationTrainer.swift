import Foundation

/// Trains a `MatrixFactorizationRouter` as RouteLLM's `train_matrix_factorization.py` does: the
/// Bradley–Terry loss (binary cross-entropy on sigmoid(s(winner) - s(loser))) over decisive
/// battles, Gaussian noise on the prompt embeddings while training, Adam with weight decay, the
/// epoch with the best held-out loss kept.
public struct MatrixFactorizationTrainer: Sendable, Equatable {
    /// The latent dimension (RouteLLM: 128).
    public var dim: Int
    public var learningRate: Float
    public var weightDecay: Float
    /// Standard deviation of the noise added to prompt embeddings while training (RouteLLM: 0.1).
    public var noise: Float
    /// Battles per optimizer step (whole prompts are kept together).
    public var battlesPerStep: Int
    public var maxEpochs: Int
    public var patience: Int
    /// Share of the training prompts whose battles are held out.
    public var validationFraction: Double
    public var seed: UInt64

    public init(
        dim: Int = 128, learningRate: Float = 3e-3, weightDecay: Float = 1e-5, noise: Float = 0.1, battlesPerStep: Int = 64,
        maxEpochs: Int = 100, patience: Int = 8, validationFraction: Double = 0.05, seed: UInt64 = 42
    ) {
        self.dim = dim
        self.learningRate = learningRate
        self.weightDecay = weightDecay
        self.noise = noise
        self.battlesPerStep = battlesPerStep
        self.maxEpochs = maxEpochs
        self.patience = patience
        self.validationFraction = validationFraction
        self.seed = seed
    }

    /// Parameters in Adam's order: model embeddings, projection, classifier.
    private struct Parameters {
        var groups: [[Float]]
        let models: Int, inputs: Int, dim: Int
        var modelEmbeddings: Matrix { Matrix(rows: models, columns: dim, storage: groups[0]) }
        var projection: Matrix { Matrix(rows: inputs, columns: dim, storage: groups[1]) }
        var classifier: [Float] { groups[2] }
    }

    public func train(_ data: TrainingData) -> MatrixFactorizationRouter {
        let set = data.set
        let m = set.models.count, d = data.embeddings.columns, k = dim
        var random = SeededGenerator(seed: seed)
        let bound = Float(1 / Double(d).squareRoot()), classifierBound = Float(1 / Double(k).squareRoot())
        var parameters = Parameters(
            groups: [
                (0..<m * k).map { _ in Float(random.normal()) },
                (0..<d * k).map { _ in Float(random.nextUnit() * 2 - 1) * bound },
                (0..<k).map { _ in Float(random.nextUnit() * 2 - 1) * classifierBound },
            ],
            models: m, inputs: d, dim: k)
        var byPrompt = [[(winner: Int, loser: Int)]](repeating: [], count: set.count)
        for battle in Battles.decisive(set.scores) { byPrompt[battle.prompt].append((battle.winner, battle.loser)) }
        var prompts = set.records.indices.filter { !byPrompt[$0].isEmpty }
        prompts.shuffle(using: &random)
        let held = prompts.count >= 20 ? Int((Double(prompts.count) * validationFraction).rounded()) : 0
        let validation = Array(prompts[..<held])
        var training = Array(prompts[held...])

        var adam = Adam(sizes: parameters.groups.map(\.count), learningRate: learningRate)
        var stopping = EarlyStopping(initial: parameters, patience: patience)
        for _ in 0..<maxEpochs where !training.isEmpty {
            training.shuffle(using: &random)
            var start = 0
            while start < training.count {
                var end = start, battles = 0
                while end < training.count && (battles < battlesPerStep || end == start) {
                    battles += byPrompt[training[end]].count
                    end += 1
                }
                let batch = Array(training[start..<end])
                var gradients = lossAndGradients(parameters, data, batch, byPrompt, noise: noise, random: &random).gradients
                for g in gradients.indices {
                    for i in gradients[g].indices { gradients[g][i] += weightDecay * parameters.groups[g][i] }
                }
                adam.step(&parameters.groups, gradients)
                start = end
            }
            let check = validation.isEmpty ? training : validation
            let loss = lossAndGradients(parameters, data, check, byPrompt, noise: 0, random: &random).loss
            if stopping.shouldStop(after: parameters, loss: loss) { break }
        }
        let best = stopping.best
        return MatrixFactorizationRouter(
            models: set.models, pair: ModelPair(set), modelEmbeddings: best.modelEmbeddings, projection: best.projection,
            classifier: best.classifier, costs: CostModel(set, lengths: data.lengths))
    }

    /// The mean Bradley–Terry loss over the battles of `prompts`, and its gradients.
    private func lossAndGradients(
        _ parameters: Parameters, _ data: TrainingData, _ prompts: [Int], _ byPrompt: [[(winner: Int, loser: Int)]],
        noise: Float, random: inout SeededGenerator
    ) -> (loss: Double, gradients: [[Float]]) {
        let k = parameters.dim, m = parameters.models
        var inputs = data.embeddings.selecting(prompts)
        if noise > 0 { for i in inputs.storage.indices { inputs.storage[i] += Float(random.normal()) * noise } }
        let projected = inputs.times(parameters.projection)  // prompts x k
        let embeddings = parameters.modelEmbeddings
        let unit = MatrixFactorizationRouter.normalizedRows(embeddings)
        let c = parameters.classifier
        let count = Float(max(prompts.reduce(0) { $0 + byPrompt[$1].count }, 1))
        var dProjected = Matrix(rows: prompts.count, columns: k)
        var dUnit = [Float](repeating: 0, count: m * k)
        var dClassifier = [Float](repeating: 0, count: k)
        var loss = 0.0
        for (row, prompt) in prompts.enumerated() {
            for (winner, loser) in byPrompt[prompt] {
                var logit: Float = 0
                for j in 0..<k {
                    logit += c[j] * (unit.storage[winner * k + j] - unit.storage[loser * k + j]) * projected.storage[row * k + j]
                }
                loss += Double(log1p(exp(-logit)))
                let g = -1 / (1 + exp(logit)) / count  // d loss / d logit
                for j in 0..<k {
                    let z = projected.storage[row * k + j]
                    let difference = unit.storage[winner * k + j] - unit.storage[loser * k + j]
                    dClassifier[j] += g * difference * z
                    dProjected.storage[row * k + j] += g * c[j] * difference
                    dUnit[winner * k + j] += g * c[j] * z
                    dUnit[loser * k + j] -= g * c[j] * z
                }
            }
        }
        // Back through the normalization of each model embedding.
        var dEmbeddings = [Float](repeating: 0, count: m * k)
        for r in 0..<m {
            let norm = max(embeddings.withRow(r) { Vectors.dot($0, $0) }.squareRoot(), 1e-12)
            var along: Float = 0
            for j in 0..<k { along += unit.storage[r * k + j] * dUnit[r * k + j] }
            for j in 0..<k { dEmbeddings[r * k + j] = (dUnit[r * k + j] - unit.storage[r * k + j] * along) / norm }
        }
        let dProjection = inputs.transposedTimes(dProjected)
        return (loss / Double(count), [dEmbeddings, dProjection.storage, dClassifier])
    }
}
