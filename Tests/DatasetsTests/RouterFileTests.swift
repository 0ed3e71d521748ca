import RouterCore
import Testing
@testable import RouterFile

private func sampleModel() -> ClusterRouterModel {
    ClusterRouterModel(
        version: "k2-test", embedder: .hash(.init(dimension: 3)), models: ["a", "b"],
        prices: [ModelPrice(inputPerMillion: 1, outputPerMillion: 2, source: "https://example.com"), nil],
        centroids: Matrix(rows: 2, columns: 3, storage: [1, 0, 0, 0, 1, 0]), clusterSizes: [5, 7],
        performance: [0.9, 0.5, 0.2, 0.8], cost: [0.001, 0.01, 0.001, 0.01], topK: 2, beta: 9, normalization: .perCluster)
}

@Suite struct RouterFileTests {
    @Test func roundTrips() throws {
        let model = sampleModel()
        #expect(try RouterFile.decode(RouterFile.encode(model)) == model)
    }

    @Test func truncatedFileIsAClearError() {
        let bytes = RouterFile.encode(sampleModel())
        #expect(throws: RouterFileError.self) { try RouterFile.decode(Array(bytes.prefix(bytes.count - 5))) }
    }

    @Test func foreignFileIsAClearError() {
        #expect(throws: RouterFileError("not a Switchyard router file (it does not start with \"SYROUTER\")")) {
            try RouterFile.decode(Array("{\"json\": true}".utf8))
        }
    }

    @Test func corruptNumbersAreNamed() {
        var model = sampleModel()
        model.centroids.storage[4] = .nan
        #expect(throws: RouterFileError("centroid 1 has a non-finite value")) {
            try RouterFile.decode(RouterFile.encode(model))
        }
    }

    @Test func wrongCountsAreNamed() {
        var model = sampleModel()
        model.performance.removeLast()
        #expect(throws: RouterFileError("3 performance values, expected 2 x 2")) {
            try RouterFile.decode(RouterFile.encode(model))
        }
    }
}
