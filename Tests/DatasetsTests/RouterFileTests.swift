import RouterCore
import Testing
import Wire
import Zlib
@testable import RouterFile

/// A two-model bundle with a cluster router (the default) and a kNN router.
private func sampleBundle() throws -> RouterBundle {
    let set = CompleteSet(
        models: ["a", "b"],
        records: (0..<6).map { PromptSet.Record(id: "p\($0)", prompt: "prompt \($0)", scores: [0, 1], costs: [1, 2]) },
        scores: [[1, 0], [0, 1], [1, 1], [0, 1], [1, 0], [0, 0]], costs: Array(repeating: [0.001, 0.01], count: 6), scoreScale: 0...1,
        notes: [])
    let embeddings = Matrix([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [0, 1, 1], [1, 0, 1]], columns: 3)
    let data = TrainingData(set: set, embeddings: embeddings)
    let cluster = RouterSpec(.cluster, ["k": 2]).train(data, seed: 1)
    let knn = RouterSpec(.knn, ["neighbors": 2]).train(data, seed: 1)
    return try RouterBundle(
        version: "test-v1", embedder: .hash(.init(dimension: 3)), models: ["a", "b"],
        prices: [ModelPrice(inputPerMillion: 1, outputPerMillion: 2, source: "https://example.com"), nil],
        entries: [
            RouterBundle.Entry(name: "cluster", spec: "cluster(k=2)", router: cluster),
            RouterBundle.Entry(name: "knn", spec: "knn(neighbors=2)", router: knn, calibration: Calibration(scores: [0, 0.5, 1], source: "s")),
        ],
        defaultRouter: "cluster", crossValidation: [CrossValidationRow(spec: "knn(neighbors=2)", metric: "APGR", mean: 0.7, min: 0.6, max: 0.8)],
        trainedOn: "sample")
}

/// The bytes of a router file holding `message`.
private func fileBytes(_ message: RouterModelFile) -> [UInt8] {
    RouterFile.magic + message.serializedBytes().withUnsafeBytes { Deflater().compress($0) }
}

@Suite struct RouterFileTests {
    @Test func roundTrips() throws {
        let bundle = try sampleBundle()
        let copy = try RouterFile.decode(RouterFile.encode(bundle))
        #expect(copy.version == bundle.version && copy.models == bundle.models && copy.prices == bundle.prices)
        #expect(copy.embedder == bundle.embedder && copy.defaultRouter == "cluster" && copy.trainedOn == "sample")
        #expect(copy.entries.map(\.name) == ["cluster", "knn"])
        #expect(copy.entries.map(\.spec) == ["cluster(k=2)", "knn(neighbors=2)"])
        #expect(copy.entries[1].calibration == Calibration(scores: [0, 0.5, 1], source: "s"))
        #expect(copy.crossValidation == bundle.crossValidation)
        #expect(copy.entries[1].router.stored() == bundle.entries[1].router.stored())
    }

    @Test func aRouterTheFileLacksIsNotFoundWithTheNames() throws {
        #expect(throws: RoutingError.notFound("no router \"mf\" in this router file; it has: cluster, knn")) {
            try sampleBundle().entry("mf")
        }
    }

    @Test func truncatedFileIsAClearError() throws {
        let bytes = RouterFile.encode(try sampleBundle())
        #expect(throws: RouterFileError.self) { try RouterFile.decode(Array(bytes.prefix(bytes.count - 5))) }
    }

    @Test func foreignFileIsAClearError() {
        #expect(throws: RouterFileError("not a Switchyard router file (it does not start with \"SYROUTER\")")) {
            try RouterFile.decode(Array("{\"json\": true}".utf8))
        }
    }

    @Test func corruptNumbersAreNamed() throws {
        var message = try RouterModelFile(serialized: Array(RouterFile.encode(try sampleBundle()).dropFirst(8)).withUnsafeBytes {
            try Inflater().decompress($0, limit: 1 << 20)
        })
        let knn = message.routers.firstIndex { $0.name == "knn" }!
        let scores = message.routers[knn].tensors.firstIndex { $0.name == "scores" }!
        message.routers[knn].tensors[scores].values[0] = .nan
        #expect(throws: RouterFileError("bad router model: knn router knn: scores has a non-finite value")) {
            try RouterFile.decode(fileBytes(message))
        }
        message.routers[knn].tensors[scores].values.removeLast()
        #expect(throws: RouterFileError("router knn: tensor scores has 11 values for 6x2")) {
            try RouterFile.decode(fileBytes(message))
        }
    }

    @Test func formatVersion1IsStillRead() throws {
        let message = RouterModelFile(
            formatVersion: 1, version: "k2-old", embedder: EmbedderSettings(kind: "hash", dimension: 3, charNGramMin: 3, charNGramMax: 5, charWeight: 0.5),
            models: [RoutedModel(name: "a"), RoutedModel(name: "b")], clusters: 2, dimension: 3, centroids: [1, 0, 0, 0, 1, 0],
            clusterSizes: [5, 7], performance: [0.9, 0.5, 0.2, 0.8], cost: [0.001, 0.01, 0.001, 0.01], topK: 2, beta: 9,
            normalization: "per-cluster")
        let bundle = try RouterFile.decode(fileBytes(message))
        #expect(bundle.version == "k2-old" && bundle.defaultRouter == "cluster")
        let cluster = try #require(bundle.entries[0].router as? ClusterRouter)
        #expect(cluster.model.normalization == .perCluster)
        #expect(cluster.pair == ModelPair(strong: 1, weak: 0), "best mean performance (b), the cheapest other (a)")
    }

    @Test func unknownVersionsAndKindsAreRefused() throws {
        var message = RouterModelFile(formatVersion: 3, embedder: EmbedderSettings(kind: "hash", dimension: 3, charNGramMin: 3, charNGramMax: 5))
        #expect(throws: RouterFileError("format version 3; this build reads versions 1 and 2")) { try RouterFile.decode(fileBytes(message)) }
        message.formatVersion = 2
        message.routers = [TrainedRouter(name: "x", kind: "oracle")]
        message.defaultRouter = "x"
        #expect(throws: RouterFileError("router x is of unknown kind \"oracle\"")) { try RouterFile.decode(fileBytes(message)) }
    }
}
