import Dispatch

/// The kNN baseline: a prompt's predicted score and cost for each model are the means over its
/// `k` most similar training prompts (cosine similarity of unit embeddings).
public struct NearestNeighbors: Sendable {
    public let train: CompleteSet
    public let embeddings: Matrix
    public let k: Int
    /// The training set's range of per-model mean score and cost, to normalise estimates.
    private let qualityRange: ClosedRange<Double>
    private let costRange: ClosedRange<Double>

    public init(train: CompleteSet, embeddings: Matrix, k: Int = 20) {
        precondition(embeddings.rows == train.count && train.count > 0)
        self.train = train
        self.embeddings = embeddings
        self.k = max(1, min(k, train.count))
        let (scores, costs) = (train.meanScores, train.meanCosts)
        qualityRange = scores.min()!...scores.max()!
        costRange = costs.min()!...costs.max()!
    }

    /// Estimates for each row of `queries`, computed on all cores.
    public func estimates(_ queries: Matrix) -> [ModelEstimates] {
        let results = UnsafeMutableBufferPointer<ModelEstimates>.allocate(capacity: queries.rows)
        defer { results.deallocate() }
        nonisolated(unsafe) let output = results
        DispatchQueue.concurrentPerform(iterations: queries.rows) { i in
            (output.baseAddress! + i).initialize(to: queries.withRow(i) { estimate($0) })
        }
        return Array(results)
    }

    /// Estimates for one unit query vector.
    public func estimate(_ query: UnsafeBufferPointer<Float>) -> ModelEstimates {
        var nearest: [(index: Int, similarity: Float)] = []
        nearest.reserveCapacity(k + 1)
        for j in 0..<embeddings.rows {
            let similarity = embeddings.withRow(j) { Vectors.dot(query, $0) }
            if nearest.count < k || similarity > nearest[nearest.count - 1].similarity {
                var i = nearest.count
                while i > 0 && nearest[i - 1].similarity < similarity { i -= 1 }
                nearest.insert((j, similarity), at: i)
                if nearest.count > k { nearest.removeLast() }
            }
        }
        let m = train.models.count
        var quality = [Double](repeating: 0, count: m), cost = quality
        for (index, _) in nearest {
            for j in 0..<m {
                quality[j] += train.scores[index][j] / Double(nearest.count)
                cost[j] += train.costs[index][j] / Double(nearest.count)
            }
        }
        return ModelEstimates(quality: quality, cost: cost, qualityRange: qualityRange, costRange: costRange)
    }
}
