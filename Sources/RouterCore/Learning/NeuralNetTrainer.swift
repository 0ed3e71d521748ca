import Foundation

/// Trains a `NeuralNet` with Adam on mini-batches, holding out part of the training rows to stop
/// early and to report the validation loss it stopped at (what model selection compares).
public struct NeuralNetTrainer: Sendable, Equatable {
    /// Hidden units; 0 trains a linear (logistic, softmax or least-squares) model.
    public var hidden: Int
    /// L2 penalty on the weights (not the biases), added to the mean loss.
    public var weightDecay: Float
    public var learningRate: Float
    public var batchSize: Int
    public var maxEpochs: Int
    /// Epochs without a better validation loss before stopping.
    public var patience: Int
    /// Share of the training rows held out for early stopping.
    public var validationFraction: Double
    public var seed: UInt64
    /// Side features among the input columns (the log prompt length): each is standardized on
    /// its own (mean 0, variance 1) and its weights are left out of the L2 penalty, so strong
    /// regularization of the embedding cannot drown a one-column signal. Every other column is
    /// centered and shares one scale from their pooled variance, so the many near-empty
    /// dimensions of a hashed embedding are not blown up to unit variance.
    public var sideColumns: Set<Int> = []

    public init(
        hidden: Int = 0, weightDecay: Float = 1e-4, learningRate: Float = 3e-3, batchSize: Int = 128, maxEpochs: Int = 200,
        patience: Int = 8, validationFraction: Double = 0.15, seed: UInt64 = 42
    ) {
        self.hidden = hidden
        self.weightDecay = weightDecay
        self.learningRate = learningRate
        self.batchSize = batchSize
        self.maxEpochs = maxEpochs
        self.patience = patience
        self.validationFraction = validationFraction
        self.seed = seed
    }

    /// The network trained on rows `x` with targets `y` (rows x outputs; for `.softmax`, class
    /// distributions), and its mean loss on the held-out rows.
    ///
    /// `weights` gives each row's weight in the loss (all 1 when nil).
    public func train(x: Matrix, y: Matrix, output: NeuralNet.Output, weights: [Float]? = nil) -> (net: NeuralNet, validationLoss: Double) {
        precondition(x.rows == y.rows && x.rows > 0, "\(x.rows) inputs for \(y.rows) targets")
        var random = SeededGenerator(seed: seed)
        var net = NeuralNet(inputs: x.columns, hidden: hidden, outputs: y.columns, output: output, random: &random)
        var order = Array(0..<x.rows)
        order.shuffle(using: &random)
        let held = x.rows >= 20 ? Int((Double(x.rows) * validationFraction).rounded()) : 0
        let validation = Array(order[..<held]), training = Array(order[held...])
        (net.inputMean, net.inputScale) = Self.scaling(x, rows: training, ownScale: sideColumns)
        net.outputBias = Self.priorBias(y, rows: training, output: output)
        let xs = net.standardized(x)
        let weights = weights ?? Array(repeating: 1, count: x.rows)

        var adam = Adam(net, learningRate: learningRate)
        var stopping = EarlyStopping(initial: net, patience: patience)
        var rows = training
        for _ in 0..<maxEpochs {
            rows.shuffle(using: &random)
            var start = 0
            while start < rows.count {
                let batch = Array(rows[start..<min(start + batchSize, rows.count)])
                let gradient = Self.gradient(net, xs.selecting(batch), y.selecting(batch), batch.map { weights[$0] }, weightDecay, unpenalized: sideColumns)
                adam.step(&net, gradient)
                start += batchSize
            }
            let loss = validation.isEmpty
                ? Self.loss(net, xs.selecting(training), y.selecting(training), training.map { weights[$0] })
                : Self.loss(net, xs.selecting(validation), y.selecting(validation), validation.map { weights[$0] })
            if stopping.shouldStop(after: net, loss: loss) { break }
        }
        return (stopping.best, stopping.bestLoss)
    }

    /// Per feature: the training rows' mean, and 1 / standard deviation: each column's own for
    /// `ownScale`, the pooled one of the other columns for the rest (1 when constant).
    static func scaling(_ x: Matrix, rows: [Int], ownScale: Set<Int>) -> (mean: [Float], scale: [Float]) {
        let d = x.columns
        var mean = [Double](repeating: 0, count: d), square = mean
        for i in rows {
            for j in 0..<d {
                let v = Double(x.storage[i * d + j])
                mean[j] += v
                square[j] += v * v
            }
        }
        let n = Double(max(rows.count, 1))
        let means = mean.map { $0 / n }
        let variances = (0..<d).map { square[$0] / n - means[$0] * means[$0] }
        let shared = (0..<d).filter { !ownScale.contains($0) }
        let pooled = shared.isEmpty ? 1 : shared.reduce(0.0) { $0 + variances[$1] } / Double(shared.count)
        let scales = (0..<d).map { j -> Float in
            let variance = ownScale.contains(j) ? variances[j] : pooled
            return variance > 1e-12 ? Float(1 / variance.squareRoot()) : 1
        }
        return (means.map(Float.init), scales)
    }

    /// Output biases that predict the training rows' mean target before any weight is learned
    /// (logit for sigmoid, log for softmax), so a few hundred steps need not walk 56 outputs
    /// from 0.5 to a 3% win rate before learning anything about the prompt.
    static func priorBias(_ y: Matrix, rows: [Int], output: NeuralNet.Output) -> [Float] {
        let m = y.columns
        var mean = [Double](repeating: 0, count: m)
        for i in rows { for j in 0..<m { mean[j] += Double(y.storage[i * m + j]) } }
        return mean.map { sum -> Float in
            let p = sum / Double(max(rows.count, 1))
            switch output {
            case .linear: return Float(p)
            case .sigmoid:
                let q = min(max(p, 1e-3), 1 - 1e-3)
                return Float(log(q / (1 - q)))
            case .softmax: return Float(log(max(p, 1e-3)))
            }
        }
    }

    /// The mean weighted loss of `net` on standardized rows `x`.
    static func loss(_ net: NeuralNet, _ x: Matrix, _ y: Matrix, _ weights: [Float]) -> Double {
        var predictions = net.forward(x).output
        net.activate(&predictions)
        var total = 0.0, weightSum = 0.0
        let m = net.outputs
        for i in 0..<x.rows {
            var rowLoss = 0.0
            for j in 0..<m {
                let p = Double(predictions.storage[i * m + j]), t = Double(y.storage[i * m + j])
                switch net.output {
                case .sigmoid:
                    let q = min(max(p, 1e-7), 1 - 1e-7)
                    rowLoss -= t * log(q) + (1 - t) * log(1 - q)
                case .softmax:
                    rowLoss -= t * log(max(p, 1e-12))
                case .linear:
                    rowLoss += (p - t) * (p - t)
                }
            }
            total += Double(weights[i]) * rowLoss
            weightSum += Double(weights[i])
        }
        return total / max(weightSum, 1e-12)
    }

    /// Gradients of the mean weighted loss plus the L2 penalty, shaped like the network; the
    /// first layer's weights from the `unpenalized` input columns carry no penalty.
    static func gradient(
        _ net: NeuralNet, _ x: Matrix, _ y: Matrix, _ weights: [Float], _ decay: Float, unpenalized: Set<Int> = []
    ) -> NeuralNet {
        let (hiddenLayer, logits) = net.forward(x)
        var delta = logits
        net.activate(&delta)
        let m = net.outputs
        let weightSum = max(weights.reduce(0, +), 1e-12)
        // For sigmoid + BCE, softmax + CE and linear + squared error the output delta is
        // (prediction - target) (x 2 for squared error), weighted per row.
        for i in 0..<x.rows {
            let w = weights[i] / weightSum * (net.output == .linear ? 2 : 1)
            for j in 0..<m { delta.storage[i * m + j] = (delta.storage[i * m + j] - y.storage[i * m + j]) * w }
        }
        var gradient = net
        gradient.inputMean = []
        gradient.inputScale = []
        gradient.outputWeights = hiddenLayer.transposedTimes(delta)
        gradient.outputBias = Self.columnSums(delta)
        Self.addDecay(&gradient.outputWeights, net.outputWeights, decay, exceptRows: net.hidden > 0 ? [] : unpenalized)
        if net.hidden > 0 {
            var back = delta.times(net.outputWeights, transposingOther: true)
            for index in back.storage.indices where hiddenLayer.storage[index] <= 0 { back.storage[index] = 0 }
            gradient.hiddenWeights = x.transposedTimes(back)
            gradient.hiddenBias = Self.columnSums(back)
            Self.addDecay(&gradient.hiddenWeights, net.hiddenWeights, decay, exceptRows: unpenalized)
        }
        return gradient
    }

    private static func columnSums(_ matrix: Matrix) -> [Float] {
        var sums = [Float](repeating: 0, count: matrix.columns)
        for i in 0..<matrix.rows { for j in 0..<matrix.columns { sums[j] += matrix.storage[i * matrix.columns + j] } }
        return sums
    }

    /// Adds the L2 penalty's gradient to every row of a weight matrix (inputs x outputs) but `exceptRows`.
    private static func addDecay(_ gradient: inout Matrix, _ weights: Matrix, _ decay: Float, exceptRows: Set<Int>) {
        guard decay > 0 else { return }
        let columns = weights.columns
        for row in 0..<weights.rows where !exceptRows.contains(row) {
            for i in row * columns..<(row + 1) * columns { gradient.storage[i] += 2 * decay * weights.storage[i] }
        }
    }
}

/// Adam's moment estimates for groups of parameters (torch's Adam, with weight decay added to
/// the gradient where the caller asks for it).
struct Adam {
    private var moments: [[Float]]
    private var squares: [[Float]]
    private var step = 0
    let learningRate: Float
    let beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8

    init(sizes: [Int], learningRate: Float) {
        moments = sizes.map { [Float](repeating: 0, count: $0) }
        squares = moments
        self.learningRate = learningRate
    }

    init(_ net: NeuralNet, learningRate: Float) {
        self.init(sizes: Self.parameters(net).map(\.count), learningRate: learningRate)
    }

    /// A network's trainable parameters, in a fixed order.
    static func parameters(_ net: NeuralNet) -> [[Float]] {
        [net.hiddenWeights.storage, net.hiddenBias, net.outputWeights.storage, net.outputBias]
    }

    /// One step on every group of `parameters` along `gradients`.
    mutating func step(_ parameters: inout [[Float]], _ gradients: [[Float]]) {
        step += 1
        let correction1 = 1 - pow(beta1, Float(step)), correction2 = 1 - pow(beta2, Float(step))
        for p in parameters.indices where !parameters[p].isEmpty {
            for i in parameters[p].indices {
                let g = gradients[p][i]
                moments[p][i] = beta1 * moments[p][i] + (1 - beta1) * g
                squares[p][i] = beta2 * squares[p][i] + (1 - beta2) * g * g
                parameters[p][i] -= learningRate * (moments[p][i] / correction1)
                    / ((squares[p][i] / correction2).squareRoot() + epsilon)
            }
        }
    }

    mutating func step(_ net: inout NeuralNet, _ gradient: NeuralNet) {
        var parameters = Self.parameters(net)
        step(&parameters, Self.parameters(gradient))
        net.hiddenWeights.storage = parameters[0]
        net.hiddenBias = parameters[1]
        net.outputWeights.storage = parameters[2]
        net.outputBias = parameters[3]
    }
}

extension NeuralNetTrainer {
    /// The network with the lowest validation loss among `candidates` (each trained on the same
    /// rows and held-out split), with that loss and the candidate that produced it.
    public static func best(
        of candidates: [NeuralNetTrainer], x: Matrix, y: Matrix, output: NeuralNet.Output, weights: [Float]? = nil
    ) -> (net: NeuralNet, validationLoss: Double, trainer: NeuralNetTrainer) {
        precondition(!candidates.isEmpty, "no candidates")
        return candidates.map { trainer in
            let (net, loss) = trainer.train(x: x, y: y, output: output, weights: weights)
            return (net, loss, trainer)
        }.min { $0.validationLoss < $1.validationLoss }!
    }
}
