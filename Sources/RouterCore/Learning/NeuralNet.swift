import Foundation

/// A feed-forward network with at most one hidden layer (ReLU): linear and logistic regression
/// when it has none, the small MLPs of the predictor and classifier routers when it has one.
/// Inputs are standardized with the training set's mean and spread, which the network keeps.
public struct NeuralNet: Sendable, Equatable {
    /// What the outputs are and which loss trains them.
    public enum Output: String, Sendable, Codable, CaseIterable {
        /// Independent probabilities in [0, 1] (binary cross-entropy; soft targets allowed).
        case sigmoid
        /// One distribution over the outputs (cross-entropy).
        case softmax
        /// Unbounded values (squared error).
        case linear
    }

    public let output: Output
    /// Per input feature: the mean subtracted and the factor multiplied before the first layer.
    public var inputMean: [Float]
    public var inputScale: [Float]
    /// inputs x hidden and hidden biases; empty when there is no hidden layer.
    public var hiddenWeights: Matrix
    public var hiddenBias: [Float]
    /// (hidden, or inputs) x outputs, and the output biases.
    public var outputWeights: Matrix
    public var outputBias: [Float]

    public var inputs: Int { inputMean.count }
    public var hidden: Int { hiddenBias.count }
    public var outputs: Int { outputBias.count }

    /// A network with weights drawn from `random` (He initialization) and no input scaling.
    init(inputs: Int, hidden: Int, outputs: Int, output: Output, random: inout SeededGenerator) {
        self.output = output
        inputMean = Array(repeating: 0, count: inputs)
        inputScale = Array(repeating: 1, count: inputs)
        func weights(_ rows: Int, _ columns: Int) -> Matrix {
            let scale = Float((2.0 / Double(max(rows, 1))).squareRoot())
            return Matrix(rows: rows, columns: columns, storage: (0..<rows * columns).map { _ in Float(random.normal()) * scale })
        }
        hiddenWeights = hidden > 0 ? weights(inputs, hidden) : Matrix(rows: 0, columns: 0)
        hiddenBias = Array(repeating: 0, count: hidden)
        outputWeights = weights(hidden > 0 ? hidden : inputs, outputs)
        outputBias = Array(repeating: 0, count: outputs)
    }

    /// Rebuilds a network from its parts (a router file).
    public init(
        output: Output, inputMean: [Float], inputScale: [Float], hiddenWeights: Matrix, hiddenBias: [Float],
        outputWeights: Matrix, outputBias: [Float]
    ) throws {
        let inputs = inputMean.count
        let hidden = hiddenBias.count
        guard inputScale.count == inputs, hiddenWeights.rows * hiddenWeights.columns == inputs * hidden,
              outputWeights.rows == (hidden > 0 ? hidden : inputs), outputWeights.columns == outputBias.count
        else { throw RoutingError.badModel(["network shapes do not fit together"]) }
        self.output = output
        self.inputMean = inputMean
        self.inputScale = inputScale
        self.hiddenWeights = hiddenWeights
        self.hiddenBias = hiddenBias
        self.outputWeights = outputWeights
        self.outputBias = outputBias
    }

    /// The outputs for every row of `x` (after the output activation).
    public func predict(_ x: Matrix) -> Matrix {
        var activations = forward(standardized(x)).output
        activate(&activations)
        return activations
    }

    /// The outputs for one input row.
    public func predict(_ x: [Float]) -> [Float] {
        predict(Matrix(rows: 1, columns: x.count, storage: x)).storage
    }

    /// `x` with the network's input scaling applied.
    func standardized(_ x: Matrix) -> Matrix {
        precondition(x.columns == inputs, "network takes \(inputs) inputs, got \(x.columns)")
        var x = x
        for i in 0..<x.rows {
            for j in 0..<inputs { x.storage[i * inputs + j] = (x.storage[i * inputs + j] - inputMean[j]) * inputScale[j] }
        }
        return x
    }

    /// Hidden activations (after ReLU; `x` itself with no hidden layer) and output logits.
    func forward(_ x: Matrix) -> (hidden: Matrix, output: Matrix) {
        var hiddenLayer = x
        if hidden > 0 {
            hiddenLayer = x.times(hiddenWeights)
            for i in 0..<hiddenLayer.rows {
                for j in 0..<hidden {
                    let value = hiddenLayer.storage[i * hidden + j] + hiddenBias[j]
                    hiddenLayer.storage[i * hidden + j] = max(0, value)
                }
            }
        }
        var logits = hiddenLayer.times(outputWeights)
        for i in 0..<logits.rows {
            for j in 0..<outputs { logits.storage[i * outputs + j] += outputBias[j] }
        }
        return (hiddenLayer, logits)
    }

    /// Applies the output activation to logits in place.
    func activate(_ logits: inout Matrix) {
        switch output {
        case .linear:
            break
        case .sigmoid:
            for i in logits.storage.indices { logits.storage[i] = 1 / (1 + exp(-logits.storage[i])) }
        case .softmax:
            for i in 0..<logits.rows {
                let row = i * outputs..<(i + 1) * outputs
                let top = logits.storage[row].max() ?? 0
                var total: Float = 0
                for j in row {
                    logits.storage[j] = exp(logits.storage[j] - top)
                    total += logits.storage[j]
                }
                for j in row { logits.storage[j] /= total }
            }
        }
    }
}

extension SeededGenerator {
    /// A standard normal value (Box-Muller).
    mutating func normal() -> Double {
        let u = max(nextUnit(), 1e-300)
        return (-2 * log(u)).squareRoot() * cos(2 * .pi * nextUnit())
    }
}
