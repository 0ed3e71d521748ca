import Testing
@testable import RouterCore

@Suite struct KMeansTests {
    @Test func recoversPlantedBlobs() {
        let centers: [[Float]] = [[0, 0, 10], [10, 0, 0], [0, 10, 0], [7, 7, 7]]
        let (points, labels) = blobs(centers, perCenter: 50, spread: 0.5)
        let result = KMeans(k: 4, seed: 3).fit(points)
        // Every blob lands in one cluster of its own.
        for blob in 0..<4 {
            let assigned = Set(labels.indices.filter { labels[$0] == blob }.map { result.assignments[$0] })
            #expect(assigned.count == 1, "blob \(blob) split over \(assigned)")
        }
        #expect(Set(result.assignments).count == 4)
        for c in 0..<4 {
            let centroid = result.centroids.row(c)
            let nearest = centers.map { center in zip(center, centroid).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) }.min()!
            #expect(nearest < 0.1, "centroid \(centroid) is far from every planted center")
        }
    }

    @Test func isReproducibleForASeed() {
        let (points, _) = blobs([[0, 0], [5, 5], [0, 5]], perCenter: 30, spread: 2)
        let a = KMeans(k: 5, seed: 11).fit(points), b = KMeans(k: 5, seed: 11).fit(points)
        #expect(a.centroids == b.centroids)
        #expect(a.assignments == b.assignments)
    }

    @Test func keepsEveryClusterNonEmptyWithDuplicatePoints() {
        // 3 distinct points, 2 of them repeated many times, k = 3.
        let rows: [[Float]] = Array(repeating: [0, 0], count: 20) + Array(repeating: [1, 1], count: 20) + [[9, 9]]
        let result = KMeans(k: 3, seed: 1).fit(Matrix(rows, columns: 2))
        #expect(Set(result.assignments).count == 3)
    }

    @Test func moreClustersThanPointsIsCapped() {
        let result = KMeans(k: 10).fit(Matrix([[1, 0], [0, 1]], columns: 2))
        #expect(result.centroids.rows == 2)
    }
}

@Suite struct KMeansReseedTests {
    @Test func anEmptyClusterMovesOntoTheFarthestPoint() {
        // Three points, two centroids on the first one: cluster 1 is empty. The point farthest
        // from its centroid (the third, 10 away) becomes cluster 1's centroid and member.
        let points = Matrix([[0, 0], [1, 0], [10, 0]], columns: 2)
        var centroids = Matrix([[0.5, 0], [0.5, 0]], columns: 2)
        var assignments = [0, 0, 0]
        var distances: [Float] = [0.25, 0.25, 90.25]
        KMeans.reseedEmptyClusters(&centroids, points, &assignments, &distances)
        #expect(centroids.row(1) == [10, 0])
        #expect(assignments == [0, 0, 1])
        #expect(distances[2] == 0)
    }

    @Test func fewerDistinctPointsThanClustersStillConverges() {
        // Two distinct points, four clusters asked: two centroids coincide, nothing crashes, and
        // the result has no cluster without a point that could have been moved.
        let points = Matrix([[0, 0], [0, 0], [1, 1], [1, 1]], columns: 2)
        let result = KMeans(k: 4, seed: 3).fit(points)
        #expect(result.centroids.rows == 4)
        #expect(result.inertia == 0)
    }
}
