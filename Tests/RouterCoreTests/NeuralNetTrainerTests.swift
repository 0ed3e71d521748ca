import Foundation
import Testing
@testable import RouterCore

@Suite struct NeuralNetTrainerTests {
    /// 400 rows of 20 noise columns and one side column that alone decides the label.
    func sideSignal() -> (x: Matrix, y: Matrix) {
        var random = SeededGenerator(seed: 5)
        var x: [Float] = [], y: [Float] = []
        for _ in 0..<400 {
            let side = Float(random.normal())
            x += (0..<20).map { _ in Float(random.normal()) } + [side]
            y.append(side > 0 ? 1 : 0)
        }
        return (Matrix(rows: 400, columns: 21, storage: x), Matrix(rows: 400, columns: 1, storage: y))
    }

    /// How far apart the predictions are for a clearly negative and a clearly positive side value.
    func separation(_ net: NeuralNet) -> Float {
        let zeros = [Float](repeating: 0, count: 20)
        return net.predict(zeros + [2])[0] - net.predict(zeros + [-2])[0]
    }

    @Test func aSideColumnKeepsItsWeightUnderAHeavyPenalty() {
        let (x, y) = sideSignal()
        var trainer = NeuralNetTrainer(hidden: 0, weightDecay: 10, seed: 1)
        let penalized = trainer.train(x: x, y: y, output: .sigmoid).net
        trainer.sideColumns = [20]
        let free = trainer.train(x: x, y: y, output: .sigmoid).net
        #expect(separation(free) > 0.8)
        #expect(separation(penalized) < 0.3)
    }

    @Test func outputBiasesStartAtTheMeanTarget() {
        let y = Matrix(rows: 4, columns: 2, storage: [0, 1, 0, 0, 1, 1, 0, 0])
        let sigmoid = NeuralNetTrainer.priorBias(y, rows: [0, 1, 2, 3], output: .sigmoid)
        #expect(abs(sigmoid[0] - log(0.25 / 0.75)) < 1e-6)
        #expect(abs(sigmoid[1] - log(0.5 / 0.5)) < 1e-6)
        // Only the rows trained on count.
        #expect(abs(NeuralNetTrainer.priorBias(y, rows: [2], output: .linear)[0] - 1) < 1e-6)
        #expect(abs(NeuralNetTrainer.priorBias(y, rows: [0, 1, 2, 3], output: .softmax)[0] - log(0.25)) < 1e-6)
    }
}
