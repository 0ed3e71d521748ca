import Testing
@testable import RouterCore

@Suite struct VectorKernelTests {
    /// The C kernel (whichever of AVX-512, AVX2 or portable this CPU picks) against the Swift dot
    /// product, over row counts and dimensions that hit every tail of its 4-row, 8/16-wide blocks.
    @Test(arguments: [1, 3, 4, 5, 9, 64], [1, 7, 8, 15, 16, 17, 33, 384])
    func dotRowsMatchesTheDotProduct(rows: Int, dimension: Int) {
        var random = SeededGenerator(seed: UInt64(rows * 1000 + dimension))
        let matrix = Matrix(rows: rows, columns: dimension, storage: (0..<rows * dimension).map { _ in Float(random.nextUnit() * 2 - 1) })
        let query = (0..<dimension).map { _ in Float(random.nextUnit() * 2 - 1) }
        let dots = Vectors.dotRows(matrix, query)
        for r in 0..<rows {
            let expected = matrix.withRow(r) { row in query.withUnsafeBufferPointer { Vectors.dot(row, $0) } }
            #expect(abs(dots[r] - expected) <= 1e-4 * max(1, abs(expected)), "row \(r)")
        }
    }
}
