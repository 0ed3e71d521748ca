/// k-means clustering with k-means++ initialisation (Arthur & Vassilvitskii, 2007).
///
/// Seeded and reproducible. A cluster left empty by an iteration is re-seeded with the point
/// farthest from its own centroid, so the result always has `k` non-empty clusters when there
/// are at least `k` distinct points.
public struct KMeans: Sendable {
    /// The number of clusters.
    public var k: Int
    /// Lloyd iterations at most.
    public var maxIterations: Int
    public var seed: UInt64

    public init(k: Int, maxIterations: Int = 50, seed: UInt64 = 42) {
        precondition(k > 0, "k must be positive")
        self.k = k
        self.maxIterations = maxIterations
        self.seed = seed
    }

    /// The outcome of clustering.
    public struct Result: Sendable {
        /// k rows: the mean of each cluster's points.
        public var centroids: Matrix
        /// For each point, the index of its cluster.
        public var assignments: [Int]
        /// Iterations run.
        public var iterations: Int
        /// The sum of squared distances of points to their centroids.
        public var inertia: Double
    }

    /// Clusters the rows of `points`; `progress` is told (iteration, maxIterations) as it goes.
    public func fit(_ points: Matrix, progress: (Int, Int) -> Void = { _, _ in }) -> Result {
        precondition(points.rows > 0, "k-means needs at least one point")
        let k = min(self.k, points.rows)
        var random = SeededGenerator(seed: seed)
        var centroids = initialCentroids(points, k: k, random: &random)
        var assignments = Array(repeating: -1, count: points.rows)
        var distances = Array(repeating: Float(0), count: points.rows)
        var iterations = 0
        for iteration in 1...max(1, maxIterations) {
            iterations = iteration
            var changed = 0
            for i in 0..<points.rows {
                let (nearest, distance) = Self.nearest(points, i, centroids)
                if nearest != assignments[i] { changed += 1 }
                assignments[i] = nearest
                distances[i] = distance
            }
            centroids = Self.means(points, assignments, k: k, previous: centroids)
            Self.reseedEmptyClusters(&centroids, points, &assignments, &distances)
            progress(iteration, maxIterations)
            if changed == 0 { break }
        }
        let inertia = distances.reduce(0) { $0 + Double($1) }
        return Result(centroids: centroids, assignments: assignments, iterations: iterations, inertia: inertia)
    }

    /// k-means++: the first centroid uniformly, each next one with probability proportional to
    /// its squared distance from the nearest centroid chosen so far.
    private func initialCentroids(_ points: Matrix, k: Int, random: inout SeededGenerator) -> Matrix {
        var centroids = Matrix(rows: k, columns: points.columns)
        var chosen = Int(random.next() % UInt64(points.rows))
        var nearest = Array(repeating: Float.infinity, count: points.rows)
        for c in 0..<k {
            centroids.storage.replaceSubrange(
                c * points.columns..<(c + 1) * points.columns,
                with: points.storage[chosen * points.columns..<(chosen + 1) * points.columns])
            guard c + 1 < k else { break }
            var total = 0.0
            centroids.withRow(c) { centroid in
                for i in 0..<points.rows {
                    let d = points.withRow(i) { Vectors.squaredDistance($0, centroid) }
                    if d < nearest[i] { nearest[i] = d }
                    total += Double(nearest[i])
                }
            }
            if total <= 0 {  // fewer distinct points than k: repeat one
                chosen = Int(random.next() % UInt64(points.rows))
                continue
            }
            var target = random.nextUnit() * total
            chosen = points.rows - 1
            for i in 0..<points.rows {
                target -= Double(nearest[i])
                if target < 0 {
                    chosen = i
                    break
                }
            }
        }
        return centroids
    }

    /// The nearest centroid to row `i` and its squared distance.
    static func nearest(_ points: Matrix, _ i: Int, _ centroids: Matrix) -> (Int, Float) {
        points.withRow(i) { point in
            var best = 0
            var bestDistance = Float.infinity
            for c in 0..<centroids.rows {
                let d = centroids.withRow(c) { Vectors.squaredDistance(point, $0) }
                if d < bestDistance {
                    bestDistance = d
                    best = c
                }
            }
            return (best, bestDistance)
        }
    }

    /// Each cluster's mean; an empty cluster keeps its previous centroid (re-seeded after).
    private static func means(_ points: Matrix, _ assignments: [Int], k: Int, previous: Matrix) -> Matrix {
        let d = points.columns
        var sums = [Double](repeating: 0, count: k * d)
        var counts = [Int](repeating: 0, count: k)
        for (i, c) in assignments.enumerated() {
            counts[c] += 1
            for j in 0..<d { sums[c * d + j] += Double(points.storage[i * d + j]) }
        }
        var centroids = previous
        for c in 0..<k where counts[c] > 0 {
            for j in 0..<d { centroids.storage[c * d + j] = Float(sums[c * d + j] / Double(counts[c])) }
        }
        return centroids
    }

    /// Moves every empty cluster's centroid onto the point farthest from its own centroid.
    static func reseedEmptyClusters(
        _ centroids: inout Matrix, _ points: Matrix, _ assignments: inout [Int], _ distances: inout [Float]
    ) {
        var counts = [Int](repeating: 0, count: centroids.rows)
        for c in assignments { counts[c] += 1 }
        for c in 0..<centroids.rows where counts[c] == 0 {
            guard let far = distances.indices.max(by: { distances[$0] < distances[$1] }), distances[far] > 0 else { return }
            counts[assignments[far]] -= 1
            counts[c] = 1
            assignments[far] = c
            distances[far] = 0
            centroids.storage.replaceSubrange(
                c * points.columns..<(c + 1) * points.columns,
                with: points.storage[far * points.columns..<(far + 1) * points.columns])
        }
    }
}
