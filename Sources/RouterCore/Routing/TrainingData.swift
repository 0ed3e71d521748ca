import Foundation

/// What routers train on: a complete set with its prompts' embeddings and lengths, row for row.
public struct TrainingData: Sendable {
    public let set: CompleteSet
    public let embeddings: Matrix
    /// Each prompt's length in UTF-8 bytes.
    public let lengths: [Int]

    public init(set: CompleteSet, embeddings: Matrix) {
        precondition(embeddings.rows == set.count, "\(embeddings.rows) embeddings for \(set.count) prompts")
        self.set = set
        self.embeddings = embeddings
        self.lengths = set.records.map(\.prompt.utf8.count)
    }

    public var count: Int { self.set.count }

    /// The rows at `indices`.
    public func subset(_ indices: [Int]) -> TrainingData {
        TrainingData(set: set.subset(indices), embeddings: embeddings.selecting(indices))
    }

    /// Row `i` as a router sees it.
    public func query(_ i: Int) -> RoutingQuery { RoutingQuery(embedding: embeddings.row(i), length: lengths[i]) }

    /// The embedding of every row with the log of its length appended: the predictor's and the
    /// classifier's features (length alone is a strong signal on these benchmarks).
    var features: Matrix { Self.features(embeddings, lengths: lengths) }

    static func features(_ embeddings: Matrix, lengths: [Int]) -> Matrix {
        let d = embeddings.columns
        var storage = [Float]()
        storage.reserveCapacity(embeddings.rows * (d + 1))
        for i in 0..<embeddings.rows {
            storage.append(contentsOf: embeddings.storage[i * d..<(i + 1) * d])
            storage.append(Float(log(Double(lengths[i]) + 1)))
        }
        return Matrix(rows: embeddings.rows, columns: d + 1, storage: storage)
    }
}
