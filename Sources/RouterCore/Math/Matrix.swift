/// A dense row-major matrix of Float rows of equal length (embeddings, centroids).
public struct Matrix: Sendable, Equatable {
    /// Number of rows.
    public let rows: Int
    /// Length of every row.
    public let columns: Int
    /// rows x columns values, row after row.
    public var storage: [Float]

    /// A zero matrix.
    public init(rows: Int, columns: Int) {
        self.rows = rows
        self.columns = columns
        storage = Array(repeating: 0, count: rows * columns)
    }

    /// A matrix over `storage`, which must hold rows x columns values.
    public init(rows: Int, columns: Int, storage: [Float]) {
        precondition(storage.count == rows * columns, "matrix storage of \(storage.count) for \(rows)x\(columns)")
        self.rows = rows
        self.columns = columns
        self.storage = storage
    }

    /// A matrix whose rows are `vectors`, all of length `columns`.
    public init(_ vectors: [[Float]], columns: Int) {
        precondition(vectors.allSatisfy { $0.count == columns }, "rows of unequal length")
        self.init(rows: vectors.count, columns: columns, storage: vectors.flatMap { $0 })
    }

    /// A copy of row `i`.
    public func row(_ i: Int) -> [Float] { Array(storage[i * columns..<(i + 1) * columns]) }

    /// Calls `body` with row `i` in place.
    @inlinable
    public func withRow<R>(_ i: Int, _ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try storage.withUnsafeBufferPointer { all in
            try body(UnsafeBufferPointer(rebasing: all[i * columns..<(i + 1) * columns]))
        }
    }

    /// The rows at `indices`, in that order.
    public func selecting(_ indices: [Int]) -> Matrix {
        var result = Matrix(rows: indices.count, columns: columns)
        for (to, from) in indices.enumerated() {
            result.storage.replaceSubrange(to * columns..<(to + 1) * columns, with: storage[from * columns..<(from + 1) * columns])
        }
        return result
    }
}
